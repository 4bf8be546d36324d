/**
 * An HTTP proxy in front of the local Worker that injects failures into upsert requests and
 * records which document ids the server stored and which ones the client saw acknowledged.
 * Faults by upsert request number (1-based): "429" (answered here with retry-after-ms, never
 * forwarded), "503-after" (forwarded and stored, then the answer is lost and replaced by a 503:
 * the client must replay the batch), "reset" (the connection is dropped before forwarding).
 * `holdAfter` keeps every upsert after that many acknowledged ones waiting until released.
 */
import { type IncomingMessage, type Server, type ServerResponse, createServer } from "node:http";
import type { AddressInfo } from "node:net";

export type Fault = "429" | "503-after" | "reset";

interface Held {
  req: IncomingMessage;
  res: ServerResponse;
  body: Buffer;
}

export class FaultProxy {
  url = "";
  upsertRequests = 0;
  faults: Record<number, Fault> = {};
  holdAfter: number | null = null;
  /** Ids of documents the server stored (every forwarded upsert that succeeded there). */
  storedIds: unknown[] = [];
  /** Ids of documents in upserts the client received a 200 for. */
  acknowledgedIds: unknown[] = [];
  /** Upsert requests the client received a 200 for. */
  acknowledgedRequests = 0;
  held: Held[] = [];
  /** Forwards under way (a killed client's last batch may still be reaching the server). */
  private forwarding = 0;
  private readonly target: string;
  private server: Server | null = null;

  constructor(target: string) {
    this.target = target;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  /** Resolves once no forwarded request is still waiting for the server. */
  async idle(): Promise<void> {
    while (this.forwarding > 0) await new Promise((r) => setTimeout(r, 20));
  }

  reset(): void {
    this.upsertRequests = 0;
    this.faults = {};
    this.holdAfter = null;
    this.storedIds = [];
    this.acknowledgedIds = [];
    this.acknowledgedRequests = 0;
  }

  /** Forwards held requests (release) or drops them (their client is gone). */
  async release(forward: boolean): Promise<void> {
    const held = this.held.splice(0);
    for (const h of held) {
      if (forward) await this.forward(h.req, h.res, h.body, true);
      else h.res.destroy();
    }
  }

  async close(): Promise<void> {
    await this.release(false);
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const isUpsert = req.method === "POST" && /\/upsert$/.test(req.url ?? "");
    if (!isUpsert) return this.forward(req, res, body, false);
    const n = ++this.upsertRequests;
    const fault = this.faults[n];
    if (fault === "429") {
      res.writeHead(429, { "content-type": "application/json", "retry-after-ms": "50" });
      res.end(JSON.stringify({ error: { code: "BACKPRESSURE", message: "proxy: injected 429" } }));
      return;
    }
    if (fault === "reset") {
      req.socket.destroy();
      return;
    }
    if (this.holdAfter !== null && this.acknowledgedRequests >= this.holdAfter) {
      this.held.push({ req, res, body });
      return;
    }
    await this.forward(req, res, body, true, fault === "503-after");
  }

  private async forward(req: IncomingMessage, res: ServerResponse, body: Buffer, isUpsert: boolean, loseAnswer = false): Promise<void> {
    const headers: Record<string, string> = {};
    for (const name of ["authorization", "content-type", "accept"]) {
      const v = req.headers[name];
      if (typeof v === "string") headers[name] = v;
    }
    this.forwarding++;
    let upstream: Response;
    let text: string;
    try {
      upstream = await fetch(this.target + (req.url ?? "/"), {
        method: req.method,
        headers,
        body: req.method === "GET" || req.method === "HEAD" ? undefined : new Uint8Array(body),
      });
      text = await upstream.text();
    } finally {
      this.forwarding--;
    }
    const ids = isUpsert ? (JSON.parse(body.toString("utf8")) as { documents: { id: unknown }[] }).documents.map((d) => d.id) : [];
    if (isUpsert && upstream.ok) this.storedIds.push(...ids);
    if (loseAnswer) {
      res.writeHead(503, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { code: "UNAVAILABLE", message: "proxy: injected 503 after the write" } }));
      return;
    }
    if (isUpsert && upstream.ok) {
      this.acknowledgedIds.push(...ids);
      this.acknowledgedRequests++;
    }
    const out: Record<string, string> = { "content-type": upstream.headers.get("content-type") ?? "application/json" };
    const retry = upstream.headers.get("retry-after-ms");
    if (retry) out["retry-after-ms"] = retry;
    res.writeHead(upstream.status, out);
    res.end(text);
  }
}
