/**
 * The centroid list object: every cluster's centroid (in the rotated space), the rotator seed and
 * the index parameters, read by every query (and cached). Owns its bytes and the runtime
 * CentroidIndex built from it (rotator + resident centroid matrix); not cluster contents.
 *
 *   0     4        magic "EVCL"
 *   4     2        format version (1)        6   2  flags (0)
 *   8     4        nlist
 *   12    2        dim D                     14  2  paddedDim P
 *   16    1        metric code               17  1  exBits b       18  2  reserved (0)
 *   20    4        rotator seed (u32)
 *   24    4        default nprobe (calibrated at build for targetRecall)
 *   28    4        targetRecall (f32)
 *   32    4        targetClusterSize (entries; maintenance splits above 2× this)
 *   36    12       reserved (0)
 *   48    4·nlist  sizes: u32 entries per cluster when this list was written
 *   a16   4·nlist·P centroids: float32[nlist][P], rotated space
 *   a16   16       footer: crc32 of [0, footer) | u32 0 | u32 0 | magic "EVCL"
 */

import { crc32 } from "../../codec/crc32.ts";
import { DataCorruptionError, InvalidArgumentError } from "../../errors.ts";
import { type VectorMetric, metricCode, metricFromCode } from "./distance.ts";
import type { F32Matrix, VectorKernels } from "./kernels.ts";
import { type Rotator, createRotator, paddedDimension } from "./rotation.ts";

export const CENTROID_LIST_MAGIC = 0x4c435645; // "EVCL"
export const CENTROID_LIST_VERSION = 1;
const HEADER_BYTES = 48;
const FOOTER_BYTES = 16;

export interface CentroidList {
  nlist: number;
  dim: number;
  paddedDim: number;
  metric: VectorMetric;
  exBits: number;
  rotatorSeed: number;
  nprobe: number;
  targetRecall: number;
  targetClusterSize: number;
  sizes: Uint32Array;
  /** nlist × paddedDim, rotated space. */
  centroids: Float32Array;
}

/** A centroid list ready for queries and assignment: rotator and kernel-resident centroids. */
export interface CentroidIndex extends CentroidList {
  readonly rotator: Rotator;
  readonly matrix: F32Matrix;
  readonly kernels: VectorKernels;
}

export function openCentroidIndex(list: CentroidList, kernels: VectorKernels): CentroidIndex {
  return {
    ...list,
    rotator: createRotator(list.dim, list.rotatorSeed, kernels),
    matrix: kernels.createMatrix(list.centroids, list.nlist, list.paddedDim),
    kernels,
  };
}

const a16 = (n: number): number => (n + 15) & ~15;

export function encodeCentroidList(list: CentroidList): Uint8Array {
  const { nlist, paddedDim } = list;
  if (paddedDim !== paddedDimension(list.dim)) {
    throw new InvalidArgumentError(`centroid-list: paddedDim ${paddedDim} does not match dim ${list.dim}`);
  }
  if (list.sizes.length !== nlist || list.centroids.length !== nlist * paddedDim) {
    throw new InvalidArgumentError(`centroid-list: sizes/centroids do not match nlist ${nlist}`);
  }
  const cOff = a16(HEADER_BYTES + 4 * nlist);
  const footer = a16(cOff + 4 * nlist * paddedDim);
  const out = new Uint8Array(footer + FOOTER_BYTES);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, CENTROID_LIST_MAGIC, true);
  dv.setUint16(4, CENTROID_LIST_VERSION, true);
  dv.setUint32(8, nlist, true);
  dv.setUint16(12, list.dim, true);
  dv.setUint16(14, paddedDim, true);
  dv.setUint8(16, metricCode(list.metric));
  dv.setUint8(17, list.exBits);
  dv.setUint32(20, list.rotatorSeed >>> 0, true);
  dv.setUint32(24, list.nprobe, true);
  dv.setFloat32(28, list.targetRecall, true);
  dv.setUint32(32, list.targetClusterSize, true);
  new Uint32Array(out.buffer, HEADER_BYTES, nlist).set(list.sizes);
  new Float32Array(out.buffer, cOff, nlist * paddedDim).set(list.centroids);
  dv.setUint32(footer, crc32(out.subarray(0, footer)), true);
  dv.setUint32(footer + 12, CENTROID_LIST_MAGIC, true);
  return out;
}

export function decodeCentroidList(input: Uint8Array | ArrayBuffer): CentroidList {
  let bytes = input instanceof Uint8Array ? input : new Uint8Array(input);
  if (bytes.byteOffset % 16 !== 0) bytes = bytes.slice();
  if (bytes.byteLength < HEADER_BYTES + FOOTER_BYTES) {
    throw new DataCorruptionError(`centroid-list: ${bytes.byteLength} bytes is too short`);
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dv.getUint32(0, true) !== CENTROID_LIST_MAGIC) throw new DataCorruptionError("centroid-list: bad magic");
  const version = dv.getUint16(4, true);
  if (version !== CENTROID_LIST_VERSION) throw new DataCorruptionError(`centroid-list: unsupported version ${version}`);
  const nlist = dv.getUint32(8, true);
  const dim = dv.getUint16(12, true);
  const paddedDim = dv.getUint16(14, true);
  const cOff = a16(HEADER_BYTES + 4 * nlist);
  const footer = a16(cOff + 4 * nlist * paddedDim);
  if (footer + FOOTER_BYTES !== bytes.byteLength) {
    throw new DataCorruptionError(`centroid-list: ${bytes.byteLength} bytes does not match nlist ${nlist} × P ${paddedDim}`);
  }
  const want = dv.getUint32(footer, true);
  const got = crc32(bytes.subarray(0, footer));
  if (want !== got || dv.getUint32(footer + 12, true) !== CENTROID_LIST_MAGIC) {
    throw new DataCorruptionError(`centroid-list: crc mismatch (expected ${want}, got ${got})`);
  }
  const o = bytes.byteOffset;
  return {
    nlist,
    dim,
    paddedDim,
    metric: metricFromCode(dv.getUint8(16)),
    exBits: dv.getUint8(17),
    rotatorSeed: dv.getUint32(20, true),
    nprobe: dv.getUint32(24, true),
    targetRecall: dv.getFloat32(28, true),
    targetClusterSize: dv.getUint32(32, true),
    sizes: new Uint32Array(bytes.buffer, o + HEADER_BYTES, nlist),
    centroids: new Float32Array(bytes.buffer, o + cOff, nlist * paddedDim),
  };
}
