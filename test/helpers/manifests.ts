/**
 * Test helpers over a namespace's R2 objects: every manifest still in R2 names only objects that
 * exist (segments, full-text indexes, deletion files and the vector index's directory, centroids and
 * cluster objects), and, once garbage and orphans are collected, every object is named by a manifest.
 */
import { env } from "cloudflare:test";
import { expect } from "vitest";
import { decodeDirectory } from "../../src/core/index/vector/index-directory.ts";
import type { Manifest } from "../../src/core/segment/manifest.ts";

async function objectKeys(tenantId: string, ns: string): Promise<Set<string>> {
  const keys = new Set<string>();
  let cursor: string | undefined;
  do {
    const page = await env.BUCKET.list({ prefix: `t/${tenantId}/ns/${ns}/`, cursor });
    for (const o of page.objects) keys.add(o.key);
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
  return keys;
}

/** Every object one manifest names (the manifest itself included). */
async function namedBy(manifestKey: string): Promise<string[]> {
  const body = (await (await env.BUCKET.get(manifestKey))!.json()) as Manifest;
  const named = [manifestKey];
  for (const s of body.segments) named.push(s.key, ...(s.fts ? [s.fts.key] : []));
  for (const d of body.deletes) named.push(d.key);
  const vi = body.vector_index;
  if (vi) {
    named.push(vi.directory.key, vi.centroids.key);
    const stored = await env.BUCKET.get(vi.directory.key);
    if (stored) {
      const dir = decodeDirectory(new Uint8Array(await stored.arrayBuffer()), vi.directory.key);
      named.push(dir.centroids.key, ...dir.objects.map((o) => o.key));
    }
  }
  return named;
}

export async function expectManifestsComplete(tenantId: string, ns: string): Promise<void> {
  const keys = await objectKeys(tenantId, ns);
  const manifests = [...keys].filter((k) => k.includes("/manifest/"));
  expect(manifests.length).toBeGreaterThan(0);
  for (const m of manifests) for (const key of await namedBy(m)) expect(keys.has(key), key).toBe(true);
}

/** No object of the namespace is left that no manifest in R2 names (no garbage, no orphans). */
export async function expectNoUnnamedObjects(tenantId: string, ns: string): Promise<void> {
  const keys = await objectKeys(tenantId, ns);
  const named = new Set<string>();
  for (const m of [...keys].filter((k) => k.includes("/manifest/"))) for (const key of await namedBy(m)) named.add(key);
  expect([...keys].filter((k) => !named.has(k))).toEqual([]);
}
