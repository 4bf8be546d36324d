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
  /** The latest sample (bytes). */
  current(): number;
  /** Every sample since start or the last resetPeak: [Date.now() when answered, bytes]. */
  samples(): [number, number][];
  /** What stays after a full garbage collection (bytes): the isolate's retained caches and state. */
  liveAfterGc(): Promise<number>;
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
  const total = (u: HeapUsage) => u.usedSize + (u.backingStorageSize ?? 0);
  let peak = NaN;
  let current = NaN;
  let samples: [number, number][] = [];
  let inFlight = false;
  const sample = async () => {
    // a busy isolate answers late: one request at a time
    if (inFlight || ws.readyState !== WebSocket.OPEN) return;
    inFlight = true;
    if (collect) await send("HeapProfiler.collectGarbage");
    const usage = (await send("Runtime.getHeapUsage")) as HeapUsage | null;
    inFlight = false;
    if (!usage) return;
    current = total(usage);
    // 20/s: an hour of samples is 72k pairs
    samples.push([Date.now(), current]);
    if (!(current <= peak)) peak = current;
  };
  // the first sample without a collection: the inspector answers a collection only once the
  // Worker has run (its first request), and a collecting sample waits for that in the background
  const first = collect;
  collect = false;
  await sample();
  collect = first;
  const timer = setInterval(() => void sample(), intervalMs);
  timer.unref();
  return {
    peak: () => peak,
    current: () => current,
    liveAfterGc: async () => {
      await send("HeapProfiler.collectGarbage");
      const usage = (await send("Runtime.getHeapUsage")) as HeapUsage | null;
      return usage ? total(usage) : NaN;
    },
    samples: () => samples,
    resetPeak: () => {
      samples = [];
      peak = current;
    },
    close: () => {
      clearInterval(timer);
      ws.close();
    },
  };
}
