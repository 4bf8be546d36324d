// Browser side of the console: building DOM nodes. Every value from the API goes through
// textContent (never innerHTML), so documents cannot inject markup into the page.
// Served as /console/assets/render.js.

/** el("td", {class: "num", title: "…"}, "text", childNode, …) */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (k === "class") node.className = v;
    else if (k === "dataset") Object.assign(node.dataset, v);
    else node.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) node.append(c instanceof Node ? c : String(c));
  return node;
}

export function formatValue(value) {
  if (value === null || value === undefined) return "";
  if (typeof value === "number") return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(6)));
  if (typeof value === "string") return value;
  return JSON.stringify(value);
}

export function formatBytes(n) {
  if (typeof n !== "number") return "–";
  const units = ["B", "KB", "MB", "GB", "TB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${i === 0 ? n : n.toFixed(1)} ${units[i]}`;
}

function vectorPreview(v) {
  if (!Array.isArray(v)) return "";
  const head = v.slice(0, 4).map((x) => formatValue(x)).join(", ");
  return `[${head}${v.length > 4 ? `, … (${v.length})` : ""}]`;
}

/**
 * Fills `table` with documents / query results: rank, id, score (when present), one column per
 * attribute seen, the vector preview (when returned), and an optional action button per row.
 */
export function renderDocuments(table, rows, { showScore = false, action = null, offset = 0 } = {}) {
  table.replaceChildren();
  const attrs = [...new Set(rows.flatMap((r) => Object.keys(r.attributes ?? {})))];
  const withVector = rows.some((r) => Array.isArray(r.vector));
  const headers = ["#", "id", ...(showScore ? ["score"] : []), ...attrs, ...(withVector ? ["vector"] : []), ...(action ? [""] : [])];
  table.append(el("thead", {}, el("tr", {}, headers.map((h) => el("th", {}, h)))));
  const body = el("tbody");
  rows.forEach((r, i) => {
    const cells = [el("td", { class: "num" }, offset + i + 1), el("td", { class: "mono", title: formatValue(r.id) }, formatValue(r.id))];
    if (showScore) cells.push(el("td", { class: "num" }, formatValue(r.score)));
    for (const a of attrs) {
      const v = r.attributes?.[a];
      const text = formatValue(v);
      cells.push(el("td", { class: typeof v === "number" ? "num" : "", title: text.length > 40 ? text.slice(0, 2000) : undefined }, text));
    }
    if (withVector) cells.push(el("td", { class: "mono", title: Array.isArray(r.vector) ? `${r.vector.length} dimensions` : undefined }, vectorPreview(r.vector)));
    if (action) cells.push(el("td", {}, el("button", { type: "button", class: "secondary", onclick: () => action.run(r) }, action.label)));
    body.append(el("tr", { dataset: { id: formatValue(r.id) } }, cells));
  });
  table.append(body);
  if (rows.length === 0) body.append(el("tr", {}, el("td", { colspan: headers.length, class: "muted" }, "No documents.")));
}

/** The timing strip: took_ms first, then every `performance` figure the server sent (nested ones flattened). */
export function renderTimings(box, tookMs, performance) {
  box.replaceChildren(el("span", { dataset: { metric: "took_ms" } }, "took_ms ", el("b", {}, formatValue(tookMs))));
  const add = (prefix, obj) => {
    for (const [k, v] of Object.entries(obj ?? {})) {
      const name = prefix ? `${prefix}.${k}` : k;
      if (v && typeof v === "object" && !Array.isArray(v)) {
        add(name, v);
        continue;
      }
      const shown = /bytes/.test(k) ? formatBytes(v) : formatValue(v);
      box.append(el("span", { dataset: { metric: name } }, `${name} `, el("b", {}, shown)));
    }
  };
  add("", performance);
  box.hidden = false;
}
