/**
 * Renders the OpenAPI document as one self-contained HTML page: operations grouped by tag with their
 * parameters, request schema, example and responses, then every component schema. No script and no
 * external resource, so it works offline and under a strict Content-Security-Policy. Not here:
 * building the document (document.ts).
 */
import type { OpenApiDocument } from "./document.ts";

type Json = Record<string, unknown>;

function esc(text: unknown): string {
  return String(text).replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/** Inline markdown of descriptions: only `code`. */
function prose(text: unknown): string {
  return esc(text ?? "").replace(/`([^`]+)`/g, "<code>$1</code>");
}

/** Indented JSON with arrays of scalars (vectors, tags) kept on one line. */
function compactJson(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(/\[[^[\]{}]*\]/g, (arr) => arr.replace(/\s*\n\s*/g, " ").replace(/\[ /, "[").replace(/ \]$/, "]"));
}

function refName(ref: string): string {
  return ref.slice(ref.lastIndexOf("/") + 1);
}

/** A one-line type: `string`, `integer 1–10000`, `array of Filter`, `"a" | "b"`, a link for refs. */
function typeOf(s: Json): string {
  if (typeof s.$ref === "string") return `<a href="#schema-${esc(refName(s.$ref))}">${esc(refName(s.$ref))}</a>`;
  if (Array.isArray(s.enum)) return s.enum.map((v) => `<code>${esc(JSON.stringify(v))}</code>`).join(" | ");
  if ("const" in s) return `<code>${esc(JSON.stringify(s.const))}</code>`;
  const alternatives = (s.anyOf ?? s.oneOf) as Json[] | undefined;
  if (alternatives) return alternatives.map((a) => (a.title ? esc(a.title) : typeOf(a))).join(" | ");
  const type = Array.isArray(s.type) ? s.type.join(" | ") : (s.type as string | undefined);
  if (type === "array") {
    if (Array.isArray(s.prefixItems)) return `[${(s.prefixItems as Json[]).map(typeOf).join(", ")}]`;
    return `array of ${s.items ? typeOf(s.items as Json) : "any"}`;
  }
  if (type === "object" && !s.properties && s.additionalProperties && typeof s.additionalProperties === "object") {
    const values = s.additionalProperties as Json;
    return Object.keys(values).length ? `map of ${typeOf(values)}` : "object";
  }
  return esc(type ?? "any");
}

function constraints(s: Json): string {
  const out: string[] = [];
  const range = (lo: unknown, hi: unknown, unit: string) => {
    if (lo !== undefined && hi !== undefined) out.push(`${lo}–${hi}${unit}`);
    else if (lo !== undefined) out.push(`≥ ${lo}${unit}`);
    else if (hi !== undefined) out.push(`≤ ${hi}${unit}`);
  };
  range(s.minimum, s.maximum, "");
  range(s.minItems, s.maxItems, " items");
  range(s.minLength, s.maxLength, " characters");
  if (s.pattern) out.push(`pattern <code>${esc(s.pattern)}</code>`);
  if (s.format) out.push(esc(s.format));
  if (s.default !== undefined) out.push(`default <code>${esc(JSON.stringify(s.default))}</code>`);
  return out.join(", ");
}

/** An object schema's fields as a table; nested objects (not refs) get their own table. */
function fieldsTable(s: Json, depth: number): string {
  const props = s.properties as Record<string, Json> | undefined;
  if (!props) return "";
  const required = new Set((s.required as string[] | undefined) ?? []);
  const rows = Object.entries(props).map(([name, p]) => {
    const nested = depth < 3 && (p.properties || (p.items as Json | undefined)?.properties) ? fieldsTable((p.properties ? p : p.items) as Json, depth + 1) : "";
    const notes = [p.description ? prose(p.description) : "", constraints(p)].filter(Boolean).join("<br>");
    return `<tr><td><code>${esc(name)}</code>${required.has(name) ? ' <span class="req">required</span>' : ""}</td><td>${typeOf(p)}</td><td>${notes}${nested}</td></tr>`;
  });
  const extra = s.additionalProperties && typeof s.additionalProperties === "object" && Object.keys(s.additionalProperties as Json).length
    ? `<tr><td><em>other keys</em></td><td>${typeOf(s.additionalProperties as Json)}</td><td></td></tr>`
    : "";
  return `<table class="fields"><tr><th>field</th><th>type</th><th>notes</th></tr>${rows.join("")}${extra}</table>`;
}

function schemaBlock(s: Json): string {
  const head = s.properties ? "" : `${typeOf(s)}${constraints(s) ? ` — ${constraints(s)}` : ""}`;
  const parts = head ? [`<p class="type">${head}</p>`] : [];
  if (s.description) parts.push(`<p>${prose(s.description)}</p>`);
  for (const alt of ((s.anyOf ?? s.oneOf) as Json[] | undefined) ?? []) {
    if (alt.properties) parts.push(`<p class="alt">${esc(alt.title ?? "")}</p>${fieldsTable(alt, 1)}`);
  }
  parts.push(fieldsTable(s, 1));
  if (s.example !== undefined) parts.push(`<pre>${esc(compactJson(s.example))}</pre>`);
  else if (Array.isArray(s.examples) && s.examples.length) parts.push(`<pre>${esc(compactJson(s.examples[0]))}</pre>`);
  return parts.join("");
}

function curl(method: string, path: string, op: Json): string {
  const body = ((op.requestBody as Json | undefined)?.content as Record<string, Json> | undefined)?.["application/json"]?.example;
  const params = (op.parameters as Json[] | undefined) ?? [];
  let url = path;
  for (const p of params) if (p.in === "path" && p.example !== undefined) url = url.replace(`{${p.name}}`, String(p.example));
  const query = params.filter((p) => p.in === "query" && p.example !== undefined).map((p) => `${p.name}=${encodeURIComponent(String(p.example))}`);
  const auth = (op.security as Json[]).length ? ` \\\n  -H "Authorization: Bearer $${Object.keys((op.security as Json[])[0])[0] === "adminToken" ? "ELACSYM_ADMIN_TOKEN" : "ELACSYM_API_KEY"}"` : "";
  const data = body === undefined ? "" : ` \\\n  -H "content-type: application/json" \\\n  -d '${compactJson(body)}'`;
  return `curl -X ${method.toUpperCase()} "$ELACSYM_URL${url}${query.length ? `?${query.join("&")}` : ""}"${auth}${data}`;
}

/** A request body: the link to its component, then the component's fields. */
function requestBlock(s: Json, components: Record<string, Json>): string {
  if (typeof s.$ref !== "string") return schemaBlock(s);
  const target = components[refName(s.$ref)];
  return `<p class="type">${typeOf(s)}</p>${target ? schemaBlock({ ...target, example: undefined, examples: undefined }) : ""}`;
}

function operationSection(method: string, path: string, op: Json, components: Record<string, Json>): string {
  const params = (op.parameters as Json[] | undefined) ?? [];
  const paramRows = params
    .map((p) => `<tr><td><code>${esc(p.name)}</code> <span class="in">${esc(p.in)}</span>${p.required ? ' <span class="req">required</span>' : ""}</td><td>${typeOf(p.schema as Json)}</td><td>${[p.description ? prose(p.description) : "", constraints(p.schema as Json)].filter(Boolean).join("<br>")}</td></tr>`)
    .join("");
  const body = (op.requestBody as Json | undefined)?.content as Record<string, Json> | undefined;
  const responses = Object.entries(op.responses as Record<string, Json>)
    .map(([status, r]) => {
      const content = r.content as Record<string, Json> | undefined;
      const [type, media] = content ? Object.entries(content)[0] : [undefined, undefined];
      const schema = media?.schema ? ` — ${typeOf(media.schema as Json)}` : type ? ` — <code>${esc(type)}</code>` : "";
      return `<li><span class="status s${status[0]}">${esc(status)}</span> ${prose(r.description)}${schema}</li>`;
    })
    .join("");
  const security = (op.security as Json[]).length ? Object.keys((op.security as Json[])[0])[0] : "none";
  return `<section class="op" id="${esc(op.operationId)}">
<h3><span class="method ${esc(method)}">${esc(method.toUpperCase())}</span> <code>${esc(path)}</code></h3>
<p class="summary">${esc(op.summary)} <span class="auth">auth: ${esc(security)}</span></p>
${op.description ? `<p>${prose(op.description)}</p>` : ""}
${paramRows ? `<h4>Parameters</h4><table class="fields"><tr><th>name</th><th>type</th><th>notes</th></tr>${paramRows}</table>` : ""}
${body ? `<h4>Request body</h4>${requestBlock(body["application/json"].schema as Json, components)}` : ""}
<h4>Example</h4><pre>${esc(curl(method, path, op))}</pre>
<h4>Responses</h4><ul class="responses">${responses}</ul>
</section>`;
}

const STYLE = `body{font:15px/1.5 system-ui,sans-serif;margin:0;color:#1d2433;display:flex}
nav{width:280px;flex:none;height:100vh;overflow:auto;position:sticky;top:0;background:#f4f6fa;padding:16px;box-sizing:border-box;font-size:13px}
nav a{display:block;color:#1d2433;text-decoration:none;padding:2px 0}nav h2{font-size:13px;margin:14px 0 4px;text-transform:uppercase;color:#5a6578}
main{flex:1;max-width:980px;padding:24px 40px}h1{margin-top:0}h2.tag{border-bottom:2px solid #dde3ec;padding-bottom:4px;margin-top:40px}
.op{border:1px solid #dde3ec;border-radius:8px;padding:8px 18px;margin:18px 0}.op h3{font-size:16px;margin:8px 0}
.method{display:inline-block;min-width:58px;text-align:center;border-radius:4px;color:#fff;font-size:12px;padding:2px 6px}
.get{background:#2f7d32}.post{background:#1565c0}.put{background:#8e24aa}.patch{background:#ef6c00}.delete{background:#c62828}
.summary{font-weight:600}.auth,.in{font-weight:400;color:#5a6578;font-size:12px}.req{color:#c62828;font-size:11px}
table.fields{border-collapse:collapse;width:100%;font-size:13px;margin:6px 0}table.fields td,table.fields th{border:1px solid #e3e8ef;padding:4px 6px;vertical-align:top;text-align:left}
pre{background:#0f172a;color:#e2e8f0;padding:10px;border-radius:6px;overflow:auto;font-size:12.5px}code{font-size:92%}
.status{display:inline-block;min-width:34px;font-weight:600}.s2{color:#2f7d32}.s4{color:#c62828}.s5{color:#8e24aa}.type{color:#5a6578}.alt{font-weight:600;margin-bottom:0}`;

/** The whole page; `document` is the OpenAPI document served at /openapi.json. */
export function renderReferencePage(document: OpenApiDocument): string {
  const byTag = new Map<string, string[]>();
  const nav = new Map<string, string[]>();
  for (const [path, methods] of Object.entries(document.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const tag = (op.tags as string[])[0];
      (byTag.get(tag) ?? byTag.set(tag, []).get(tag)!).push(operationSection(method, path, op, document.components.schemas));
      (nav.get(tag) ?? nav.set(tag, []).get(tag)!).push(`<a href="#${esc(op.operationId)}">${esc(method.toUpperCase())} ${esc(path)}</a>`);
    }
  }
  const tags = document.tags.filter((t) => byTag.has(t.name as string));
  const schemas = Object.entries(document.components.schemas)
    .map(([name, s]) => `<section class="op" id="schema-${esc(name)}"><h3>${esc(name)}</h3>${schemaBlock(s)}</section>`)
    .join("");
  const info = document.info;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(info.title)} API reference</title><style>${STYLE}</style></head><body>
<nav><strong>${esc(info.title)} ${esc(info.version)}</strong><a href="/openapi.json">openapi.json</a>
${tags.map((t) => `<h2>${esc(t.name)}</h2>${nav.get(t.name as string)!.join("")}`).join("")}<h2>Schemas</h2><a href="#schemas">All schemas</a></nav>
<main><h1>${esc(info.title)} API reference</h1><p>${prose(info.description)}</p>
<p>The machine-readable form is <a href="/openapi.json"><code>/openapi.json</code></a> (OpenAPI ${esc(document.openapi)}). Examples use <code>$ELACSYM_URL</code>, <code>$ELACSYM_API_KEY</code> and <code>$ELACSYM_ADMIN_TOKEN</code>.</p>
${tags.map((t) => `<h2 class="tag" id="tag-${esc(t.name)}">${esc(t.name)}</h2><p>${prose(t.description)}</p>${byTag.get(t.name as string)!.join("")}`).join("")}
<h2 class="tag" id="schemas">Schemas</h2>${schemas}</main></body></html>`;
}
