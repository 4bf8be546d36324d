/**
 * Growable byte writer and bounds-checked byte reader for the full-text index formats: little-endian
 * fixed-width integers, LEB128 varints up to 2^53, length-prefixed UTF-8 strings. A read past the end
 * throws DataCorruptionError, so truncated objects are reported, never misread.
 * Owned here only until the Foundation's codec/ lands; the formats do not depend on where it lives.
 */

import { DataCorruptionError } from "../../errors.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

export class ByteWriter {
  private buf: Uint8Array;
  private view: DataView;
  length = 0;

  constructor(initialCapacity = 1024) {
    this.buf = new Uint8Array(initialCapacity);
    this.view = new DataView(this.buf.buffer);
  }

  private ensure(extra: number): void {
    const need = this.length + extra;
    if (need <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < need) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf[this.length++] = v;
  }

  u16(v: number): void {
    this.ensure(2);
    this.view.setUint16(this.length, v, true);
    this.length += 2;
  }

  u32(v: number): void {
    this.ensure(4);
    this.view.setUint32(this.length, v >>> 0, true);
    this.length += 4;
  }

  /** An unsigned integer < 2^53 as 8 little-endian bytes. */
  u64(v: number): void {
    this.ensure(8);
    this.view.setUint32(this.length, v % 0x100000000, true);
    this.view.setUint32(this.length + 4, Math.floor(v / 0x100000000), true);
    this.length += 8;
  }

  f64(v: number): void {
    this.ensure(8);
    this.view.setFloat64(this.length, v, true);
    this.length += 8;
  }

  /** Unsigned LEB128; exact for integers < 2^53. */
  varint(v: number): void {
    this.ensure(8);
    while (v >= 0x80) {
      this.buf[this.length++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.length++] = v;
  }

  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }

  /** varint byte length + UTF-8 bytes. */
  string(s: string): void {
    const b = encoder.encode(s);
    this.varint(b.length);
    this.bytes(b);
  }

  /** Reserves `n` bytes and returns their offset, for values known only later (patch with patchU32). */
  reserve(n: number): number {
    this.ensure(n);
    const at = this.length;
    this.length += n;
    return at;
  }

  patchU32(at: number, v: number): void {
    this.view.setUint32(at, v >>> 0, true);
  }

  /** A view of the bytes written so far (valid until the next write). */
  written(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }

  /** A copy trimmed to the written length. */
  finish(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

export class ByteReader {
  readonly bytes: Uint8Array;
  private readonly dv: DataView;
  pos: number;
  readonly end: number;
  private readonly what: string;

  constructor(bytes: Uint8Array, what: string, start = 0, end = bytes.length) {
    this.bytes = bytes;
    this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.pos = start;
    this.end = end;
    this.what = what;
  }

  private need(n: number): void {
    if (this.pos + n > this.end) {
      throw new DataCorruptionError(`${this.what}: truncated at byte ${this.pos} (need ${n}, end ${this.end})`);
    }
  }

  u8(): number {
    this.need(1);
    return this.bytes[this.pos++];
  }

  u16(): number {
    this.need(2);
    const v = this.dv.getUint16(this.pos, true);
    this.pos += 2;
    return v;
  }

  u32(): number {
    this.need(4);
    const v = this.dv.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  u64(): number {
    this.need(8);
    const lo = this.dv.getUint32(this.pos, true);
    const hi = this.dv.getUint32(this.pos + 4, true);
    if (hi >= 0x200000) throw new DataCorruptionError(`${this.what}: u64 at byte ${this.pos} exceeds 2^53`);
    this.pos += 8;
    return hi * 0x100000000 + lo;
  }

  f64(): number {
    this.need(8);
    const v = this.dv.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  varint(): number {
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 8; i++) {
      if (this.pos >= this.end) throw new DataCorruptionError(`${this.what}: truncated varint at byte ${this.pos}`);
      const b = this.bytes[this.pos++];
      result += (b & 0x7f) * mul;
      if (b < 0x80) return result;
      mul *= 0x80;
    }
    throw new DataCorruptionError(`${this.what}: varint too long at byte ${this.pos}`);
  }

  take(n: number): Uint8Array {
    this.need(n);
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  string(): string {
    const n = this.varint();
    try {
      return decoder.decode(this.take(n));
    } catch (err) {
      if (err instanceof DataCorruptionError) throw err;
      throw new DataCorruptionError(`${this.what}: invalid UTF-8 at byte ${this.pos - n}`);
    }
  }
}
