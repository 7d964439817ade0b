// Assembles the self-contained report page: inline CSS, the ECharts bundle, the data as an
// escaped JSON block, and a small bootstrap that draws the charts. No network access needed.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { escapeHtml, jsonForScript, scriptSafe } from "./escape.js";
import { SECTIONS, type ChartSpec, type ReportData, type ReportRun } from "./model.js";
import type { Table } from "./tables.js";
import type { Headline } from "./headline.js";

let echartsSource: string | undefined;
/** The minified ECharts browser bundle, inlined so the file opens from file:// offline. */
export function echartsBundle(): string {
  if (echartsSource === undefined) {
    const require = createRequire(import.meta.url);
    echartsSource = scriptSafe(readFileSync(require.resolve("echarts/dist/echarts.min.js"), "utf8"));
  }
  return echartsSource;
}

const CSS = `
:root{--fg:#1f2328;--muted:#59636e;--line:#d8dee4;--bg:#f6f8fa;--accent:#0072B2}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:var(--fg);background:var(--bg)}
header{background:#fff;border-bottom:1px solid var(--line);padding:20px 32px}
header h1{margin:0 0 4px;font-size:22px}
header .sub{color:var(--muted)}
nav{padding:8px 32px;background:#fff;border-bottom:1px solid var(--line)}
nav a{margin-right:16px;color:var(--accent);text-decoration:none}
main{padding:16px 32px 48px;max-width:1600px}
section{margin-top:28px}
section>h2{font-size:18px;margin:0 0 10px;padding-bottom:4px;border-bottom:1px solid var(--line)}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(560px,1fr));gap:16px}
.card{background:#fff;border:1px solid var(--line);border-radius:8px;padding:12px 14px}
.card h3{margin:0 0 2px;font-size:15px}
.card p.caption{margin:0 0 6px;color:var(--muted);font-size:12.5px}
.chart{width:100%}
.tablewrap{overflow-x:auto;background:#fff;border:1px solid var(--line);border-radius:8px;margin-bottom:16px}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{padding:5px 8px;border-bottom:1px solid #eef1f4;text-align:left;white-space:nowrap;vertical-align:top}
th{background:#f3f5f8;font-weight:600;position:sticky;top:0;white-space:normal}
td.num{text-align:right;font-variant-numeric:tabular-nums}
td.wrap{white-space:pre-wrap;word-break:break-word;min-width:200px;max-width:640px}
td.long{white-space:normal;overflow-wrap:anywhere;min-width:120px;max-width:220px}
tr.ns td{color:var(--muted)}
tr.better td:last-child{color:#00795a;font-weight:600}
tr.worse td:last-child{color:#b34700;font-weight:600}
.card.wide{grid-column:1/-1}
@media print{nav{display:none}body{background:#fff}.card,.tablewrap,details{break-inside:avoid}main{padding:0 8px}}
h3.t{font-size:15px;margin:14px 0 6px}
.note{color:var(--muted);font-size:12.5px;margin:4px 0 12px}
details{background:#fff;border:1px solid var(--line);border-radius:8px;margin-bottom:8px;padding:8px 12px}
summary{cursor:pointer;font-weight:600}
pre{background:var(--bg);padding:8px;border-radius:6px;overflow:auto;max-height:420px;font-size:12px;white-space:pre-wrap;word-break:break-word}
.kv td:first-child{color:var(--muted);width:160px}
.empty{color:var(--muted);font-style:italic}
.keys{display:grid;grid-template-columns:repeat(auto-fill,minmax(200px,1fr));gap:10px;margin-bottom:10px}
.key{background:#fff;border:1px solid var(--line);border-radius:8px;padding:8px 12px}
.key .k{color:var(--muted);font-size:12.5px}
.key .v{font-size:20px;font-weight:600;font-variant-numeric:tabular-nums}
.runline{margin:2px 0;color:var(--fg)}
.runline b{color:var(--muted);font-weight:normal;display:inline-block;min-width:80px}
`;

// Static: the page's data is read from the JSON block, never interpolated into code.
const BOOTSTRAP = `
(function(){
  var data = JSON.parse(document.getElementById('tb-data').textContent);
  var charts = [];
  data.charts.forEach(function(c){
    var el = document.querySelector('[data-chart-id="' + c.id + '"]');
    if (!el) return;
    var chart = echarts.init(el, null, { renderer: 'canvas' });
    chart.setOption(c.option);
    charts.push(chart);
    el.setAttribute('data-rendered', 'true');
  });
  window.addEventListener('resize', function(){ charts.forEach(function(c){ c.resize(); }); });
  document.body.setAttribute('data-charts-ready', String(charts.length));
})();
`;

export function renderTable(t: Table, rowClass?: (row: string[]) => string): string {
  if (t.rows.length === 0) return "";
  const head = t.columns.map((c) => `<th>${escapeHtml(c)}</th>`).join("");
  const body = t.rows
    .map((row) => {
      const cls = rowClass?.(row);
      const cells = row
        .map((cell, i) => {
          // Long text wraps instead of widening a table past the window (ids, labels, messages).
          const c = t.numeric.includes(i) ? "num" : cell.length > 60 ? "wrap" : cell.length > 24 ? "long" : "";
          return `<td${c ? ` class="${c}"` : ""}>${escapeHtml(cell)}</td>`;
        })
        .join("");
      return `<tr${cls ? ` class="${escapeHtml(cls)}"` : ""}>${cells}</tr>`;
    })
    .join("\n");
  return `<h3 class="t" id="table-${escapeHtml(t.id)}">${escapeHtml(t.title)}</h3>
<div class="tablewrap"><table data-table="${escapeHtml(t.id)}"><thead><tr>${head}</tr></thead><tbody>
${body}
</tbody></table></div>${t.note ? `<p class="note">${escapeHtml(t.note)}</p>` : ""}`;
}

function chartCard(c: ChartSpec): string {
  return `<div class="card${c.section === "comparison" ? " wide" : ""}"><h3>${escapeHtml(c.title)}</h3><p class="caption">${escapeHtml(c.caption)}</p>
<div class="chart" data-chart-id="${escapeHtml(c.id)}" data-points="${c.points}" style="height:${c.height}px"></div></div>`;
}

/** A single run's key numbers as tiles, with the workload and load they were measured at. */
function headlineBlock(h: Headline): string {
  const tiles = h.items
    .map((i) => `<div class="key" data-key="${escapeHtml(i.name)}"><div class="k">${escapeHtml(i.name)}</div><div class="v">${escapeHtml(i.value)}</div></div>`)
    .join("");
  const lines: Array<[string, string | null]> = [["load", h.load], ["workload", h.workload], ["server", h.server || null]];
  return `<div class="keys" data-headline="${escapeHtml(h.run)}">${tiles}</div>
${lines.filter(([, v]) => v).map(([k, v]) => `<p class="runline"><b>${escapeHtml(k)}</b> ${escapeHtml(v!)}</p>`).join("\n")}`;
}

function pretty(v: unknown): string {
  return escapeHtml(JSON.stringify(v, null, 2) ?? "null");
}

function metadataBlock(r: ReportRun): string {
  const rows: Array<[string, string | null]> = [
    ["run id", r.id],
    ["label", r.label],
    ["status", r.status],
    ["kind", r.kind],
    ["created", r.createdAt],
    ["api", r.api],
    ["model", r.model],
    ["target", r.target],
    ["load", r.load ? r.load.description : null],
    ["experiment", r.meta.experimentId],
    ["cell", r.meta.cellKey],
    ["command", r.meta.command],
    ["tool version", r.meta.toolVersion],
    ["measured requests", String(r.measuredRequests)],
  ];
  const kv = rows
    .filter(([, v]) => v !== null && v !== "")
    .map(([k, v]) => `<tr><td>${escapeHtml(k)}</td><td class="wrap">${escapeHtml(v)}</td></tr>`)
    .join("");
  return `<details data-run="${escapeHtml(r.id)}"><summary>${escapeHtml(r.label)} <span class="note">${escapeHtml(r.id)}</span></summary>
<table class="kv">${kv}</table>
<h3 class="t">Options (secrets redacted)</h3><pre>${pretty(r.meta.options)}</pre>
<h3 class="t">Host</h3><pre>${pretty(r.meta.host)}</pre>
<h3 class="t">Server info</h3><pre>${pretty(r.meta.serverInfo)}</pre>
</details>`;
}

export interface HtmlParts {
  data: ReportData;
  charts: ChartSpec[];
  tables: { summary: Table; other: Table; comparison: Table | null; frontier: Table[]; errors: Table; hardware?: Table | null; sweep?: Table[] };
  /** Key numbers of the run when the report shows exactly one run with a summary; null otherwise. */
  headline?: Headline | null;
}

export function renderReportHtml({ data, charts, tables, headline }: HtmlParts): string {
  const sections: string[] = [];
  const toc: string[] = [];
  // Numbers first, charts after: one run's key figures as tiles, several runs' summary table.
  const keyHtml = headline ? headlineBlock(headline) : tables.summary.rows.length > 1 ? renderTable(tables.summary) : "";
  if (keyHtml) {
    toc.push(`<a href="#sec-key">Key numbers</a>`);
    sections.push(`<section id="sec-key"><h2>Key numbers</h2>${keyHtml}</section>`);
  }
  for (const [key, title] of SECTIONS) {
    const cs = charts.filter((c) => c.section === key);
    let extra = "";
    if (key === "frontier") extra = tables.frontier.map((t) => renderTable(t)).join("\n");
    if (key === "load") extra = (tables.sweep ?? []).map((t) => renderTable(t)).join("\n");
    if (key === "telemetry" && data.telemetryNote) extra = `<p class="empty">${escapeHtml(data.telemetryNote)}</p>`;
    if (key === "comparison") {
      if (tables.comparison) extra = renderTable(tables.comparison, (row) => (row[5] === "n.s." || row[5] === "no CI" ? "ns" : row[5]));
      else if (data.comparisonNote) extra = `<p class="empty">${escapeHtml(data.comparisonNote)}</p>`;
    }
    if (cs.length === 0 && !extra) continue;
    toc.push(`<a href="#sec-${key}">${escapeHtml(title)}</a>`);
    sections.push(`<section id="sec-${key}"><h2>${escapeHtml(title)}</h2>
<div class="grid">${cs.map(chartCard).join("\n")}</div>
${extra}</section>`);
  }
  // The summary table already opens the page when several runs have one.
  const summaryBelow = headline || tables.summary.rows.length <= 1;
  const tableHtml = [tables.hardware ? renderTable(tables.hardware) : "", summaryBelow ? renderTable(tables.summary) : "", renderTable(tables.other), renderTable(tables.errors)].filter(Boolean).join("\n");
  toc.push(`<a href="#sec-tables">Tables</a>`, `<a href="#sec-metadata">Metadata</a>`);
  const subtitle = `${data.runs.length} run${data.runs.length === 1 ? "" : "s"}` +
    (data.experiments.length ? ` · experiment ${data.experiments.map((e) => e.name).join(", ")}` : "") +
    ` · generated ${data.generatedAt} by tokenbench ${data.toolVersion}`;
  const bundle = echartsBundle();
  // Only these two scripts may run: anything a server managed to smuggle into the page would
  // be blocked by the policy even if escaping failed somewhere. No network access at all.
  const csp = `default-src 'none'; script-src ${scriptHash(bundle)} ${scriptHash(BOOTSTRAP)}; style-src 'unsafe-inline'; img-src data:`;
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<title>${escapeHtml(data.title)} · tokenbench report</title>
<style>${CSS}</style>
</head><body>
<header><h1>${escapeHtml(data.title)}</h1><div class="sub">${escapeHtml(subtitle)}</div></header>
<nav>${toc.join("")}</nav>
<main>
${sections.join("\n")}
<section id="sec-tables"><h2>Tables</h2>${tableHtml || `<p class="empty">${keyHtml ? "Nothing beyond the key numbers above." : "No stored summaries."}</p>`}</section>
<section id="sec-metadata"><h2>Metadata</h2>${data.runs.map(metadataBlock).join("\n")}</section>
</main>
<script type="application/json" id="tb-data">${jsonForScript({ charts: charts.map((c) => ({ id: c.id, option: c.option })), report: slimData(data) })}</script>
<script>${bundle}</script>
<script>${BOOTSTRAP}</script>
</body></html>
`;
}

function scriptHash(source: string): string {
  return `'sha256-${createHash("sha256").update(source, "utf8").digest("base64")}'`;
}

/** The report's data for scripts reading the file: summaries and metadata; series live in the chart options. */
function slimData(data: ReportData): unknown {
  return {
    ...data,
    runs: data.runs.map(({ tokensPerS: _t, inFlight: _i, ttftCdf: _c, itlCdf: _l, telemetry, ...rest }) => ({
      ...rest,
      telemetry: telemetry.map((s) => ({ source: s.source, name: s.name, labels: s.labels, points: s.points.length })),
    })),
  };
}
