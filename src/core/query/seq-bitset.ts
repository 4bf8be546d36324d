/**
 * A set of document versions as a bitset over seq numbers: one bit per version ever written, so
 * 10M writes cost 1.25 MB. For filters evaluated once per query and asked about many candidates.
 */

export class SeqBitset {
  private readonly bits: Uint32Array;
  size = 0;

  constructor(maxSeq: number) {
    this.bits = new Uint32Array(Math.floor(maxSeq / 32) + 1);
  }

  // Arithmetic, not >>> / &: seqs may exceed 2^32.
  add(seq: number): void {
    const w = Math.floor(seq / 32);
    const m = 1 << seq % 32;
    if (w >= this.bits.length || this.bits[w] & m) return;
    this.bits[w] |= m;
    this.size++;
  }

  has(seq: number): boolean {
    const w = Math.floor(seq / 32);
    return w < this.bits.length && (this.bits[w] & (1 << seq % 32)) !== 0;
  }

  get byteSize(): number {
    return this.bits.byteLength;
  }
}
