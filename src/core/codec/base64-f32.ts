/**
 * Vectors as base64 strings of little-endian float32 values — turbopuffer's compact vector form on
 * the wire (`vector_encoding: "base64"` in responses; accepted wherever a vector is written or queried).
 * Uses only `atob`/`btoa` and DataView (present in Node and workerd).
 */
import { InvalidArgumentError } from "../errors.ts";

const CHUNK = 0x8000;

export function encodeBase64F32(v: Float32Array): string {
  const bytes = new Uint8Array(v.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < v.length; i++) view.setFloat32(i * 4, v[i], true);
  let binary = "";
  for (let i = 0; i < bytes.length; i += CHUNK) binary += String.fromCharCode(...bytes.subarray(i, i + CHUNK));
  return btoa(binary);
}

/** Decodes a base64 float32 vector; every value must be finite. */
export function decodeBase64F32(text: string, where: string): Float32Array {
  let binary: string;
  try {
    binary = atob(text);
  } catch {
    throw new InvalidArgumentError(`${where}: expected an array of numbers or a base64 string of little-endian float32 values`);
  }
  if (binary.length % 4 !== 0) throw new InvalidArgumentError(`${where}: base64 vector of ${binary.length} bytes is not a whole number of float32 values`);
  const view = new DataView(new ArrayBuffer(binary.length));
  for (let i = 0; i < binary.length; i++) view.setUint8(i, binary.charCodeAt(i));
  const out = new Float32Array(binary.length / 4);
  for (let i = 0; i < out.length; i++) {
    const x = view.getFloat32(i * 4, true);
    if (!Number.isFinite(x)) throw new InvalidArgumentError(`${where}[${i}]: expected a finite number, got ${x}`);
    out[i] = x;
  }
  return out;
}
