/** `elacsym query <namespace>`: vector, full-text or hybrid queries; results as a table or JSON. */
import type { Command } from "commander";
import type { QueryResponse } from "../api-client.ts";
import { clientFor, printJson } from "../command-context.ts";
import { type QueryFlags, buildQueryBody } from "../query-request.ts";
import { cellText, renderTable } from "../table-format.ts";

interface QueryCommandFlags extends QueryFlags {
  json?: boolean;
  showRequest?: boolean;
}

export function resultsText(r: QueryResponse): string {
  const attrNames = [...new Set(r.results.flatMap((x) => Object.keys(x.attributes ?? {})))];
  const withVector = r.results.some((x) => x.vector);
  const headers = ["#", "id", "score", ...attrNames, ...(withVector ? ["vector"] : [])];
  const rows = r.results.map((x, i) => [i + 1, x.id, x.score ?? null, ...attrNames.map((a) => x.attributes?.[a] ?? null), ...(withVector ? [x.vector] : [])]);
  const perf = Object.entries(r.performance ?? {}).map(([k, v]) => `${k}=${cellText(v)}`).join(" ");
  const table = r.results.length ? renderTable(headers, rows) : "no results";
  return `${table}\n\n${r.results.length} results in ${r.took_ms ?? "?"} ms${perf ? `  (${perf})` : ""}`;
}

export function registerQueryCommand(program: Command): void {
  program
    .command("query <namespace>")
    .description("run a vector, full-text or hybrid query (without --vector and --text: documents in id order)")
    .option("--vector <json>", "query vector: JSON array, @file or - (stdin)")
    .option("--text <query>", "full-text (BM25) query")
    .option("--fields <fields>", "full-text fields with optional weights, e.g. title:2,body (default: every full-text attribute)")
    .option("--filter <json>", "filter JSON, @file or -, e.g. '{\"field\":\"price\",\"op\":\"gte\",\"value\":10}'")
    .option("-k, --top-k <n>", "number of results", "10")
    .option("--include-vector", "return vectors")
    .option("--attributes <list>", "attributes to return: comma-separated names, true or false")
    .option("--consistency <level>", "strong (default) or eventual")
    .option("--rrf-k <k>", "hybrid: RRF constant k (server default 60)")
    .option("--vector-weight <w>", "hybrid: weight of the vector ranking")
    .option("--text-weight <w>", "hybrid: weight of the full-text ranking")
    .option("--show-request", "print the request body to stderr")
    .option("--json", "print the raw response as JSON")
    .action(async (namespace: string, flags: QueryCommandFlags, cmd: Command) => {
      const client = clientFor(cmd);
      const body = buildQueryBody(flags);
      if (flags.showRequest) process.stderr.write(JSON.stringify(body) + "\n");
      const r = await client.query(namespace, body);
      if (flags.json) printJson(r);
      else console.log(resultsText(r));
    });
}
