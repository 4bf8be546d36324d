/**
 * Test helper: checks that every manifest still in R2 names only objects that exist (segments,
 * full-text indexes, deletion files and the vector index's directory, centroids and cluster objects).
 */
import { env } from "cloudflare:test";
import { expect } from "vitest";
import { decodeDirectory } from "../../src/core/index/vector/index-directory.ts";
import type { Manifest } from "../../src/core/segment/manifest.ts";

export async function expectManifestsComplete(tenantId: string, ns: string): Promise<void> {
  const keys = new Set<string>();
  let cursor: string | undefined;
  do {
    const page = await env.BUCKET.list({ prefix: `t/${tenantId}/ns/${ns}/`, cursor });
    for (const o of page.objects) keys.add(o.key);
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
  const manifests = [...keys].filter((k) => k.includes("/manifest/"));
  expect(manifests.length).toBeGreaterThan(0);
  const present = (key: string) => expect(keys.has(key), key).toBe(true);
  for (const m of manifests) {
    const body = (await (await env.BUCKET.get(m))!.json()) as Manifest;
    for (const s of body.segments) {
      present(s.key);
      if (s.fts) present(s.fts.key);
    }
    for (const d of body.deletes) present(d.key);
    const vi = body.vector_index;
    if (vi) {
      present(vi.directory.key);
      present(vi.centroids.key);
      const dir = decodeDirectory(new Uint8Array(await (await env.BUCKET.get(vi.directory.key))!.arrayBuffer()), vi.directory.key);
      present(dir.centroids.key);
      for (const o of dir.objects) present(o.key);
    }
  }
}
