// Public surface of the vector index core (re-exports only). Runtime-agnostic: the Workers-side
// Wasm loader is src/wasm/vector-kernels.ts, the Node one bench/load-kernels.ts.
export { type VectorMetric, VECTOR_METRICS, distance, prepareVector, preparedDistance } from "./distance.ts";
export { type VectorKernels, type F32Matrix, tsKernels } from "./kernels.ts";
export { createWasmKernels } from "./kernels-wasm.ts";
export {
  type CentroidList,
  type CentroidIndex,
  encodeCentroidList,
  decodeCentroidList,
  openCentroidIndex,
} from "./centroid-list.ts";
export { type ClusterBlock, ClusterBlockBuilder, decodeClusterBlock } from "./cluster-block.ts";
export {
  type ClusterBlockLocation,
  encodeClusterObject,
  decodeClusterObjectTable,
  readClusterObjectTable,
  readClusterBlock,
  readBlockVectorRows,
  readBlockVectors,
} from "./cluster-object.ts";
export { type VectorRecord, encodeDeltaFragment } from "./ivf-encoder.ts";
export {
  type IvfBuildOptions,
  type IndexObjectSink,
  type BuiltIvfIndex,
  type BuildPhase,
  buildIvfIndex,
} from "./ivf-build.ts";
export { mergeClusterBlocks, splitCluster, shouldSplit, liveMembers, type SplitResult } from "./ivf-maintenance.ts";
export {
  type IvfSearchParams,
  type IvfSearchResult,
  type IvfSearchStats,
  type RerankCandidate,
  type RerankOptions,
  searchIvf,
} from "./ivf-search.ts";
export { flatSearch, type FlatSearchParams } from "./flat-search.ts";
export { DEFAULT_EX_BITS, DEFAULT_TARGET_RECALL, defaultClusterCount } from "./ivf-train.ts";
