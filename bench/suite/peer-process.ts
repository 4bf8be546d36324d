/**
 * Runs a peer job in its own Node child process and samples that process's RSS from /proc, so the
 * peak memory reported belongs to that system and job alone. No knowledge of what the job does.
 */
import { fork } from "node:child_process";
import { join } from "node:path";
import { sampleMemory } from "../lib/proc.ts";
import type { PeerJob, PeerReply } from "./peer-child.ts";

/** Orama keeps vectors on the JS heap: give it room to hold 100k+ 768-d vectors. */
const HEAP_MB = 16_384;

export async function runPeer(job: PeerJob): Promise<PeerReply & { peak: number }> {
  const child = fork(join(import.meta.dirname, "peer-child.ts"), [JSON.stringify(job)], {
    execArgv: [`--max-old-space-size=${HEAP_MB}`],
    // LanceDB logs deprecation warnings per query through Rust's logger.
    env: { ...process.env, RUST_LOG: "error", LANCE_LOG: "error", LANCEDB_LOG: "error" },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const memory = sampleMemory(child.pid!);
  let reply: PeerReply | undefined;
  child.on("message", (m) => (reply = m as PeerReply));
  const code = await new Promise<number | null>((resolve) => child.on("exit", (c, signal) => resolve(c ?? (signal ? -1 : null))));
  const peak = memory.stop();
  if (!reply) throw new Error(`${job.system} ${job.kind} ${job.dataset}: child exited with ${code} before answering`);
  return { ...reply, peak: Math.max(peak, reply.selfPeak ?? 0) };
}
