/**
 * The official turbopuffer client (`@turbopuffer/turbopuffer`) pointed at the Worker under test: its
 * `fetch` option routes every request through `SELF.fetch`, so the client's own request building,
 * retries and response parsing run unchanged inside workerd.
 */
import { SELF } from "cloudflare:test";
import Turbopuffer from "@turbopuffer/turbopuffer";

export const BASE_URL = "http://elacsym.test";

export interface ClientLog {
  requests: { method: string; url: string; status: number; headers: Headers; requestHeaders: Headers }[];
}

export function tpufClient(apiKey: string, options: { maxRetries?: number; compression?: boolean; log?: ClientLog } = {}): Turbopuffer {
  return new Turbopuffer({
    apiKey,
    baseURL: BASE_URL,
    maxRetries: options.maxRetries ?? 0,
    compression: options.compression ?? false,
    logLevel: "off",
    fetch: async (url, init) => {
      const res = await SELF.fetch(String(url), init as RequestInit);
      options.log?.requests.push({
        method: (init?.method ?? "GET").toUpperCase(),
        url: String(url),
        status: res.status,
        headers: res.headers,
        requestHeaders: new Headers(init?.headers as HeadersInit),
      });
      return res;
    },
  });
}

export { Turbopuffer };
