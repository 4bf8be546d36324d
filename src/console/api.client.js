// Browser side of the console: the API key in sessionStorage and calls to the v1 API of the
// Worker that served this page (same origin, so no CORS and no external network).
// Served as /console/assets/api.js; the Worker bundles this file as text (wrangler.toml [[rules]]).

const KEY_STORAGE = "elacsym.console.apiKey";

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export function savedKey() {
  return sessionStorage.getItem(KEY_STORAGE);
}

export function saveKey(key) {
  sessionStorage.setItem(KEY_STORAGE, key);
}

export function forgetKey() {
  sessionStorage.removeItem(KEY_STORAGE);
}

async function request(method, path, body) {
  const headers = { authorization: `Bearer ${savedKey() ?? ""}` };
  if (body !== undefined) headers["content-type"] = "application/json";
  let res;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (err) {
    throw new ApiError(0, "NETWORK", `network error: ${err.message}`);
  }
  const text = await res.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!res.ok) {
    const e = data && typeof data.error === "object" ? data.error : { code: `HTTP_${res.status}`, message: text.slice(0, 300) || res.statusText };
    const retry = res.headers.get("retry-after-ms");
    throw new ApiError(res.status, e.code, `${res.status} ${e.code}: ${e.message}${retry ? ` (retry after ${retry} ms)` : ""}`);
  }
  return data;
}

const nsPath = (ns) => `/v1/namespaces/${encodeURIComponent(ns)}`;

export const api = {
  listNamespaces: ({ prefix, cursor, limit = 50 } = {}) => {
    const q = new URLSearchParams({ limit: String(limit) });
    if (prefix) q.set("prefix", prefix);
    if (cursor) q.set("cursor", cursor);
    return request("GET", `/v1/namespaces?${q}`);
  },
  describe: (ns) => request("GET", nsPath(ns)),
  query: (ns, body) => request("POST", `${nsPath(ns)}/query`, body),
  fetch: (ns, body) => request("POST", `${nsPath(ns)}/fetch`, body),
};
