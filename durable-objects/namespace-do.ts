/** The namespace Durable Object: single writer of one namespace's WAL, id index and manifest. */
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../src/env.ts";

export class NamespaceDO extends DurableObject<Env> {}
