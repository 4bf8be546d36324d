/** Runs the `elacsym` CLI as a child process, the way a user does, with an isolated config dir. */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../..", import.meta.url));
export const CLI = `${ROOT}src/cli/elacsym.mjs`;
/** The pinned Node (type stripping), whatever Node runs the tests. */
const NODE = existsSync(`${ROOT}node_modules/.bin/node`) ? `${ROOT}node_modules/.bin/node` : process.execPath;

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliEnv {
  endpoint: string;
  apiKey: string;
  configDir: string;
}

export interface RunningCli {
  child: ChildProcess;
  done: Promise<CliResult>;
  /** Output so far. */
  stderr(): string;
}

export function startCli(args: string[], env: CliEnv): RunningCli {
  const child = spawn(NODE, [CLI, ...args], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      HOME: env.configDir,
      ELACSYM_ENDPOINT: env.endpoint,
      ELACSYM_API_KEY: env.apiKey,
      ELACSYM_CONFIG_DIR: env.configDir,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d) => (stdout += d));
  child.stderr!.on("data", (d) => (stderr += d));
  const done = new Promise<CliResult>((resolve) => child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, done, stderr: () => stderr };
}

export function runCli(args: string[], env: CliEnv): Promise<CliResult> {
  return startCli(args, env).done;
}
