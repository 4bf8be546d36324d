// The one node:zlib export the engine uses (workerd provides it under nodejs_compat); the Worker's
// tsconfig has no Node types.
declare module "node:zlib" {
  export function crc32(data: Uint8Array | string, value?: number): number;
}
