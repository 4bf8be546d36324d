/**
 * Named durations of one operation (a request in the Worker, a write in the Durable Object, an
 * alarm step), for the `server-timing` header, `took_ms` and logs.
 *
 * Timed with `performance.now()`. Locally (wrangler dev, the tests) the clock advances with CPU
 * work; in production the Workers runtime advances it only when I/O completes, so there the
 * figures count time spent waiting (storage, RPC, the network) and CPU-only stages read 0.
 */
export class StageTimer {
  readonly started: number;
  private last: number;
  /** Milliseconds per stage, in the order stages were first seen (repeated stages add up). */
  readonly stages: Record<string, number> = {};

  constructor(started = performance.now()) {
    this.started = started;
    this.last = started;
  }

  /** Ends the current stage as `name` (the time since the previous lap or the start). */
  lap(name: string): void {
    const now = performance.now();
    this.stages[name] = (this.stages[name] ?? 0) + (now - this.last);
    this.last = now;
  }

  /** Adds a duration measured elsewhere (e.g. reported by a Durable Object) without moving the lap. */
  add(name: string, ms: number): void {
    this.stages[name] = (this.stages[name] ?? 0) + ms;
  }

  /** Milliseconds from the start to the last lap (the stages' sum). */
  lapped(): number {
    return this.last - this.started;
  }

  /** Milliseconds since the start. */
  elapsed(): number {
    return performance.now() - this.started;
  }
}

/** Milliseconds rounded to 0.01 (timings travel in JSON and headers). */
export function roundMs(ms: number): number {
  return Math.round(ms * 100) / 100;
}

/**
 * A `server-timing` header value (W3C Server Timing): `total;dur=12.34, auth;dur=0.41, …`. Stage
 * names are tokens (letters, digits, `-`, `_`).
 */
export function serverTimingHeader(total: number, stages: Readonly<Record<string, number>>): string {
  const parts = [`total;dur=${roundMs(total)}`];
  for (const [name, ms] of Object.entries(stages)) parts.push(`${name};dur=${roundMs(ms)}`);
  return parts.join(", ");
}
