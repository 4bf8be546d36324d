/**
 * Typed engine errors. The core throws these; only `src/api/errors.ts` maps codes to HTTP statuses.
 * Messages start with the subsystem and carry the offending values, e.g. `wal: crc mismatch at seq 7`.
 */

export type ErrorCode =
  | "INVALID_ARGUMENT"
  | "UNAUTHENTICATED"
  | "PERMISSION_DENIED"
  | "NAMESPACE_NOT_FOUND"
  | "NOT_FOUND"
  | "CONFLICT"
  | "PAYLOAD_TOO_LARGE"
  | "BACKPRESSURE"
  | "RATE_LIMITED"
  | "QUOTA_EXCEEDED"
  | "DATA_CORRUPTION"
  | "UNAVAILABLE"
  | "INTERNAL";

export class EngineError extends Error {
  readonly code: ErrorCode;
  /** Milliseconds a client should wait before retrying (backpressure and rate limits). */
  readonly retryAfterMs?: number;
  constructor(code: ErrorCode, message: string, retryAfterMs?: number) {
    super(message);
    this.name = "EngineError";
    this.code = code;
    this.retryAfterMs = retryAfterMs;
  }
}

export class InvalidArgumentError extends EngineError {
  constructor(message: string) {
    super("INVALID_ARGUMENT", message);
    this.name = "InvalidArgumentError";
  }
}

export class NamespaceNotFoundError extends EngineError {
  constructor(namespace: string) {
    super("NAMESPACE_NOT_FOUND", `namespace '${namespace}' not found`);
    this.name = "NamespaceNotFoundError";
  }
}

export class ConflictError extends EngineError {
  constructor(message: string) {
    super("CONFLICT", message);
    this.name = "ConflictError";
  }
}

export class DataCorruptionError extends EngineError {
  constructor(message: string) {
    super("DATA_CORRUPTION", message);
    this.name = "DataCorruptionError";
  }
}

export class BackpressureError extends EngineError {
  constructor(message: string, retryAfterMs: number) {
    super("BACKPRESSURE", message, retryAfterMs);
    this.name = "BackpressureError";
  }
}

/** The wire form of an error: what crosses Durable Object RPC (only name and message survive a throw). */
export interface ErrorValue {
  code: ErrorCode;
  message: string;
  retryAfterMs?: number;
}

export function toErrorValue(err: unknown): ErrorValue {
  if (err instanceof EngineError) {
    return { code: err.code, message: err.message, retryAfterMs: err.retryAfterMs };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { code: "INTERNAL", message };
}

export function fromErrorValue(value: ErrorValue): EngineError {
  return new EngineError(value.code, value.message, value.retryAfterMs);
}
