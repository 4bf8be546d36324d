import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";

describe("GET /console", () => {
  it("serves the page and its assets without an API key, with a strict CSP", async () => {
    for (const path of ["/console", "/console/"]) {
      const res = await SELF.fetch(`http://elacsym.test${path}`);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
      expect(res.headers.get("content-security-policy")).toContain("script-src 'self'");
      expect(res.headers.get("content-security-policy")).toContain("connect-src 'self'");
      const html = await res.text();
      expect(html).toContain('<script type="module" src="/console/assets/console.js">');
      // No external network: every URL in the page is local.
      expect(html).not.toMatch(/(src|href)="https?:/);
    }
    const assets = { "console.js": "text/javascript", "api.js": "text/javascript", "render.js": "text/javascript", "console.css": "text/css" };
    for (const [name, type] of Object.entries(assets)) {
      const res = await SELF.fetch(`http://elacsym.test/console/assets/${name}`);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toContain(type);
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      const text = await res.text();
      expect(text.length).toBeGreaterThan(500);
      expect(text).not.toContain("[object Object]");
      expect(text).not.toMatch(/import\s[^;]*from\s+["']https?:/);
    }
  });

  it("answers 304 to a matching If-None-Match and 404 for unknown assets", async () => {
    const first = await SELF.fetch("http://elacsym.test/console/assets/console.js");
    const etag = first.headers.get("etag")!;
    await first.arrayBuffer();
    const again = await SELF.fetch("http://elacsym.test/console/assets/console.js", { headers: { "if-none-match": etag } });
    expect(again.status).toBe(304);
    const missing = await SELF.fetch("http://elacsym.test/console/assets/nope.js");
    expect(missing.status).toBe(404);
    expect((await missing.json<{ error: { code: string } }>()).error.code).toBe("NOT_FOUND");
  });
});
