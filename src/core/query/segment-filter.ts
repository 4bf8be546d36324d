/**
 * Evaluates a filter over every row of one segment (reading only the filtered columns, one row
 * group at a time) into a bitset over row ordinals, for indexes that search by ordinal.
 */
import type { SegmentReader } from "../segment/segment-reader.ts";
import { type Filter, evaluateFilter } from "./filter.ts";
import { batchFieldReader, scanColumns } from "./segment-search.ts";

export async function filterBitset(reader: SegmentReader, filter: Filter): Promise<Uint8Array> {
  const bits = new Uint8Array((reader.info.rows + 7) >>> 3);
  for await (const batch of reader.scan(scanColumns(filter), false)) {
    let r = 0;
    const read = batchFieldReader(batch, () => r);
    for (; r < batch.seqs.length; r++) {
      if (evaluateFilter(filter, read)) {
        const ord = batch.start + r;
        bits[ord >>> 3] |= 1 << (ord & 7);
      }
    }
  }
  return bits;
}

export function bitsetHas(bits: Uint8Array, ord: number): boolean {
  return (bits[ord >>> 3] & (1 << (ord & 7))) !== 0;
}
