/**
 * Reading request bodies: size limit (before and while reading), gzip request bodies, and JSON
 * parsing with a 400 that says what is wrong.
 */
import type { Context } from "hono";
import { EngineError, InvalidArgumentError } from "../core/errors.ts";

export async function readJsonBody(c: Context, maxBytes: number): Promise<unknown> {
  const declared = Number(c.req.header("content-length") ?? "0");
  if (declared > maxBytes) {
    throw new EngineError("PAYLOAD_TOO_LARGE", `request: body of ${declared} bytes exceeds the limit of ${maxBytes} bytes; split the request`);
  }
  let stream = c.req.raw.body;
  if (!stream) throw new InvalidArgumentError("request: expected a JSON body");
  const encoding = (c.req.header("content-encoding") ?? "").toLowerCase();
  if (declared > 0 && (encoding === "" || encoding === "identity")) {
    // The runtime holds a body to its declared length: read it in one step rather than chunk by
    // chunk, each chunk being another turn of the event loop that background work can delay.
    return parseJson(await c.req.raw.text());
  }
  if (encoding === "gzip" || encoding === "deflate") {
    stream = stream.pipeThrough(new DecompressionStream(encoding) as unknown as ReadableWritablePair<Uint8Array, Uint8Array>);
  } else if (encoding && encoding !== "identity") {
    throw new InvalidArgumentError(`request: unsupported content-encoding '${encoding}' (use gzip or none)`);
  }
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) {
        await reader.cancel();
        throw new EngineError("PAYLOAD_TOO_LARGE", `request: body exceeds the limit of ${maxBytes} bytes; split the request`);
      }
      chunks.push(value);
    }
  } catch (err) {
    if (err instanceof EngineError) throw err;
    throw new InvalidArgumentError(`request: could not read the body (${(err as Error).message})`);
  }
  const bytes = new Uint8Array(total);
  let off = 0;
  for (const ch of chunks) {
    bytes.set(ch, off);
    off += ch.byteLength;
  }
  return parseJson(new TextDecoder().decode(bytes));
}

function parseJson(text: string): unknown {
  if (text.length === 0) throw new InvalidArgumentError("request: expected a JSON body");
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new InvalidArgumentError(`request: body is not valid JSON (${(err as Error).message})`);
  }
}
