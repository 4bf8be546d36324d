/**
 * CRC-32 (IEEE 802.3, the zlib/PNG polynomial) over bytes. Used by WAL entries and our index blobs'
 * footers to detect corruption; not a cryptographic checksum.
 */

const TABLE = (() => {
  const table = new Uint32Array(256 * 8);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  // Slicing-by-8 tables: eight bytes per step instead of one.
  for (let n = 0; n < 256; n++) {
    let c = table[n];
    for (let s = 1; s < 8; s++) {
      c = table[c & 0xff] ^ (c >>> 8);
      table[s * 256 + n] = c >>> 0;
    }
  }
  return table;
})();

export function crc32(bytes: Uint8Array, seed = 0): number {
  let crc = ~seed >>> 0;
  let i = 0;
  const n = bytes.length;
  const t = TABLE;
  for (; i + 8 <= n; i += 8) {
    const a = (bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24)) ^ crc;
    crc =
      t[1792 + (a & 0xff)] ^
      t[1536 + ((a >>> 8) & 0xff)] ^
      t[1280 + ((a >>> 16) & 0xff)] ^
      t[1024 + (a >>> 24)] ^
      t[768 + bytes[i + 4]] ^
      t[512 + bytes[i + 5]] ^
      t[256 + bytes[i + 6]] ^
      t[bytes[i + 7]];
  }
  for (; i < n; i++) crc = t[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
  return ~crc >>> 0;
}
