/**
 * A small SVG line chart (series of points, optional log-scale axes, legend) for the benchmark
 * report. Plain strings, no dependencies; knows nothing about benchmarks.
 */

export interface Series {
  name: string;
  /** Stroke colour; by default the series' position in a fixed palette. */
  color?: string;
  points: Array<{ x: number; y: number; label?: string }>;
}

export interface ChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  logX?: boolean;
  logY?: boolean;
  /** Fixed y range (default: the data's). */
  yMin?: number;
  yMax?: number;
  /** Horizontal reference line, e.g. a recall target. */
  yRule?: { at: number; label: string };
}

const COLORS = ["#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"];
const W = 860;
const H = 420;
const M = { left: 70, right: 280, top: 40, bottom: 55 };

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

function ticks(min: number, max: number, log: boolean): number[] {
  if (log) {
    const out: number[] = [];
    for (let e = Math.floor(Math.log10(min)); e <= Math.ceil(Math.log10(max)); e++) {
      for (const m of [1, 2, 5]) {
        const v = m * 10 ** e;
        if (v >= min * 0.999 && v <= max * 1.001) out.push(v);
      }
    }
    return out;
  }
  const step = 10 ** Math.floor(Math.log10((max - min) / 5 || 1));
  const nice = [1, 2, 5, 10].map((m) => m * step).find((s) => (max - min) / s <= 8) ?? step * 10;
  const out: number[] = [];
  for (let v = Math.ceil(min / nice) * nice; v <= max + 1e-9; v += nice) out.push(Number(v.toPrecision(12)));
  return out;
}

const tickLabel = (v: number) => (v >= 1000 ? v.toLocaleString("en-US") : String(Number(v.toPrecision(3))));

export function lineChart(series: Series[], o: ChartOptions): string {
  const all = series.flatMap((s) => s.points).filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
  if (all.length === 0) return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="60"><text x="10" y="30">${esc(o.title)}: no data</text></svg>`;
  const span = (vals: number[], log: boolean, lo?: number, hi?: number): [number, number] => {
    let min = lo ?? Math.min(...vals);
    let max = hi ?? Math.max(...vals);
    if (log) {
      // Some room around the data so points do not sit on the frame.
      if (lo === undefined) min /= 1.3;
      if (hi === undefined) max *= 1.3;
    } else if (min === max) {
      min -= 1;
      max += 1;
    }
    return [min, max];
  };
  const [x0, x1] = span(all.map((p) => p.x), !!o.logX);
  const [y0, y1] = span(all.map((p) => p.y), !!o.logY, o.yMin, o.yMax);
  const f = (v: number, log: boolean) => (log ? Math.log10(v) : v);
  const sx = (x: number) => M.left + ((f(x, !!o.logX) - f(x0, !!o.logX)) / (f(x1, !!o.logX) - f(x0, !!o.logX))) * (W - M.left - M.right);
  const sy = (y: number) => H - M.bottom - ((f(y, !!o.logY) - f(y0, !!o.logY)) / (f(y1, !!o.logY) - f(y0, !!o.logY))) * (H - M.top - M.bottom);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${M.left}" y="22" font-size="15" font-weight="bold">${esc(o.title)}</text>`,
  ];
  for (const t of ticks(x0, x1, !!o.logX)) {
    out.push(`<line x1="${sx(t)}" x2="${sx(t)}" y1="${M.top}" y2="${H - M.bottom}" stroke="#eee"/>`);
    out.push(`<text x="${sx(t)}" y="${H - M.bottom + 16}" text-anchor="middle">${tickLabel(t)}</text>`);
  }
  for (const t of ticks(y0, y1, !!o.logY)) {
    out.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${sy(t)}" y2="${sy(t)}" stroke="#eee"/>`);
    out.push(`<text x="${M.left - 6}" y="${sy(t) + 4}" text-anchor="end">${tickLabel(t)}</text>`);
  }
  out.push(`<rect x="${M.left}" y="${M.top}" width="${W - M.left - M.right}" height="${H - M.top - M.bottom}" fill="none" stroke="#999"/>`);
  out.push(`<text x="${(M.left + W - M.right) / 2}" y="${H - 12}" text-anchor="middle">${esc(o.xLabel)}</text>`);
  out.push(`<text transform="translate(16 ${(M.top + H - M.bottom) / 2}) rotate(-90)" text-anchor="middle">${esc(o.yLabel)}</text>`);
  if (o.yRule && o.yRule.at >= y0 && o.yRule.at <= y1) {
    out.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${sy(o.yRule.at)}" y2="${sy(o.yRule.at)}" stroke="#888" stroke-dasharray="5 4"/>`);
    out.push(`<text x="${W - M.right - 4}" y="${sy(o.yRule.at) - 4}" text-anchor="end" fill="#666">${esc(o.yRule.label)}</text>`);
  }
  series.forEach((s, i) => {
    const color = s.color ?? COLORS[i % COLORS.length];
    const pts = s.points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
    if (pts.length > 1) out.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${pts.map((p) => `${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`).join(" ")}"/>`);
    for (const p of pts) out.push(`<circle cx="${sx(p.x).toFixed(1)}" cy="${sy(p.y).toFixed(1)}" r="3.5" fill="${color}"><title>${esc(`${s.name}: ${p.label ?? ""} (${tickLabel(p.x)}, ${tickLabel(p.y)})`)}</title></circle>`);
    const ly = M.top + 10 + i * 20;
    out.push(`<line x1="${W - M.right + 12}" x2="${W - M.right + 32}" y1="${ly}" y2="${ly}" stroke="${color}" stroke-width="2"/>`);
    out.push(`<text x="${W - M.right + 38}" y="${ly + 4}">${esc(s.name)}</text>`);
  });
  out.push("</svg>");
  return out.join("\n");
}
