// Browser side of the console: login, the namespace list with stats, browsing documents in id
// order (pages continue after the last id seen, with an `id gt` filter) and running vector,
// full-text and hybrid queries. Served as /console/assets/console.js.
import { ApiError, api, forgetKey, saveKey, savedKey } from "./api.js";
import { el, formatBytes, formatValue, renderDocuments, renderTimings } from "./render.js";

const $ = (id) => document.getElementById(id);
const NS_PAGE = 50;
const DESCRIBE_CONCURRENCY = 4;

const state = {
  nsCursor: null,
  current: null, // description of the selected namespace
  browse: { after: [null], page: 0 },
};

// ── feedback ──────────────────────────────────────────────────────────────
function showError(err) {
  if (err instanceof ApiError && err.status === 401) {
    logout("Your API key was rejected (401). Log in again.");
    return;
  }
  const banner = $("banner");
  banner.textContent = err instanceof Error ? err.message : String(err);
  banner.hidden = false;
}

function clearError() {
  $("banner").hidden = true;
}

async function guarded(fn) {
  clearError();
  try {
    await fn();
  } catch (err) {
    showError(err);
  }
}

// ── login ─────────────────────────────────────────────────────────────────
function showLogin(message) {
  $("app-view").hidden = true;
  $("logout").hidden = true;
  $("whoami").textContent = "";
  $("login-view").hidden = false;
  $("login-endpoint").textContent = location.origin;
  $("login-error").textContent = message ?? "";
  $("login-error").hidden = !message;
  $("api-key").focus();
}

function logout(message) {
  forgetKey();
  clearError();
  showLogin(message);
}

async function login(event) {
  event.preventDefault();
  const key = $("api-key").value.trim();
  if (!key) return;
  saveKey(key);
  try {
    await api.listNamespaces({ limit: 1 });
  } catch (err) {
    forgetKey();
    const message = err instanceof ApiError && err.status === 401 ? "That API key is not valid here." : err.message;
    showLogin(message);
    return;
  }
  $("api-key").value = "";
  await showApp();
}

async function showApp() {
  $("login-view").hidden = true;
  $("app-view").hidden = false;
  $("logout").hidden = false;
  const key = savedKey() ?? "";
  $("whoami").textContent = `key ${key.slice(0, 4)}…${key.slice(-4)}`;
  await guarded(() => loadNamespaces(true));
}

// ── namespace list ────────────────────────────────────────────────────────
async function mapLimit(items, limit, fn) {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]);
  });
  await Promise.all(workers);
}

function nsMeta(d) {
  const parts = [`${formatValue(d.documents)} docs`, `${formatValue(d.segments)} segments`];
  if (d.schema?.vector) parts.push(`${d.schema.vector.dimensions}d ${d.schema.vector.metric}`);
  if (d.index?.status) parts.push(d.index.status);
  return parts.join(" · ");
}

async function loadNamespaces(reset) {
  const list = $("ns-list");
  if (reset) {
    list.replaceChildren();
    state.nsCursor = null;
  }
  const page = await api.listNamespaces({ prefix: $("ns-prefix").value.trim() || undefined, cursor: state.nsCursor ?? undefined, limit: NS_PAGE });
  state.nsCursor = page.next_cursor ?? null;
  $("ns-more").hidden = !state.nsCursor;
  $("ns-empty").hidden = list.children.length + page.namespaces.length > 0;
  const items = page.namespaces.map((n) => {
    const meta = el("span", { class: "ns-meta" }, "…");
    const item = el("li", { class: "ns-item", tabindex: 0, dataset: { ns: n.name }, onclick: () => guarded(() => selectNamespace(n.name)) }, el("span", { class: "ns-name" }, n.name), meta);
    item.addEventListener("keydown", (e) => e.key === "Enter" && item.click());
    if (state.current?.name === n.name) item.classList.add("active");
    list.append(item);
    return { name: n.name, meta };
  });
  // Stats come from one describe per namespace, a few at a time.
  await mapLimit(items, DESCRIBE_CONCURRENCY, async ({ name, meta }) => {
    try {
      meta.textContent = nsMeta(await api.describe(name));
    } catch (err) {
      meta.textContent = err.message;
    }
  });
}

// ── namespace detail ──────────────────────────────────────────────────────
function renderStats(d) {
  const stats = [
    ["documents", formatValue(d.documents)],
    ["segments", formatValue(d.segments)],
    ["manifest version", formatValue(d.manifest_version)],
    ["WAL entries", formatValue(d.wal?.entries)],
    ["WAL bytes", formatBytes(d.wal?.bytes)],
    ["index", d.index ? `${d.index.status}${d.index.unindexed_documents ? ` (${d.index.unindexed_documents} unindexed)` : ""}` : "–"],
    ["vector", d.schema?.vector ? `${d.schema.vector.dimensions} dims, ${d.schema.vector.metric}` : "none"],
    ["id type", d.schema?.id_type ?? "–"],
    ["updated", d.updated_at ? new Date(d.updated_at).toLocaleString() : "–"],
  ];
  $("ns-stats").replaceChildren(...stats.map(([k, v]) => el("div", { dataset: { stat: k } }, el("dt", {}, k), el("dd", {}, v))));
  const body = $("schema-table").tBodies[0];
  body.replaceChildren(...Object.entries(d.schema?.attributes ?? {}).map(([name, a]) =>
    el("tr", {}, el("td", { class: "mono" }, name), el("td", {}, a.type), el("td", {}, a.filterable === false ? "no" : "yes"), el("td", { class: "mono" }, a.full_text ? JSON.stringify(a.full_text) : ""))));
}

function fullTextFields(d) {
  return Object.entries(d.schema?.attributes ?? {}).filter(([, a]) => a.full_text).map(([name]) => name);
}

function renderTextFields(d) {
  const fields = fullTextFields(d);
  const box = $("text-fields");
  if (fields.length === 0) {
    box.replaceChildren(el("label", { class: "grow" }, "Fields (name:weight, comma-separated; no attribute of this namespace declares full_text)", el("input", { id: "text-fields-free", type: "text", placeholder: "title:2,body" })));
    return;
  }
  box.replaceChildren(...fields.map((f) => el("label", {}, el("span", {}, el("input", { type: "checkbox", checked: true, dataset: { field: f } }), ` ${f} weight`), el("input", { type: "number", min: 0, step: 0.1, value: 1, dataset: { weight: f } }))));
}

async function selectNamespace(name) {
  const d = await api.describe(name);
  state.current = d;
  for (const item of $("ns-list").children) item.classList.toggle("active", item.dataset.ns === name);
  $("detail-placeholder").hidden = true;
  $("detail-body").hidden = false;
  $("ns-title").textContent = name;
  renderStats(d);
  renderTextFields(d);
  $("results-table").replaceChildren();
  $("query-timings").hidden = true;
  $("query-request").textContent = "";
  state.browse = { after: [null], page: 0 };
  await loadBrowsePage();
}

async function reloadStats() {
  if (!state.current) return;
  state.current = await api.describe(state.current.name);
  renderStats(state.current);
}

// ── browse ────────────────────────────────────────────────────────────────
function parseJsonInput(text, what) {
  if (!text.trim()) return undefined;
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Error(`${what} is not valid JSON: ${err.message}`);
  }
}

async function loadBrowsePage() {
  const ns = state.current.name;
  const size = Number($("browse-size").value);
  const after = state.browse.after[state.browse.page];
  const userFilter = parseJsonInput($("browse-filter").value, "Filter");
  const paging = after === null ? undefined : { field: "id", op: "gt", value: after };
  const filter = userFilter && paging ? { and: [userFilter, paging] } : (userFilter ?? paging);
  const body = { top_k: size, include_attributes: true, ...(filter ? { filter } : {}) };
  const r = await api.query(ns, body);
  const rows = r.results;
  const action = state.current.schema?.vector ? { label: "Similar", run: (row) => guarded(() => findSimilar(row.id)) } : null;
  renderDocuments($("browse-table"), rows, { action, offset: state.browse.page * size });
  const last = rows.at(-1);
  state.browse.after[state.browse.page + 1] = rows.length === size && last ? last.id : undefined;
  $("browse-prev").disabled = state.browse.page === 0;
  $("browse-next").disabled = state.browse.after[state.browse.page + 1] === undefined;
  $("browse-page").textContent = `page ${state.browse.page + 1}`;
  $("browse-timing").textContent = `${rows.length} documents · ${r.took_ms} ms`;
}

async function browseStep(delta) {
  state.browse.page = Math.max(0, state.browse.page + delta);
  await loadBrowsePage();
}

async function findSimilar(id) {
  const r = await api.fetch(state.current.name, { ids: [id], include_vector: true, include_attributes: false });
  const vector = r.documents?.[0]?.vector;
  if (!Array.isArray(vector)) throw new Error(`document ${formatValue(id)} has no vector`);
  $("query-vector").value = JSON.stringify(vector);
  document.querySelector('input[name="mode"][value="vector"]').checked = true;
  updateModeBoxes();
  selectTab("query");
  await runQuery();
}

// ── query ─────────────────────────────────────────────────────────────────
function mode() {
  return document.querySelector('input[name="mode"]:checked').value;
}

function updateModeBoxes() {
  const m = mode();
  $("vector-box").hidden = !(m === "vector" || m === "hybrid");
  $("text-box").hidden = !(m === "full_text" || m === "hybrid");
  $("hybrid-box").hidden = m !== "hybrid";
}

function selectedFields() {
  const free = $("text-fields-free");
  const fields = {};
  if (free) {
    for (const part of free.value.split(",").map((p) => p.trim()).filter(Boolean)) {
      const [name, w] = part.split(":");
      fields[name] = w === undefined ? 1 : Number(w);
    }
    return fields;
  }
  for (const box of $("text-fields").querySelectorAll("input[data-field]")) {
    if (!box.checked) continue;
    const weight = $("text-fields").querySelector(`input[data-weight="${CSS.escape(box.dataset.field)}"]`);
    fields[box.dataset.field] = Number(weight?.value ?? 1);
  }
  return fields;
}

function buildQuery() {
  const m = mode();
  const body = {};
  if (m === "vector" || m === "hybrid") {
    const vector = parseJsonInput($("query-vector").value, "Vector");
    if (!Array.isArray(vector)) throw new Error("Vector: enter a JSON array of numbers");
    body.vector = vector;
  }
  if (m === "full_text" || m === "hybrid") {
    const text = $("query-text").value.trim();
    if (!text) throw new Error("Text: enter the words to search for");
    const fields = selectedFields();
    const names = Object.keys(fields);
    // No field chosen: the server searches every full-text attribute.
    if (names.length === 0) body.full_text = { query: text };
    else body.full_text = names.length === 1 && fields[names[0]] === 1 ? { field: names[0], query: text } : { query: text, fields };
  }
  if (m === "hybrid") body.hybrid = { method: "rrf", k: Number($("hybrid-k").value), vector_weight: Number($("hybrid-vw").value), full_text_weight: Number($("hybrid-tw").value) };
  const filter = parseJsonInput($("query-filter").value, "Filter");
  if (filter !== undefined) body.filter = filter;
  body.top_k = Number($("query-topk").value) || 10;
  if ($("query-include-vector").checked) body.include_vector = true;
  body.include_attributes = true;
  if ($("query-consistency").value !== "strong") body.consistency = $("query-consistency").value;
  return body;
}

async function runQuery() {
  const body = buildQuery();
  $("query-request").textContent = `POST /v1/namespaces/${state.current.name}/query\n${JSON.stringify(body, null, 2)}`;
  const button = $("run-query");
  button.disabled = true;
  $("results-table").replaceChildren();
  $("query-timings").hidden = true;
  try {
    const r = await api.query(state.current.name, body);
    renderTimings($("query-timings"), r.took_ms, r.performance);
    renderDocuments($("results-table"), r.results, { showScore: mode() !== "none" });
  } finally {
    button.disabled = false;
  }
}

// ── tabs and wiring ───────────────────────────────────────────────────────
function selectTab(name) {
  for (const tab of document.querySelectorAll(".tab")) tab.classList.toggle("active", tab.dataset.tab === name);
  $("panel-browse").hidden = name !== "browse";
  $("panel-query").hidden = name !== "query";
}

function wire() {
  $("login-form").addEventListener("submit", login);
  $("logout").addEventListener("click", () => logout());
  $("ns-refresh").addEventListener("click", () => guarded(() => loadNamespaces(true)));
  $("ns-more").addEventListener("click", () => guarded(() => loadNamespaces(false)));
  let prefixTimer;
  $("ns-prefix").addEventListener("input", () => {
    clearTimeout(prefixTimer);
    prefixTimer = setTimeout(() => guarded(() => loadNamespaces(true)), 250);
  });
  $("ns-reload").addEventListener("click", () => guarded(reloadStats));
  for (const tab of document.querySelectorAll(".tab")) tab.addEventListener("click", () => selectTab(tab.dataset.tab));
  $("browse-apply").addEventListener("click", () => guarded(() => {
    state.browse = { after: [null], page: 0 };
    return loadBrowsePage();
  }));
  $("browse-size").addEventListener("change", () => guarded(() => {
    state.browse = { after: [null], page: 0 };
    return loadBrowsePage();
  }));
  $("browse-prev").addEventListener("click", () => guarded(() => browseStep(-1)));
  $("browse-next").addEventListener("click", () => guarded(() => browseStep(1)));
  for (const radio of document.querySelectorAll('input[name="mode"]')) radio.addEventListener("change", updateModeBoxes);
  $("query-form").addEventListener("submit", (e) => {
    e.preventDefault();
    guarded(runQuery);
  });
  updateModeBoxes();
}

wire();
if (savedKey()) showApp();
else showLogin();
