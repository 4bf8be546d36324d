/**
 * Starts the local server (`npm start`'s script) on a private port and state directory for a
 * benchmark, and reads the workerd process's memory from /proc. Or uses ELACSYM_ENDPOINT/KEY.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type IsolateMemory, sampleIsolateMemory } from "./isolate-memory.ts";
import { descendants, processName, resetPeak, statusBytes } from "./proc.ts";

export interface LocalServer {
  endpoint: string;
  key: string;
  adminToken: string;
  /**
   * Peak and current resident memory of the workerd process, and the peak of the Worker isolate's
   * heap + ArrayBuffers (isolate-memory.ts; the Worker and its Durable Objects share one isolate
   * locally, so it bounds each from above). Bytes; NaN where not measurable.
   */
  memory(): { rss: number; peak: number; isolatePeak: number };
  /** The isolate's heap + ArrayBuffers after a full garbage collection (bytes; NaN if not measurable). */
  isolateLive(): Promise<number>;
  /** The isolate samples since the last resetPeak: [Date.now(), bytes] (empty if not measurable). */
  isolateSamples(): [number, number][];
  resetPeak(): void;
  /** Stops the server and removes its state directory (unless it was given by the caller). */
  stop(): Promise<void>;
  /** Kills every server process at once with SIGKILL (a crash), keeping the state directory. */
  kill(): void;
  stateDir: string;
  /**
   * JSON log lines the server printed whose `msg` is `msg` (e.g. "background step"), since start or
   * the last `clearLogs()`. Empty for a remote server.
   */
  logs(msg: string): Record<string, unknown>[];
  clearLogs(): void;
}

function workerdPids(root: number): number[] {
  return descendants(root).filter((p) => processName(p).startsWith("workerd"));
}

export async function startServer(options: { port?: number; vars?: Record<string, string>; stateDir?: string; key?: string } = {}): Promise<LocalServer> {
  if (process.env.ELACSYM_ENDPOINT && process.env.ELACSYM_API_KEY) {
    return {
      endpoint: process.env.ELACSYM_ENDPOINT,
      key: process.env.ELACSYM_API_KEY,
      adminToken: process.env.ELACSYM_ADMIN_TOKEN ?? "",
      memory: () => ({ rss: NaN, peak: NaN, isolatePeak: NaN }),
      isolateLive: async () => NaN,
      isolateSamples: () => [],
      resetPeak: () => {},
      stop: async () => {},
      kill: () => {
        throw new Error("cannot kill a server this process did not start");
      },
      stateDir: "",
      logs: () => [],
      clearLogs: () => {},
    };
  }
  const port = options.port ?? 8800 + Math.floor(Math.random() * 100);
  const state = options.stateDir ?? mkdtempSync(join(tmpdir(), "elacsym-bench-"));
  const key = options.key ?? `elk_bench${Date.now()}`;
  const adminToken = `bench-admin-${Date.now()}`;
  const inspectorPort = port + 1000;
  const root = join(import.meta.dirname, "..", "..");
  const child: ChildProcess = spawn(process.execPath, [join(root, "scripts", "start.mjs")], {
    cwd: root,
    // A registry of its own: wrangler dev sessions sharing one reload each other's workers whenever
    // another session (a test run, another benchmark) starts or stops, failing requests in flight.
    env: {
      ...process.env,
      PORT: String(port),
      ELACSYM_DEV_API_KEY: key,
      ELACSYM_ADMIN_TOKEN: adminToken,
      ELACSYM_INSPECTOR_PORT: String(inspectorPort),
      ELACSYM_STATE_DIR: state,
      WRANGLER_REGISTRY_PATH: join(state, "wrangler-registry"),
      ...options.vars,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  let ready = false;
  // After start, only JSON lines are kept (parsed), for logs(): the request log would grow `log` forever.
  let partial = "";
  let lines: Record<string, unknown>[] = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${log}`)), 120_000);
    const onData = (b: Buffer) => {
      if (ready) {
        const text = partial + b.toString();
        const parts = text.split("\n");
        partial = parts.pop()!;
        for (const line of parts) {
          const at = line.indexOf('{"msg":');
          if (at < 0 || line.includes('"msg":"request"')) continue;
          try {
            lines.push(JSON.parse(line.slice(at)));
          } catch {
            // not one of ours
          }
        }
        return;
      }
      log += b.toString();
      if (log.includes("Ready on")) {
        ready = true;
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", (b: Buffer) => (log += b.toString()));
    child.on("exit", (code) => reject(new Error(`server exited (${code}):\n${log}`)));
  });
  const endpoint = `http://127.0.0.1:${port}`;
  // BENCH_ISOLATE_GC=1: every sample after a full GC (peaks of live memory; slows the server down)
  const isolate: IsolateMemory | null = await sampleIsolateMemory(inspectorPort, 50, process.env.BENCH_ISOLATE_GC === "1");
  return {
    endpoint,
    key,
    adminToken,
    memory() {
      const pids = workerdPids(child.pid!);
      return {
        rss: pids.reduce((s, p) => s + statusBytes(p, "VmRSS"), 0),
        peak: pids.reduce((s, p) => s + statusBytes(p, "VmHWM"), 0),
        isolatePeak: isolate?.peak() ?? NaN,
      };
    },
    isolateLive: async () => (isolate ? isolate.liveAfterGc() : NaN),
    isolateSamples: () => isolate?.samples() ?? [],
    resetPeak() {
      // Where not permitted, peaks cover the whole run.
      for (const p of workerdPids(child.pid!)) resetPeak(p);
      isolate?.resetPeak();
    },
    stateDir: state,
    logs: (msg) => lines.filter((l) => l.msg === msg),
    clearLogs: () => {
      lines = [];
    },
    kill() {
      isolate?.close();
      for (const p of [...descendants(child.pid!).reverse(), child.pid!]) {
        try {
          process.kill(p, "SIGKILL");
        } catch {
          // already gone
        }
      }
    },
    async stop() {
      isolate?.close();
      child.kill("SIGTERM");
      await new Promise((r) => setTimeout(r, 500));
      for (const p of workerdPids(child.pid!)) {
        try {
          process.kill(p, "SIGKILL");
        } catch {
          // already gone
        }
      }
      child.kill("SIGKILL");
      if (!options.stateDir) rmSync(state, { recursive: true, force: true });
    },
  };
}

/** Milliseconds per metric of a `server-timing` header (`total;dur=12.3, auth;dur=0.4`). */
export function serverTiming(headers: Headers): Record<string, number> {
  const out: Record<string, number> = {};
  for (const part of (headers.get("server-timing") ?? "").split(",")) {
    const m = /^\s*([\w-]+)(?:;.*?dur=([\d.]+))?/.exec(part);
    if (m && m[2] !== undefined) out[m[1]] = Number(m[2]);
  }
  return out;
}

/** JSON request helper with timing; paths under /admin use the admin token. */
export async function call(server: LocalServer, method: string, path: string, body?: unknown): Promise<{ status: number; body: any; ms: number; headers: Headers }> {
  const started = performance.now();
  const token = path.startsWith("/admin") ? server.adminToken : server.key;
  const res = await fetch(`${server.endpoint}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await res.text();
  const ms = performance.now() - started;
  let parsed: any = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // keep text
  }
  return { status: res.status, body: parsed, ms, headers: res.headers };
}

/** Waits until a namespace has flushed every write and has no compaction pending or running. */
export async function waitIdle(server: LocalServer, ns: string, timeoutMs = 30 * 60_000): Promise<any> {
  const started = Date.now();
  for (;;) {
    const d = await call(server, "GET", `/v1/namespaces/${ns}`);
    if (d.status !== 200) throw new Error(`describe ${ns}: ${d.status} ${JSON.stringify(d.body)}`);
    const s = d.body.storage;
    // idle: WAL flushed, compaction done, no index build running and no cluster due a rewrite
    // (queries measured during maintenance re-read the clusters it rewrites)
    const indexIdle = !s?.vector_build?.running && !(s?.vector_maintenance?.pending_clusters > 0);
    if (d.body.wal.entries === 0 && !s?.compaction.pending && !s?.compaction.running && indexIdle) return d.body;
    if (Date.now() - started > timeoutMs) throw new Error(`${ns} did not become idle`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Upserts documents in batches, retrying on 429; returns acknowledged documents per second. */
export async function ingest(server: LocalServer, ns: string, docs: Iterable<unknown>, batch = 500, writers = 2): Promise<number> {
  const it = docs[Symbol.iterator]();
  let total = 0;
  const started = performance.now();
  const next = (): unknown[] => {
    const out: unknown[] = [];
    for (let r = it.next(); !r.done; r = it.next()) {
      out.push(r.value);
      if (out.length >= batch) break;
    }
    return out;
  };
  await Promise.all(
    Array.from({ length: writers }, async () => {
      for (let documents = next(); documents.length > 0; documents = next()) {
        const body = JSON.stringify({ documents });
        for (;;) {
          const r = await call(server, "POST", `/v1/namespaces/${ns}/upsert`, body);
          if (r.status === 200) break;
          if (r.status !== 429) throw new Error(`upsert ${ns}: ${r.status} ${JSON.stringify(r.body)}`);
          await new Promise((res) => setTimeout(res, Number(r.headers.get("retry-after-ms") ?? 200)));
        }
        total += documents.length;
      }
    }),
  );
  return total / ((performance.now() - started) / 1000);
}
