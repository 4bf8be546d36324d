/**
 * Process memory from Linux /proc: resident and peak resident size of a process tree, descendants
 * of a pid, and a sampler that tracks a child's peak. Says nothing about what the process does.
 */
import { readFileSync, writeFileSync } from "node:fs";

export function descendants(root: number): number[] {
  const out: number[] = [];
  const walk = (pid: number) => {
    let kids: number[] = [];
    try {
      kids = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
    } catch {
      return;
    }
    for (const k of kids) {
      out.push(k);
      walk(k);
    }
  };
  walk(root);
  return out;
}

export function processName(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, "utf8").trim();
  } catch {
    return "";
  }
}

/** A `VmRSS` / `VmHWM`-style field of /proc/<pid>/status in bytes (0 once the process is gone). */
export function statusBytes(pid: number | "self", field: "VmRSS" | "VmHWM"): number {
  try {
    const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Resets VmHWM to the current RSS (writing 5 to clear_refs, Linux ≥ 4.0); false if not permitted. */
export function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, "5");
    return true;
  } catch {
    return false;
  }
}

/**
 * Polls a process's RSS while it runs. VmHWM alone would be lost when the process exits, so the
 * sampler keeps the largest VmHWM / VmRSS it has seen.
 */
export function sampleMemory(pid: number, everyMs = 200): { peak(): number; stop(): number } {
  let peak = 0;
  const tick = () => (peak = Math.max(peak, statusBytes(pid, "VmHWM"), statusBytes(pid, "VmRSS")));
  tick();
  const timer = setInterval(tick, everyMs);
  timer.unref();
  return {
    peak: () => (tick(), peak),
    stop: () => {
      tick();
      clearInterval(timer);
      return peak;
    },
  };
}
