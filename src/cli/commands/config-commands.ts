/** `elacsym config set|get|unset|path`: the endpoint and API key kept in the config file. */
import type { Command } from "commander";
import { CONFIG_KEYS, type StoredConfig, configPath, maskKey, normalizeEndpoint, readStoredConfig, resolveConfig, writeStoredConfig } from "../config-store.ts";
import type { GlobalOptions } from "../command-context.ts";

function storedKey(name: string): keyof StoredConfig {
  const key = (CONFIG_KEYS as Record<string, keyof StoredConfig>)[name];
  if (!key) throw new Error(`config: unknown setting '${name}' (use endpoint or key)`);
  return key;
}

export function registerConfigCommands(program: Command): void {
  const config = program.command("config").description("show or change the saved endpoint and API key");

  config
    .command("set <name> <value>")
    .description("save a setting: endpoint <url> | key <api key>")
    .action((name: string, value: string) => {
      const key = storedKey(name);
      const stored = readStoredConfig();
      stored[key] = key === "endpoint" ? normalizeEndpoint(value) : value.trim();
      const path = writeStoredConfig(stored);
      console.log(`saved ${name} in ${path}`);
    });

  config
    .command("unset <name>")
    .description("remove a saved setting")
    .action((name: string) => {
      const key = storedKey(name);
      const stored = readStoredConfig();
      delete stored[key];
      console.log(`removed ${name} from ${writeStoredConfig(stored)}`);
    });

  config
    .command("get [name]")
    .description("show the settings in effect and where each comes from (the key is masked)")
    .option("--show-key", "print the API key in full")
    .action((name: string | undefined, opts: { showKey?: boolean }, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOptions>();
      const resolved = resolveConfig({ endpoint: g.endpoint, apiKey: g.apiKey });
      const key = opts.showKey ? (resolved.apiKey ?? "(not set)") : maskKey(resolved.apiKey);
      if (name !== undefined) {
        console.log(storedKey(name) === "endpoint" ? resolved.endpoint : key);
        return;
      }
      console.log(`endpoint  ${resolved.endpoint}   (${resolved.sources.endpoint})`);
      console.log(`key       ${key}   (${resolved.sources.apiKey})`);
    });

  config
    .command("path")
    .description("print where the config file is")
    .action(() => console.log(configPath()));
}
