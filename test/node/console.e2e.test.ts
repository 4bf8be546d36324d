/**
 * The web console in a real headless Chromium (Debian's `chromium`, driven by playwright-core)
 * against the local Worker: log in, list namespaces with stats, browse pages of documents, run
 * vector, filtered, full-text and hybrid queries, with screenshots in test-artifacts/.
 * Skips with a loud warning only when no Chromium binary exists (.ci/run installs it).
 */
import { existsSync, mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { type Browser, type Page, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalWorker, startLocalWorker } from "./helpers/local-worker.ts";

const CANDIDATES = [process.env.CHROMIUM_PATH, "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"].filter(Boolean) as string[];
const CHROMIUM = CANDIDATES.find((p) => existsSync(p));
const ARTIFACTS = fileURLToPath(new URL("../../test-artifacts/", import.meta.url));
const NS = "console-demo";
const DOCS = 60;

if (!CHROMIUM) {
  console.warn(`\n${"!".repeat(78)}\n!! console e2e test SKIPPED: no Chromium found (looked at ${CANDIDATES.join(", ")}).\n!! Install it with: apt-get install -y chromium\n${"!".repeat(78)}\n`);
}

function vectorOf(i: number): number[] {
  return [Math.cos(i), Math.sin(i), (i % 5) / 5, 1];
}

describe.skipIf(!CHROMIUM)("web console in Chromium", () => {
  let worker: LocalWorker;
  let browser: Browser;
  let page: Page;
  const foreignRequests: string[] = [];

  async function api(method: string, path: string, body?: unknown): Promise<any> {
    const res = await fetch(worker.url + path, {
      method,
      headers: { authorization: `Bearer ${worker.apiKey}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return res.json();
  }

  async function idsIn(table: string): Promise<string[]> {
    return page.locator(`${table} tbody tr`).evaluateAll((trs) => trs.map((tr) => (tr as HTMLElement).dataset.id ?? ""));
  }

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    worker = await startLocalWorker();
    await api("PUT", `/v1/namespaces/${NS}`, {
      schema: {
        vector: { dimensions: 4, metric: "euclidean_squared" },
        attributes: { title: { type: "string", full_text: { language: "english" } }, price: { type: "float" }, color: { type: "string" } },
      },
    });
    await api("PUT", "/v1/namespaces/console-other", { schema: {} });
    const documents = Array.from({ length: DOCS }, (_, i) => ({
      id: i,
      vector: vectorOf(i),
      attributes: { title: `${i % 2 ? "red" : "blue"} widget number ${i}`, price: i * 0.5, color: i % 2 ? "red" : "blue" },
    }));
    await api("POST", `/v1/namespaces/${NS}/upsert`, { documents });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
    });
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    page.on("request", (req) => {
      const url = req.url();
      if (!url.startsWith(worker.url) && !url.startsWith("data:")) foreignRequests.push(url);
    });
  });

  afterAll(async () => {
    await browser?.close();
    await worker?.close();
  });

  it("logs in, lists namespaces with stats, browses and runs queries", async () => {
    await page.goto(`${worker.url}/console`);
    await expect.poll(() => page.locator("#login-view").isVisible()).toBe(true);
    // The stylesheet loaded (served by the Worker, allowed by the page's CSP).
    expect(await page.locator(".topbar").evaluate((e) => getComputedStyle(e).display)).toBe("flex");

    // A wrong key is refused on the login form.
    await page.fill("#api-key", "elk_not_a_real_key");
    await page.click("#login-button");
    await expect.poll(() => page.locator("#login-error").textContent()).toContain("not valid");

    await page.fill("#api-key", worker.apiKey);
    await page.click("#login-button");
    await page.locator("#app-view").waitFor({ state: "visible" });

    // Namespace list with stats from describe.
    const item = page.locator(`.ns-item[data-ns="${NS}"]`);
    await item.waitFor();
    await expect.poll(() => item.locator(".ns-meta").textContent()).toContain(`${DOCS} docs`);
    await expect.poll(() => item.locator(".ns-meta").textContent()).toContain("4d euclidean_squared");
    expect(await page.locator(".ns-item").count()).toBe(2);

    // Select it: stats, schema and the first page of documents in id order.
    await item.click();
    await expect.poll(() => page.locator('#ns-stats [data-stat="documents"] dd').textContent()).toBe(String(DOCS));
    await expect.poll(() => idsIn("#browse-table")).toEqual(Array.from({ length: 25 }, (_, i) => String(i)));
    expect(await page.locator("#schema-table tbody tr").count()).toBe(3);
    await page.screenshot({ path: `${ARTIFACTS}console-browse.png`, fullPage: true });

    // Paging continues after the last id seen.
    await page.click("#browse-next");
    await expect.poll(() => idsIn("#browse-table")).toEqual(Array.from({ length: 25 }, (_, i) => String(25 + i)));
    await page.click("#browse-next");
    await expect.poll(() => idsIn("#browse-table")).toEqual(Array.from({ length: 10 }, (_, i) => String(50 + i)));
    expect(await page.locator("#browse-next").isDisabled()).toBe(true);
    await page.click("#browse-prev");
    await expect.poll(() => idsIn("#browse-table")).toEqual(Array.from({ length: 25 }, (_, i) => String(25 + i)));

    // Vector query: the document's own vector ranks it first; timings are shown.
    await page.click("#tab-query");
    await page.fill("#query-vector", JSON.stringify(vectorOf(7)));
    await page.fill("#query-topk", "5");
    await page.click("#run-query");
    await expect.poll(() => idsIn("#results-table")).toHaveLength(5);
    expect((await idsIn("#results-table"))[0]).toBe("7");
    expect(await page.locator("#query-timings").textContent()).toMatch(/took_ms \d+/);
    expect(await page.locator('#query-timings [data-metric="server_ms"]').count()).toBe(1);
    expect(await page.locator("#query-request").textContent()).toContain('"top_k": 5');

    // Filtered vector query.
    await page.fill("#query-filter", JSON.stringify({ field: "color", op: "eq", value: "red" }));
    await page.click("#run-query");
    await expect.poll(() => page.locator("#query-request").textContent()).toContain('"color"');
    await expect.poll(async () => (await idsIn("#results-table")).length).toBe(5);
    expect((await idsIn("#results-table")).every((id) => Number(id) % 2 === 1)).toBe(true);
    await page.screenshot({ path: `${ARTIFACTS}console-query.png`, fullPage: true });

    // Full-text query (BM25 over the schema's full-text attribute).
    await page.fill("#query-filter", "");
    await page.check('input[name="mode"][value="full_text"]');
    await page.fill("#query-text", "red widget number 13");
    await page.fill("#query-topk", "3");
    await page.click("#run-query");
    await expect.poll(() => page.locator("#query-request").textContent()).toContain('"full_text"');
    expect(await page.locator("#query-request").textContent()).toContain('"field": "title"');
    await expect.poll(async () => (await idsIn("#results-table"))[0]).toBe("13");
    expect(await page.locator("#banner").isVisible()).toBe(false);

    // Hybrid: both arms, fused with RRF.
    await page.check('input[name="mode"][value="hybrid"]');
    await page.fill("#query-vector", JSON.stringify(vectorOf(13)));
    await page.fill("#hybrid-k", "10");
    await page.click("#run-query");
    await expect.poll(() => page.locator("#query-request").textContent()).toContain('"hybrid"');
    await expect.poll(async () => (await idsIn("#results-table"))[0]).toBe("13");
    await expect.poll(() => page.locator("#run-query").isEnabled()).toBe(true);
    expect(await idsIn("#results-table")).toHaveLength(3);
    await page.screenshot({ path: `${ARTIFACTS}console-hybrid.png`, fullPage: true });

    // The key survives a reload (sessionStorage) and logging out forgets it.
    await page.reload();
    await page.locator("#app-view").waitFor({ state: "visible" });
    await page.click("#logout");
    await page.locator("#login-view").waitFor({ state: "visible" });
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);

    expect(foreignRequests).toEqual([]);
  });
});
