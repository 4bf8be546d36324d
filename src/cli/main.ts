/**
 * `elacsym`: the command-line client. Parses arguments (commander), resolves the endpoint and key
 * (config-store.ts) and runs one command: config, ns, import or query. Node-only; the Worker
 * bundle never imports this directory.
 */
import { Command } from "commander";
import { ApiError } from "./api-client.ts";
import { VERSION, integerOption } from "./command-context.ts";
import { registerConfigCommands } from "./commands/config-commands.ts";
import { registerImportCommand } from "./commands/import-command.ts";
import { registerNamespaceCommands } from "./commands/namespace-commands.ts";
import { registerQueryCommand } from "./commands/query-command.ts";
import { DEFAULT_RETRY_POLICY } from "./retry-policy.ts";

export function buildProgram(): Command {
  const program = new Command("elacsym")
    .description("Command-line client for Elacsym: namespaces, bulk import, queries")
    .version(VERSION)
    .option("--endpoint <url>", "API endpoint (else ELACSYM_ENDPOINT, the config file, http://127.0.0.1:8787)")
    .option("--api-key <key>", "API key (else ELACSYM_API_KEY, the config file)")
    .option("--timeout <ms>", "timeout of one HTTP request", integerOption(1, 3_600_000), 120_000)
    .option("--max-retries <n>", "retries of a request on 429, 5xx and network errors", integerOption(0, 100), DEFAULT_RETRY_POLICY.maxAttempts - 1)
    .showHelpAfterError();
  registerConfigCommands(program);
  registerNamespaceCommands(program);
  registerImportCommand(program);
  registerQueryCommand(program);
  return program;
}

/** Runs the CLI; resolves to the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  program.exitOverride();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (err) {
    const e = err as Error & { code?: string; exitCode?: number };
    if (e.code?.startsWith("commander.")) return e.exitCode ?? 1;
    let message = e.message;
    if (err instanceof ApiError && err.status === 401) message += "\n(check the API key: 'elacsym config get')";
    process.stderr.write(`elacsym: ${message}\n`);
    return 1;
  }
}
