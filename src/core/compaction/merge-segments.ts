/**
 * Merges a run of consecutive segments into one: streams each input one row group at a time in seq
 * order, drops dead versions, and writes the survivors through a SegmentWriter. Memory is one input
 * row group plus one output row group, whatever the segments' sizes.
 */
import type { DeadSet } from "../segment/dead-set.ts";
import type { SegmentReader } from "../segment/segment-reader.ts";
import { SegmentWriter, type WrittenSegment } from "../segment/segment-writer.ts";
import type { Schema } from "../schema/schema.ts";
import type { Attributes } from "../types.ts";

export interface MergeOptions {
  schema: Schema;
  /** Inputs in seq order. */
  inputs: SegmentReader[];
  dead: DeadSet;
  sink: (bytes: Uint8Array) => Promise<void>;
  /** Called between input row groups: lets the caller do other work (flush) during a long merge. */
  between?: () => Promise<void>;
}

export interface MergeResult extends WrittenSegment {
  /** Dead versions the merge dropped. */
  dropped: number;
}

/** Attribute columns of the output: those any input stores, in schema order. */
export function mergedAttributes(schema: Schema, inputs: SegmentReader[]): string[] {
  const names = new Set(inputs.flatMap((r) => r.presentAttributes(Object.keys(schema.attributes))));
  return Object.keys(schema.attributes).filter((n) => names.has(n));
}

export async function mergeSegments(o: MergeOptions): Promise<MergeResult> {
  const attributes = mergedAttributes(o.schema, o.inputs);
  const writer = new SegmentWriter(o.schema, attributes, o.sink);
  let dropped = 0;
  for (const input of o.inputs) {
    for await (const batch of input.scan(attributes, o.schema.vector !== undefined)) {
      for (let r = 0; r < batch.seqs.length; r++) {
        const seq = batch.seqs[r];
        if (o.dead.has(seq)) {
          dropped++;
          continue;
        }
        const attrs: Attributes = {};
        for (const a of attributes) {
          const v = batch.attributes[a]?.[r];
          if (v !== null && v !== undefined) attrs[a] = v;
        }
        await writer.add({ id: batch.ids[r], seq, vector: batch.vectors?.[r] ?? null, attributes: attrs });
      }
      if (o.between) await o.between();
    }
  }
  return { ...(await writer.finish()), dropped };
}
