/**
 * The served OpenAPI document against the official OpenAPI 3.1 meta-schema, with a maintained
 * validator (@seriousme/openapi-schema-validator, which checks the schema dialect and that every
 * $ref resolves). It runs in Node because the validator reads its schemas from disk; the Worker
 * is the real one, served locally.
 */
import { Validator } from "@seriousme/openapi-schema-validator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalWorker, startLocalWorker } from "./helpers/local-worker.ts";

describe("GET /openapi.json", () => {
  let worker: LocalWorker;
  beforeAll(async () => {
    worker = await startLocalWorker();
  });
  afterAll(async () => {
    await worker?.close();
  });

  it("validates against the OpenAPI 3.1 meta-schema", async () => {
    const res = await fetch(`${worker.url}/openapi.json`);
    expect(res.status).toBe(200);
    const document = await res.json();
    const validator = new Validator();
    const result = await validator.validate(document);
    expect(result.errors ?? [], JSON.stringify(result.errors, null, 1)?.slice(0, 4000)).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe("3.1");
  });

  it("serves the reference page without a key", async () => {
    const res = await fetch(`${worker.url}/docs`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("Elacsym API reference");
  });
});
