/**
 * What every command shares: the global options, the API client they imply, and option parsers.
 */
import { type Command, InvalidArgumentError } from "commander";
import { ElacsymClient } from "./api-client.ts";
import { resolveConfig } from "./config-store.ts";
import { DEFAULT_RETRY_POLICY } from "./retry-policy.ts";

export const VERSION = "0.1.0";

export interface GlobalOptions {
  endpoint?: string;
  apiKey?: string;
  timeout: number;
  maxRetries: number;
}

export function integerOption(min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`expected an integer from ${min} to ${max}`);
    return n;
  };
}

/** A client for the resolved endpoint and key; commands that need a key fail early without one. */
export function clientFor(command: Command): ElacsymClient {
  const g = command.optsWithGlobals<GlobalOptions>();
  const config = resolveConfig({ endpoint: g.endpoint, apiKey: g.apiKey });
  if (!config.apiKey) {
    throw new Error("no API key: run 'elacsym config set key <key>' or set ELACSYM_API_KEY (npm start prints the local development key)");
  }
  return new ElacsymClient({
    endpoint: config.endpoint,
    apiKey: config.apiKey,
    timeoutMs: g.timeout,
    retry: { ...DEFAULT_RETRY_POLICY, maxAttempts: g.maxRetries + 1 },
    userAgent: `elacsym-cli/${VERSION}`,
  });
}

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + "\n");
}
