/** `elacsym ns list|create|describe|delete`. */
import type { Command } from "commander";
import { createInterface } from "node:readline/promises";
import type { NamespaceDescription } from "../api-client.ts";
import { clientFor, integerOption, printJson } from "../command-context.ts";
import { parseJsonArgument } from "../query-request.ts";
import { renderTable } from "../table-format.ts";

export function describeText(d: NamespaceDescription): string {
  const wal = d.wal as { entries?: number; bytes?: number } | undefined;
  const index = d.index as { status?: string; unindexed_documents?: number } | undefined;
  const lines = [
    `namespace      ${d.name}`,
    `documents      ${d.documents ?? "?"}`,
    `vector         ${d.schema.vector ? `${d.schema.vector.dimensions} dims, ${d.schema.vector.metric}` : "none"}`,
    `id type        ${d.schema.id_type ?? "(set by the first write)"}`,
    `segments       ${d.segments ?? "?"}   manifest version ${d.manifest_version ?? "?"}`,
    `wal            ${wal?.entries ?? "?"} entries, ${wal?.bytes ?? "?"} bytes`,
    `index          ${index?.status ?? "?"}${index?.unindexed_documents ? ` (${index.unindexed_documents} unindexed)` : ""}`,
    `created        ${d.created_at ?? "?"}   updated ${d.updated_at ?? "?"}`,
  ];
  const attrs = Object.entries(d.schema.attributes ?? {});
  if (attrs.length) {
    lines.push("", renderTable(["attribute", "type", "filterable", "full text"], attrs.map(([name, a]) => [
      name,
      a.type,
      a.filterable === false ? "no" : "yes",
      a.full_text ? JSON.stringify(a.full_text) : "",
    ]), 60));
  }
  return lines.join("\n");
}

async function confirm(question: string, expected: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return (await rl.question(question)).trim() === expected;
  } finally {
    rl.close();
  }
}

export function registerNamespaceCommands(program: Command): void {
  const ns = program.command("ns").description("list, create, describe and delete namespaces");

  ns.command("list")
    .description("list namespaces")
    .option("--prefix <prefix>", "only names starting with this")
    .option("--limit <n>", "namespaces per page", integerOption(1, 1000), 100)
    .option("--all", "follow next_cursor through every page")
    .option("--stats", "describe each namespace (documents, segments, index state)")
    .option("--json", "print JSON")
    .action(async (opts: { prefix?: string; limit: number; all?: boolean; stats?: boolean; json?: boolean }, cmd: Command) => {
      const client = clientFor(cmd);
      const names: { name: string; created_at?: string }[] = [];
      let cursor: string | undefined;
      do {
        const page = await client.listNamespaces({ prefix: opts.prefix, cursor, limit: opts.limit });
        names.push(...page.namespaces);
        cursor = page.next_cursor;
      } while (opts.all && cursor);
      const described = opts.stats ? await Promise.all(names.map((n) => client.describeNamespace(n.name))) : null;
      if (opts.json) {
        printJson({ namespaces: described ?? names, ...(cursor && !opts.all ? { next_cursor: cursor } : {}) });
        return;
      }
      if (names.length === 0) {
        console.log("no namespaces");
        return;
      }
      if (described) {
        console.log(renderTable(["namespace", "documents", "segments", "vector", "index"], described.map((d) => [
          d.name, d.documents, d.segments, d.schema.vector ? `${d.schema.vector.dimensions}d ${d.schema.vector.metric}` : "", (d.index as { status?: string } | undefined)?.status ?? "",
        ])));
      } else {
        console.log(renderTable(["namespace", "created"], names.map((n) => [n.name, n.created_at ?? ""])));
      }
      if (cursor && !opts.all) console.log(`… more: --all, or --prefix to narrow (next cursor ${cursor})`);
    });

  ns.command("create <namespace>")
    .description("create a namespace (200 if it exists with the same schema, 409 with another)")
    .option("--schema <json>", "schema as JSON, @file or - (stdin): {\"vector\": {...}, \"attributes\": {...}}")
    .option("--dimensions <n>", "vector dimensions (instead of --schema)", integerOption(1, 4096))
    .option("--metric <metric>", "cosine | euclidean_squared | dot_product", "cosine")
    .option("--json", "print the description as JSON")
    .action(async (name: string, opts: { schema?: string; dimensions?: number; metric: string; json?: boolean }, cmd: Command) => {
      const client = clientFor(cmd);
      let schema: Record<string, unknown> = {};
      if (opts.schema) schema = parseJsonArgument(opts.schema, "--schema") as Record<string, unknown>;
      if (opts.dimensions) schema = { ...schema, vector: { dimensions: opts.dimensions, metric: opts.metric } };
      const d = await client.createNamespace(name, schema);
      if (opts.json) printJson(d);
      else console.log(`created ${name}\n\n${describeText(d)}`);
    });

  ns.command("describe <namespace>")
    .description("schema and stats of a namespace")
    .option("--json", "print JSON")
    .action(async (name: string, opts: { json?: boolean }, cmd: Command) => {
      const d = await clientFor(cmd).describeNamespace(name);
      if (opts.json) printJson(d);
      else console.log(describeText(d));
    });

  ns.command("delete <namespace>")
    .description("delete a namespace and all its data")
    .option("-y, --yes", "do not ask for confirmation")
    .action(async (name: string, opts: { yes?: boolean }, cmd: Command) => {
      const client = clientFor(cmd);
      if (!opts.yes) {
        if (!process.stdin.isTTY) throw new Error(`ns delete: pass --yes to delete '${name}' without a prompt`);
        if (!(await confirm(`Delete namespace '${name}' and all its documents? Type its name to confirm: `, name))) {
          console.error("not deleted");
          process.exitCode = 1;
          return;
        }
      }
      await client.deleteNamespace(name);
      console.log(`deleted ${name}`);
    });
}
