/**
 * CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), the checksum of every full-text index section.
 * Owned here only until the Foundation's codec/crc32.ts lands; then this file should re-export that one.
 */

const TABLE = (() => {
  const t = new Uint32Array(256 * 4);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[i] = c >>> 0;
  }
  // Slicing-by-4 tables: four bytes per step, ~3x faster than the byte loop in V8.
  for (let i = 0; i < 256; i++) {
    for (let s = 1; s < 4; s++) t[s * 256 + i] = (t[(s - 1) * 256 + i] >>> 8) ^ t[t[(s - 1) * 256 + i] & 0xff];
  }
  return t;
})();

export function crc32(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let c = 0xffffffff;
  let i = start;
  for (; i + 4 <= end; i += 4) {
    c ^= bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24);
    c = TABLE[768 + (c & 0xff)] ^ TABLE[512 + ((c >>> 8) & 0xff)] ^ TABLE[256 + ((c >>> 16) & 0xff)] ^ TABLE[c >>> 24];
  }
  for (; i < end; i++) c = TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
