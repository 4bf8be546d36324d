/**
 * Memory of the local Worker's V8 isolate, read through wrangler dev's DevTools inspector: the JS
 * heap in use plus ArrayBuffer backing stores, what the 128 MB isolate limit counts. Sampled, so a
 * peak inside one long synchronous step can be missed; the process RSS (proc.ts) is the other view.
 */

interface HeapUsage {
  usedSize: number;
  backingStorageSize?: number;
}

export interface IsolateMemory {
  /** Largest sample since start or the last resetPeak (bytes), NaN before the first sample. */
  peak(): number;
  /** Every sample since start or the last resetPeak: [Date.now() when answered, bytes]. */
  samples(): [number, number][];
  /** What stays after a full garbage collection (bytes): the isolate's retained caches and state. */
  liveAfterGc(): Promise<number>;
  /** Starts the samples (and so the peak) afresh from the latest one. */
  resetPeak(): void;
  close(): void;
}

/**
 * Samples every `intervalMs` until closed. With `collect`, each sample follows a full garbage
 * collection, so the peak is of live memory (what a step holds), at the price of slowing the
 * isolate down: use it in runs whose latencies are not the point. Resolves once connected, or null
 * if the inspector is not reachable.
 */
export async function sampleIsolateMemory(inspectorPort: number, intervalMs = 50, collect = false): Promise<IsolateMemory | null> {
  let url: string;
  try {
    const list = (await (await fetch(`http://127.0.0.1:${inspectorPort}/json`)).json()) as { webSocketDebuggerUrl: string }[];
    url = list[0].webSocketDebuggerUrl;
  } catch {
    return null;
  }
  // The inspector only accepts the DevTools front end's origin.
  const ws = new WebSocket(url, { headers: { Origin: "https://devtools.devprod.cloudflare.dev" } } as never);
  const opened = await new Promise<boolean>((resolve) => {
    ws.addEventListener("open", () => resolve(true));
    ws.addEventListener("error", () => resolve(false));
  });
  if (!opened) return null;
  let id = 0;
  const waiting = new Map<number, (result: unknown) => void>();
  ws.addEventListener("message", (e) => {
    const m = JSON.parse(String(e.data)) as { id?: number; result?: unknown };
    const done = m.id === undefined ? undefined : waiting.get(m.id);
    if (done) {
      waiting.delete(m.id!);
      done(m.result ?? null);
    }
  });
  const send = (method: string) =>
    new Promise<unknown>((resolve) => {
      const i = ++id;
      waiting.set(i, resolve);
      ws.send(JSON.stringify({ id: i, method }));
    });
  /** Heap in use + ArrayBuffer backing stores, after a full collection when `gc`; NaN if unanswered. */
  const measure = async (gc: boolean): Promise<number> => {
    if (gc) await send("HeapProfiler.collectGarbage");
    const u = (await send("Runtime.getHeapUsage")) as HeapUsage | null;
    return u ? u.usedSize + (u.backingStorageSize ?? 0) : NaN;
  };
  // 20/s: an hour of samples is 72k pairs
  let samples: [number, number][] = [];
  let inFlight = false;
  const sample = async (gc: boolean) => {
    // a busy isolate answers late: one request at a time
    if (inFlight || ws.readyState !== WebSocket.OPEN) return;
    inFlight = true;
    const bytes = await measure(gc);
    inFlight = false;
    if (!Number.isNaN(bytes)) samples.push([Date.now(), bytes]);
  };
  // the first sample without a collection: the inspector answers a collection only once the
  // Worker has run (its first request), and a collecting sample waits for that in the background
  await sample(false);
  const timer = setInterval(() => void sample(collect), intervalMs);
  timer.unref();
  return {
    peak: () => samples.reduce((m, [, b]) => (b > m || Number.isNaN(m) ? b : m), NaN),
    samples: () => samples,
    liveAfterGc: () => measure(true),
    resetPeak: () => {
      samples = samples.slice(-1);
    },
    close: () => {
      clearInterval(timer);
      ws.close();
    },
  };
}
