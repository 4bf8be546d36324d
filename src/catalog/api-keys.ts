/**
 * API key material: generating keys, the lookup digest that finds a key's row, the salted hash that
 * proves it, and a constant-time comparison. Keys themselves are never stored or logged.
 */

const encoder = new TextEncoder();

function hex(bytes: ArrayBuffer | Uint8Array): string {
  return Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, "0")).join("");
}

export function randomToken(bytes: number): string {
  return hex(crypto.getRandomValues(new Uint8Array(bytes)));
}

/** A new API key: "elk_" + 40 random hex digits (160 bits). */
export function generateApiKey(): string {
  return `elk_${randomToken(20)}`;
}

async function sha256Hex(text: string): Promise<string> {
  return hex(await crypto.subtle.digest("SHA-256", encoder.encode(text)));
}

/** An unsalted digest of the key: its first 16 hex digits find candidate rows; it proves nothing. */
export async function keyDigest(key: string): Promise<string> {
  return sha256Hex(`elacsym-lookup:${key}`);
}

export async function keyLookup(key: string): Promise<string> {
  return (await keyDigest(key)).slice(0, 16);
}

export async function keyHash(salt: string, key: string): Promise<string> {
  return sha256Hex(`${salt}:${key}`);
}

/** Compares two strings in time independent of where they differ. */
export function constantTimeEqual(a: string, b: string): boolean {
  const x = encoder.encode(a);
  const y = encoder.encode(b);
  let diff = x.length ^ y.length;
  const n = Math.max(x.length, y.length);
  for (let i = 0; i < n; i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}
