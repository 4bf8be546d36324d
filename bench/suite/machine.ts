/**
 * Describes the machine and software a benchmark ran on, read from the system and the installed
 * packages at run time (never typed in). Knows nothing about the workloads.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { cpus, loadavg, release, totalmem, type } from "node:os";
import { join } from "node:path";
import type { Machine } from "./results.ts";

const root = join(import.meta.dirname, "..", "..");

function packageVersion(name: string): string {
  try {
    return (JSON.parse(readFileSync(join(root, "node_modules", name, "package.json"), "utf8")) as { version: string }).version;
  } catch {
    return "not installed";
  }
}

function workerdVersion(): string {
  try {
    return execFileSync(join(root, "node_modules", ".bin", "workerd"), ["--version"], { encoding: "utf8" }).trim();
  } catch {
    return `npm package ${packageVersion("workerd")}`;
  }
}

function cpuModel(): string {
  try {
    const m = /model name\s*:\s*(.+)/.exec(readFileSync("/proc/cpuinfo", "utf8"));
    if (m) return m[1].trim();
  } catch {
    // not Linux
  }
  return cpus()[0]?.model ?? "unknown";
}

function gitCommit(): string {
  try {
    const head = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: root, encoding: "utf8" }).trim();
    const dirty = execFileSync("git", ["status", "--porcelain", "--untracked-files=no"], { cwd: root, encoding: "utf8" }).trim() !== "";
    return dirty ? `${head} + uncommitted changes` : head;
  } catch {
    return "unknown";
  }
}

export function describeMachine(): Machine {
  return {
    cpu: cpuModel(),
    cores: cpus().length,
    memoryBytes: totalmem(),
    loadStart: loadavg(),
    loadEnd: loadavg(),
    os: `${type()} ${release()}`,
    node: process.version,
    versions: {
      "elacsym (git)": gitCommit(),
      workerd: workerdVersion(),
      wrangler: packageVersion("wrangler"),
      "@lancedb/lancedb": packageVersion("@lancedb/lancedb"),
      "@orama/orama": packageVersion("@orama/orama"),
      "apache-arrow": packageVersion("apache-arrow"),
    },
  };
}
