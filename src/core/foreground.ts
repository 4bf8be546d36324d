/**
 * Requests in flight in this isolate, so that background work (a Durable Object's alarm: flush,
 * compaction, index maintenance) can let them finish before it starts its next storage operation.
 *
 * Why: locally (wrangler dev) the Worker, the Durable Objects and the R2 emulation share one thread.
 * A request needs many turns of the event loop (its body arrives in chunks, then authentication,
 * the rate lease, the Durable Object call, the durable commit), and during background work each
 * turn used to wait behind the next piece of it — every R2 put of the emulation alone is ~12 ms of
 * CPU per MiB — so a 100-document write that arrived during index maintenance took seconds. With
 * the gate, background work waits at its next storage operation until no request is in flight (or
 * `maxWaitMs` passed), so a request waits for at most the piece that was running when it arrived.
 * It is not a timer-based yield inside CPU loops: nothing waits when no request is in flight.
 *
 * In production a Durable Object runs in its own isolate; there the count covers the object's own
 * RPCs (rpc-result.ts `capture`), and the Worker's requests count in the Worker's isolate.
 */
let active = 0;
/**
 * How often waiting background work looks again. It polls rather than being woken by the request
 * that leaves: that request runs in another context (the Worker's, or another Durable Object
 * call's), and workerd does not let one context resolve a promise another one waits on.
 */
const POLL_MS = 2;

/** Marks one request in flight; call the returned function once when it is done. */
export function enterForeground(): () => void {
  active++;
  let left = false;
  return () => {
    if (left) return;
    left = true;
    active--;
  };
}

/** Requests in flight in this isolate. */
export function foregroundRequests(): number {
  return active;
}

let lastYield = 0;

/**
 * What background work awaits before each storage operation. While a request is in flight it
 * waits until none is (or `maxWaitMs` passed), then one timer turn. Otherwise it goes on at once,
 * unless `sliceMs` passed since the last timer turn: then it takes one. The timer turn is what
 * lets the runtime poll its sockets: background work that only talks to in-process services (the
 * Durable Object's SQLite, the local R2 emulation) never leaves the event loop's ready queue, and
 * new requests and the bodies of responses already sent stalled behind it for seconds. At most one
 * turn per storage operation (never inside CPU loops), and none of the background work proceeds
 * while a request is in flight, so a request waits for the background piece it arrived during and
 * not for one per turn of its own.
 */
export async function foregroundIdle(maxWaitMs: number, sliceMs = 0): Promise<void> {
  if (active === 0 && Date.now() - lastYield < sliceMs) return;
  const deadline = Date.now() + maxWaitMs;
  while (active > 0 && Date.now() < deadline) await sleep(POLL_MS);
  await sleep(0);
  lastYield = Date.now();
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
