/**
 * The object key layout in R2. Every key carries the tenant, the namespace and its incarnation
 * (a new one per create, so a namespace deleted and re-created never shares keys with its past),
 * and is named from what it holds so a retried flush rewrites the same key with the same bytes.
 *
 *   t/{tenant}/ns/{namespace}/{incarnation}/manifest/{version:12}.json
 *   t/{tenant}/ns/{namespace}/{incarnation}/seg/{seqMin:16}-{seqMax:16}-v{version}.parquet
 *   t/{tenant}/ns/{namespace}/{incarnation}/fts/{seqMin:16}-{seqMax:16}-v{version}.eftx
 *   t/{tenant}/ns/{namespace}/{incarnation}/del/{version:12}.bin
 *   t/{tenant}/ns/{namespace}/{incarnation}/vec/{name}-v{version}[-a{attempt}].{evcl|evco|evdr}
 *     (centroid lists, cluster objects, directories; background tasks that cannot promise identical
 *      bytes on a retry add their attempt number)
 */

export interface NamespaceRef {
  tenant: string;
  namespace: string;
  incarnation: string;
}

const pad = (n: number, width: number) => String(n).padStart(width, "0");

export function namespacePrefix(ref: NamespaceRef): string {
  return `t/${ref.tenant}/ns/${ref.namespace}/${ref.incarnation}/`;
}

export function manifestKey(ref: NamespaceRef, version: number): string {
  return `${namespacePrefix(ref)}manifest/${pad(version, 12)}.json`;
}

export function manifestListPrefix(ref: NamespaceRef): string {
  return `${namespacePrefix(ref)}manifest/`;
}

export function versionFromManifestKey(key: string): number {
  const m = /manifest\/(\d{12})\.json$/.exec(key);
  return m ? Number(m[1]) : -1;
}

export function segmentKey(ref: NamespaceRef, seqMin: number, seqMax: number, version: number): string {
  return `${namespacePrefix(ref)}seg/${pad(seqMin, 16)}-${pad(seqMax, 16)}-v${version}.parquet`;
}

export function deletesKey(ref: NamespaceRef, version: number): string {
  return `${namespacePrefix(ref)}del/${pad(version, 12)}.bin`;
}

export function fullTextKey(ref: NamespaceRef, seqMin: number, seqMax: number, version: number): string {
  return `${namespacePrefix(ref)}fts/${pad(seqMin, 16)}-${pad(seqMax, 16)}-v${version}.eftx`;
}

export function vectorKey(ref: NamespaceRef, name: string, version: number, attempt: number | null, ext: "evcl" | "evco" | "evdr" | "evcq"): string {
  return `${namespacePrefix(ref)}vec/${name}-v${version}${attempt === null ? "" : `-a${attempt}`}.${ext}`;
}
