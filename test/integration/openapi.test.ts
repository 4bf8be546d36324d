/**
 * The OpenAPI document and reference page: served without a key, covering every route the app
 * registers (enumerated from the Hono app, not listed by hand), with examples that the routes'
 * own schemas accept and that the Worker answers without a 400; bad input still names the field.
 * (The document is checked against the OpenAPI 3.1 meta-schema in test/node/openapi-document.test.ts:
 * the validator reads its schemas from disk.)
 */
import { SELF } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "../../src/api/app.ts";
import { undocumentedRoutes } from "../../src/api/openapi/document.ts";
import { type RouteSpec, routeSpecOf } from "../../src/api/openapi/route-spec.ts";
import { ADMIN_TOKEN, admin } from "../helpers/admin.ts";
import { api, makeTenant, type TestTenant } from "../helpers/api.ts";

interface Operation {
  method: string;
  path: string;
  spec: RouteSpec;
}

/** Every route of the app with its contract, from the app's own route table. */
function operations(): Operation[] {
  const app = buildApp();
  const seen = new Map<string, Operation>();
  for (const r of app.routes) {
    const spec = routeSpecOf(r.handler);
    if (spec && r.method !== "ALL") seen.set(`${r.method} ${r.path}`, { method: r.method, path: r.path, spec });
  }
  return [...seen.values()];
}

let doc: any;
beforeAll(async () => {
  const res = await SELF.fetch("http://elacsym.test/openapi.json");
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toContain("application/json");
  doc = await res.json();
});

describe("the OpenAPI document", () => {
  it("is OpenAPI 3.1 and needs no key", () => {
    expect(doc.openapi).toBe("3.1.0");
    expect(doc.info.title).toBe("Elacsym");
    expect(Object.keys(doc.components.schemas)).toEqual(expect.arrayContaining(["QueryRequest", "TurbopufferWriteRequest", "Filter", "TurbopufferFilter", "DocId", "ElacsymError", "TurbopufferError"]));
  });

  it("covers every route the app registers", () => {
    const app = buildApp();
    expect(undocumentedRoutes(app as never)).toEqual([]);
    const routes = new Set(app.routes.filter((r) => r.method !== "ALL").map((r) => `${r.method.toLowerCase()} ${r.path.replace(/:(\w+)/g, "{$1}")}`));
    const documented = new Set(Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops as object).map((m) => `${m} ${path}`)));
    expect([...routes].sort()).toEqual([...documented].sort());
    // The routes named by the brief are all there.
    for (const [method, path] of [
      ["put", "/v1/namespaces/{ns}"],
      ["post", "/v1/namespaces/{ns}/upsert"],
      ["post", "/v1/namespaces/{ns}/query"],
      ["post", "/v2/namespaces/{ns}"],
      ["post", "/v2/namespaces/{ns}/query"],
      ["post", "/v1/namespaces/{ns}/schema"],
      ["post", "/v1/namespaces/{ns}/_debug/recall"],
      ["patch", "/admin/tenants/{id}/limits"],
      ["get", "/metrics"],
    ]) expect(doc.paths[path]?.[method], `${method} ${path}`).toBeDefined();
  });

  it("gives each operation a unique id, a summary and its request schema by reference", () => {
    const ids = new Set<string>();
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops as Record<string, any>)) {
        expect(ids.has(op.operationId), op.operationId).toBe(false);
        ids.add(op.operationId);
        expect(op.summary, `${method} ${path}`).toBeTruthy();
        const body = op.requestBody?.content?.["application/json"];
        if (body) {
          const name = body.schema.$ref.replace("#/components/schemas/", "");
          expect(doc.components.schemas[name], name).toBeDefined();
          expect(body.example, `${method} ${path} has an example`).toBeDefined();
        }
      }
    }
    // Every $ref resolves.
    const refs = JSON.stringify(doc).match(/"#\/components\/schemas\/[^"]+"/g) ?? [];
    for (const ref of new Set(refs)) expect(doc.components.schemas[JSON.parse(ref).split("/").pop()], ref).toBeDefined();
  });

  it("describes vectors, ids and filters in full although they are checked by the core", () => {
    const s = doc.components.schemas;
    expect(s.Vector).toMatchObject({ type: "array", items: { type: "number" } });
    expect(s.DocId.anyOf).toHaveLength(3);
    expect(s.Filter.oneOf.map((f: any) => f.title)).toEqual(["Condition", "And", "Or", "Not"]);
    expect(s.UpsertRequest.properties.documents).toMatchObject({ type: "array", minItems: 1, maxItems: 10_000 });
    expect(s.QueryRequest.properties.top_k).toMatchObject({ type: "integer", minimum: 1, maximum: 10_000 });
  });
});

describe("examples", () => {
  it("pass the schemas of their routes", () => {
    for (const { method, path, spec } of operations()) {
      const where = `${method} ${path}`;
      if (spec.body) {
        expect(spec.example?.body, `${where} has an example body`).toBeDefined();
        const r = spec.body.safeParse(spec.example!.body);
        expect(r.success, `${where}: ${JSON.stringify(r.error?.issues)}`).toBe(true);
      }
      if (spec.query && spec.example?.query) expect(spec.query.safeParse(spec.example.query).success, where).toBe(true);
      for (const name of path.match(/:(\w+)/g) ?? []) expect(spec.params?.[name.slice(1)], `${where} documents ${name}`).toBeDefined();
    }
  });

  it("are accepted by the Worker, in the order a user would send them", async () => {
    const t: TestTenant = await makeTenant();
    const tenant = (await admin("POST", "/tenants", { name: "openapi-examples" })).body.id as string;
    const rank = (o: Operation) => (o.spec.operationId === "createNamespace" ? 0 : o.spec.operationId === "upsertDocuments" ? 1 : o.method === "DELETE" ? 3 : 2);
    const ops = operations().sort((a, b) => rank(a) - rank(b));
    let replayed = 0;
    for (const { method, path, spec } of ops) {
      if (!Object.keys(spec.responses).some((s) => s.startsWith("2"))) continue; // documents a 400 only (not supported)
      const params: Record<string, string> = { ...spec.example?.params };
      if (spec.tag === "Admin" && params.id && path.includes("/tenants/")) params.id = tenant;
      const url = path.replace(/:(\w+)/g, (_, name: string) => encodeURIComponent(params[name]));
      const query = spec.example?.query ? `?${new URLSearchParams(spec.example.query)}` : "";
      const key = spec.security === "adminToken" ? ADMIN_TOKEN : spec.security === "apiKey" ? t.key : null;
      const res = await api(method, `${url}${query}`, key, spec.example?.body);
      expect(res.status, `${method} ${url}: ${JSON.stringify(res.body)}`).not.toBe(400);
      expect(res.status, `${method} ${url}: ${JSON.stringify(res.body)}`).toBeLessThan(500);
      replayed++;
    }
    expect(replayed).toBeGreaterThan(30);
  });
});

describe("bad input is a 400 naming the field, in each API's error format", () => {
  let t: TestTenant;
  beforeAll(async () => {
    t = await makeTenant();
    await api("PUT", "/v1/namespaces/shapes", t.key, { schema: { vector: { dimensions: 2 } } });
  });

  it("Elacsym API", async () => {
    for (const [path, body, message] of [
      ["upsert", { documents: [{ id: 1, vector: [1, 0], attributes: [1] }] }, /^documents\[0\]\.attributes: expected an object/],
      ["upsert", { documents: [{ id: 1, vector: "1,0" }] }, /^documents\[0\]\.vector: expected an array of numbers/],
      ["query", { vector: [1, 0], hybrid: { k: 0 } }, /^hybrid\.k: expected a number > 0/],
      ["query", { vector: [1, 0], include_vector: "yes" }, /^include_vector: expected true or false/],
      ["query", { order_by: { field: "id", direction: "up" } }, /^order_by\.direction: expected "asc" or "desc"/],
      ["query", [], /^query: expected an object/],
      ["delete", { ids: [1], filter: { field: "id", op: "eq", value: 1 } }, /either ids .* or a filter/],
      ["fetch", { ids: [1], include_attributes: "all" }, /^include_attributes: expected true, false or a list/],
    ] as const) {
      const res = await api("POST", `/v1/namespaces/shapes/${path}`, t.key, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.code).toBe("INVALID_ARGUMENT");
      expect(res.body.error.message, JSON.stringify(body)).toMatch(message);
    }
    const list = await api("GET", "/v1/namespaces?limit=abc", t.key);
    expect(list.status).toBe(400);
    expect(list.body.error.message).toMatch(/^limit: expected an integer from 1 to 1000/);
    const create = await api("PUT", "/v1/namespaces/shapes2", t.key, { schema: { vector: { dimensions: 5000 } } });
    expect(create.body.error.message).toMatch(/^schema\.vector\.dimensions: expected an integer from 1 to 4096/);
  });

  it("turbopuffer API", async () => {
    for (const [path, body, message] of [
      ["", { upsert_rows: [{ id: 1, vector: { x: 1 } }] }, /^upsert_rows\[0\]\.vector: expected an array of numbers or a base64 string/],
      ["", { upsert_columns: { id: [1], price: 5 } }, /^upsert_columns\.price: expected an array with one value per id/],
      ["", { deletes: [1], return_affected_ids: "yes" }, /^return_affected_ids: expected true or false/],
      ["", { encryption: { mode: "cmek" } }, /^encryption.*only \{"mode": "default"\}/],
      ["/query", { top_k: "10" }, /^top_k: expected an integer from 1 to 10000/],
      ["/query", { limit: 0 }, /^limit: expected an integer from 1 to 10000/],
      ["/query", { limit: { total: 5, per: { attr: 1 } } }, /^limit\.per: per-key limits are not supported/],
      ["/query", { queries: [{ top_k: 1 }], rerank_by: ["MMR"] }, /^rerank_by\[0\]: expected "RRF"/],
      ["/query", { queries: [] }, /^queries: expected an array of 1 to 16 queries/],
    ] as const) {
      const res = await api("POST", `/v2/namespaces/shapes${path}`, t.key, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.status).toBe("error");
      expect(res.body.error, JSON.stringify(body)).toMatch(message);
    }
    const schema = await api("POST", "/v1/namespaces/shapes/schema", t.key, { price: { type: "float", filterable: "yes" } });
    expect(schema.body).toMatchObject({ status: "error", error: expect.stringMatching(/^price\.filterable: expected true or false/) });
  });

  it("admin API", async () => {
    const tenant = (await admin("POST", "/tenants", { name: "bad-admin-input" })).body.id;
    const key = await admin("POST", `/tenants/${tenant}/keys`, { scopes: ["read", "owner"] });
    expect(key.status).toBe(400);
    expect(key.body.error.message).toMatch(/^scopes\[1\]: expected "read" or "write" or "admin"/);
    const limits = await admin("PATCH", `/tenants/${tenant}/limits`, { write_requests_per_second: 0 });
    expect(limits.body.error.message).toMatch(/^write_requests_per_second: expected an integer ≥ 1 or null/);
    const page = await admin("GET", "/tenants?limit=0");
    expect(page.body.error.message).toMatch(/^limit: expected an integer from 1 to 1000/);
  });
});

describe("the reference page", () => {
  it("renders every operation and schema with no script or external resource", async () => {
    const res = await SELF.fetch("http://elacsym.test/docs");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/html");
    expect(res.headers.get("content-security-policy")).toContain("default-src 'none'");
    const html = await res.text();
    for (const ops of Object.values(doc.paths)) for (const op of Object.values(ops as Record<string, any>)) expect(html).toContain(`id="${op.operationId}"`);
    for (const name of Object.keys(doc.components.schemas)) expect(html).toContain(`id="schema-${name}"`);
    expect(html).not.toMatch(/<script|<link|src=|url\(|https?:\/\//i);
  });
});
