/**
 * The CLI's HTTP client for the Elacsym API (v1): bearer authentication, JSON bodies, error
 * bodies turned into ApiError, and retries with backoff on 429 / 5xx / network failures
 * (retry-policy.ts). Every request it sends is safe to repeat: upserts are idempotent by id.
 */
import { DEFAULT_RETRY_POLICY, type RetryPolicy, isRetryableStatus, retryAfterFromHeaders, retryDelayMs } from "./retry-policy.ts";

export const DEFAULT_TIMEOUT_MS = 120_000;

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly retryable: boolean;
  constructor(status: number, code: string, message: string, retryable: boolean) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.retryable = retryable;
  }
}

export interface RetryEvent {
  attempt: number;
  delayMs: number;
  reason: string;
}

export interface ClientOptions {
  endpoint: string;
  apiKey: string | undefined;
  retry?: RetryPolicy;
  timeoutMs?: number;
  /** Called before each wait, e.g. to show "retrying after 429" next to a progress bar. */
  onRetry?: (event: RetryEvent) => void;
  userAgent?: string;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function errorFromResponse(res: Response): Promise<ApiError> {
  const text = await res.text().catch(() => "");
  let code = `HTTP_${res.status}`;
  let message = text.slice(0, 500) || res.statusText;
  try {
    const body = JSON.parse(text) as { error?: { code?: string; message?: string } | string };
    if (body && typeof body.error === "object" && body.error) {
      code = body.error.code ?? code;
      message = body.error.message ?? message;
    } else if (typeof body.error === "string") {
      message = body.error;
    }
  } catch {
    // not JSON: keep the text
  }
  return new ApiError(res.status, code, `${res.status} ${code}: ${message}`, isRetryableStatus(res.status));
}

export class ElacsymClient {
  readonly endpoint: string;
  private readonly apiKey: string | undefined;
  private readonly retry: RetryPolicy;
  private readonly timeoutMs: number;
  /** Called before each wait between attempts; the importer points it at its progress display. */
  onRetry?: (event: RetryEvent) => void;
  private readonly userAgent: string;

  constructor(options: ClientOptions) {
    this.endpoint = options.endpoint.replace(/\/+$/, "");
    this.apiKey = options.apiKey;
    this.retry = options.retry ?? DEFAULT_RETRY_POLICY;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.onRetry = options.onRetry;
    this.userAgent = options.userAgent ?? "elacsym-cli";
  }

  /** One attempt: the parsed JSON body, or an ApiError (network failures are retryable ones). */
  private async attempt(method: string, path: string, body: string | undefined): Promise<{ value?: unknown; error?: ApiError; retryAfterMs: number | null }> {
    const headers: Record<string, string> = { accept: "application/json", "user-agent": this.userAgent };
    if (this.apiKey) headers.authorization = `Bearer ${this.apiKey}`;
    if (body !== undefined) headers["content-type"] = "application/json";
    let res: Response;
    try {
      res = await fetch(this.endpoint + path, { method, headers, body, signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (err) {
      const e = err as Error & { cause?: { code?: string; message?: string } };
      const detail = e.name === "TimeoutError" ? `timed out after ${this.timeoutMs} ms` : (e.cause?.code ?? e.cause?.message ?? e.message);
      return { error: new ApiError(0, "NETWORK", `network error on ${method} ${path}: ${detail}`, true), retryAfterMs: null };
    }
    if (!res.ok) return { error: await errorFromResponse(res), retryAfterMs: retryAfterFromHeaders(res.headers) };
    const text = await res.text();
    try {
      return { value: text === "" ? null : JSON.parse(text), retryAfterMs: null };
    } catch {
      return { error: new ApiError(res.status, "BAD_RESPONSE", `${method} ${path}: response is not JSON: ${text.slice(0, 200)}`, false), retryAfterMs: null };
    }
  }

  /**
   * Sends a request, retrying retryable failures with backoff. `body` is a value to serialize or
   * an already serialized JSON string (the importer serializes batches once to measure them).
   */
  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const payload = body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body);
    for (let attempt = 0; ; attempt++) {
      const r = await this.attempt(method, path, payload);
      if (!r.error) return r.value as T;
      if (!r.error.retryable || attempt + 1 >= this.retry.maxAttempts) {
        if (r.error.retryable) r.error.message += ` (gave up after ${attempt + 1} attempts)`;
        throw r.error;
      }
      const delayMs = retryDelayMs(this.retry, attempt, r.retryAfterMs);
      this.onRetry?.({ attempt: attempt + 1, delayMs, reason: r.error.message });
      await sleep(delayMs);
    }
  }

  listNamespaces(params: { prefix?: string; cursor?: string; limit?: number }): Promise<{ namespaces: { name: string; created_at?: string }[]; next_cursor?: string }> {
    const q = new URLSearchParams();
    if (params.prefix) q.set("prefix", params.prefix);
    if (params.cursor) q.set("cursor", params.cursor);
    if (params.limit) q.set("limit", String(params.limit));
    const qs = q.toString();
    return this.request("GET", `/v1/namespaces${qs ? `?${qs}` : ""}`);
  }

  describeNamespace(ns: string): Promise<NamespaceDescription> {
    return this.request("GET", `/v1/namespaces/${encodeURIComponent(ns)}`);
  }

  createNamespace(ns: string, schema: unknown): Promise<NamespaceDescription> {
    return this.request("PUT", `/v1/namespaces/${encodeURIComponent(ns)}`, { schema });
  }

  deleteNamespace(ns: string): Promise<unknown> {
    return this.request("DELETE", `/v1/namespaces/${encodeURIComponent(ns)}`);
  }

  /** `documentsJson` is the serialized `{"documents": [...]}` body. */
  upsertJson(ns: string, documentsJson: string): Promise<{ upserted: number; sequence: number }> {
    return this.request("POST", `/v1/namespaces/${encodeURIComponent(ns)}/upsert`, documentsJson);
  }

  query(ns: string, body: Record<string, unknown>): Promise<QueryResponse> {
    return this.request("POST", `/v1/namespaces/${encodeURIComponent(ns)}/query`, body);
  }

  fetchDocuments(ns: string, body: Record<string, unknown>): Promise<{ documents: Record<string, unknown>[] }> {
    return this.request("POST", `/v1/namespaces/${encodeURIComponent(ns)}/fetch`, body);
  }
}

export interface AttributeSchemaJson {
  type: string;
  filterable?: boolean;
  full_text?: unknown;
}

export interface NamespaceDescription {
  name: string;
  schema: { id_type?: string; vector?: { dimensions: number; metric: string }; attributes: Record<string, AttributeSchemaJson> };
  documents?: number;
  segments?: number;
  [key: string]: unknown;
}

export interface QueryResponse {
  results: { id: string | number; score?: number; attributes?: Record<string, unknown>; vector?: number[] }[];
  took_ms?: number;
  performance?: Record<string, unknown>;
}
