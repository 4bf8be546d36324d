/// <reference types="vite/client" />
import { describe, expect, it } from "vitest";

// The vector core must run in Node (benchmarks) and workerd: no runtime-specific imports, no
// run-time code generation, and no .wasm import (src/wasm/ is the Workers-side loader seam).
const sources = import.meta.glob("../../../src/core/index/vector/*.ts", { query: "?raw", import: "default", eager: true }) as Record<string, string>;

describe("vector core boundary", () => {
  it("finds the sources", () => {
    expect(Object.keys(sources).length).toBeGreaterThan(10);
  });
  for (const [path, text] of Object.entries(sources)) {
    it(`${path.split("/").pop()} imports nothing runtime-specific`, () => {
      const imports = [...text.matchAll(/^\s*import\s[^;]*?from\s+"([^"]+)"/gms)].map((m) => m[1]);
      for (const spec of imports) {
        expect(spec, spec).not.toMatch(/^(cloudflare:|node:|hono)/);
        expect(spec, spec).not.toMatch(/\.wasm$/);
        expect(spec.startsWith(".") ? spec.endsWith(".ts") : true, spec).toBe(true);
      }
      expect(text).not.toMatch(/new Function\(|\beval\(/);
    });
  }
});
