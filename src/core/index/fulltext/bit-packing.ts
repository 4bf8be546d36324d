/**
 * Fixed-width bit packing of small unsigned integers (posting doc gaps and term frequencies), little-endian,
 * LSB first, byte-aligned at the end. It owns only the bit layout; blocks and headers are postings-format.ts.
 */

/** Bits needed for the largest of values[start, end). */
export function bitsNeeded(values: ArrayLike<number>, start: number, end: number): number {
  let max = 0;
  for (let i = start; i < end; i++) if (values[i] > max) max = values[i];
  return max === 0 ? 0 : 32 - Math.clz32(max);
}

export function packedByteLength(n: number, bits: number): number {
  return Math.ceil((n * bits) / 8);
}

/** Packs values[start, end) (each < 2^bits, bits ≤ 32) into out[at...]; returns the byte length written. */
export function pack(values: ArrayLike<number>, start: number, end: number, bits: number, out: Uint8Array, at: number): number {
  const len = packedByteLength(end - start, bits);
  out.fill(0, at, at + len);
  let bitPos = 0;
  for (let i = start; i < end; i++, bitPos += bits) {
    let v = values[i];
    let byte = at + (bitPos >>> 3);
    let shift = bitPos & 7;
    let remaining = bits;
    while (remaining > 0) {
      out[byte] |= (v << shift) & 0xff;
      const written = 8 - shift;
      v = written >= 32 ? 0 : Math.floor(v / (1 << written));
      remaining -= written;
      shift = 0;
      byte++;
    }
  }
  return len;
}

/** Unpacks n values of `bits` bits from src[at...] into out[0, n). */
export function unpack(src: Uint8Array, at: number, n: number, bits: number, out: Uint32Array): void {
  if (bits === 0) {
    out.fill(0, 0, n);
    return;
  }
  const mask = bits === 32 ? 0xffffffff : (1 << bits) - 1;
  let bitPos = at * 8;
  if (bits <= 25) {
    // Any value then lies within the 4 bytes starting at its first byte.
    for (let i = 0; i < n; i++, bitPos += bits) {
      const b = bitPos >>> 3;
      const w = src[b] | (src[b + 1] << 8) | (src[b + 2] << 16) | (src[b + 3] << 24);
      out[i] = (w >>> (bitPos & 7)) & mask;
    }
    return;
  }
  for (let i = 0; i < n; i++, bitPos += bits) {
    const b = bitPos >>> 3;
    const shift = bitPos & 7;
    const w = (src[b] | (src[b + 1] << 8) | (src[b + 2] << 16) | (src[b + 3] << 24)) >>> shift;
    const hi = shift === 0 ? 0 : (src[b + 4] ?? 0) << (32 - shift);
    out[i] = ((w | hi) & mask) >>> 0;
  }
}
