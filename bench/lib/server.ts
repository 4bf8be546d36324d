/**
 * Starts the local server (`npm start`'s script) on a private port and state directory for a
 * benchmark, and reads the workerd process's memory from /proc. Or uses ELACSYM_ENDPOINT/KEY.
 */
import { type ChildProcess, execSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface LocalServer {
  endpoint: string;
  key: string;
  /** Peak and current resident memory of the workerd process (bytes). */
  memory(): { rss: number; peak: number };
  resetPeak(): void;
  stop(): Promise<void>;
}

function workerdPids(root: number): number[] {
  const out: number[] = [];
  const walk = (pid: number) => {
    let kids: number[] = [];
    try {
      kids = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
    } catch {
      return;
    }
    for (const k of kids) {
      try {
        if (readFileSync(`/proc/${k}/comm`, "utf8").trim().startsWith("workerd")) out.push(k);
      } catch {
        // gone
      }
      walk(k);
    }
  };
  walk(root);
  return out;
}

function statusField(pid: number, field: string): number {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) * 1024 : 0;
}

export async function startServer(options: { port?: number; vars?: Record<string, string> } = {}): Promise<LocalServer> {
  if (process.env.ELACSYM_ENDPOINT && process.env.ELACSYM_API_KEY) {
    return {
      endpoint: process.env.ELACSYM_ENDPOINT,
      key: process.env.ELACSYM_API_KEY,
      memory: () => ({ rss: NaN, peak: NaN }),
      resetPeak: () => {},
      stop: async () => {},
    };
  }
  const port = options.port ?? 8800 + Math.floor(Math.random() * 100);
  const state = mkdtempSync(join(tmpdir(), "elacsym-bench-"));
  const key = `elk_bench${Date.now()}`;
  const root = join(import.meta.dirname, "..", "..");
  const child: ChildProcess = spawn(process.execPath, [join(root, "scripts", "start.mjs")], {
    cwd: root,
    env: { ...process.env, PORT: String(port), ELACSYM_DEV_API_KEY: key, ELACSYM_STATE_DIR: state, ...options.vars },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${log}`)), 120_000);
    const onData = (b: Buffer) => {
      log += b.toString();
      if (log.includes("Ready on")) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", (b: Buffer) => (log += b.toString()));
    child.on("exit", (code) => reject(new Error(`server exited (${code}):\n${log}`)));
  });
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    key,
    memory() {
      const pids = workerdPids(child.pid!);
      return {
        rss: pids.reduce((s, p) => s + statusField(p, "VmRSS"), 0),
        peak: pids.reduce((s, p) => s + statusField(p, "VmHWM"), 0),
      };
    },
    resetPeak() {
      // Writing 5 to clear_refs resets VmHWM to the current RSS (Linux ≥ 4.0).
      for (const p of workerdPids(child.pid!)) {
        try {
          execSync(`echo 5 > /proc/${p}/clear_refs`);
        } catch {
          // not permitted: peaks then cover the whole run
        }
      }
    },
    async stop() {
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
      rmSync(state, { recursive: true, force: true });
    },
  };
}

/** JSON request helper with timing. */
export async function call(server: LocalServer, method: string, path: string, body?: unknown): Promise<{ status: number; body: any; ms: number; headers: Headers }> {
  const started = performance.now();
  const res = await fetch(`${server.endpoint}${path}`, {
    method,
    headers: { authorization: `Bearer ${server.key}`, "content-type": "application/json" },
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
