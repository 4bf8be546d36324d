/**
 * The result shape of every Durable Object RPC method. Thrown errors lose everything but name and
 * message across RPC, so expected failures travel as values and become typed errors on the Worker.
 */
import { type ErrorValue, fromErrorValue, toErrorValue } from "../src/core/errors.ts";
import { enterForeground } from "../src/core/foreground.ts";

export type Result<T> = { ok: true; value: T } | { ok: false; error: ErrorValue };

export function ok<T>(value: T): Result<T> {
  return { ok: true, value };
}

export function failure(err: unknown): { ok: false; error: ErrorValue } {
  return { ok: false, error: toErrorValue(err) };
}

/**
 * Runs `fn`, turning any thrown error into a failure value. The call counts as a request in flight
 * (src/core/foreground.ts): the object's background work lets it finish first.
 */
export async function capture<T>(fn: () => T | Promise<T>): Promise<Result<T>> {
  const leave = enterForeground();
  try {
    return ok(await fn());
  } catch (err) {
    const error = toErrorValue(err);
    if (error.code === "INTERNAL") console.error(JSON.stringify({ msg: "durable object error", error: String((err as Error)?.stack ?? err) }));
    return { ok: false, error };
  } finally {
    leave();
  }
}

/** On the Worker side: the value, or the typed error thrown. */
export function unwrap<T>(r: Result<T>): T {
  if (r.ok) return r.value;
  throw fromErrorValue(r.error);
}
