// Public entry of the report: stored runs -> one self-contained HTML file (+ PNGs).
import type { Db } from "../store/db.js";
import { buildCharts } from "./charts/index.js";
import { loadReportData, type ReportDataOptions } from "./data.js";
import { headline } from "./headline.js";
import { renderReportHtml } from "./html.js";
import type { ChartSpec, ReportData } from "./model.js";
import { comparisonTable, errorsTable, frontierTables, hardwareTable, otherRunsTable, summaryTable, sweepTables } from "./tables.js";

export { UnknownIdError, type CompareFn } from "./data.js";
// PNG export (src/report/png.ts) is not re-exported: importing ECharts costs ~0.7 s, which
// every CLI command would pay; callers import it when --png is asked for.
export type { ChartSpec, ReportData } from "./model.js";

export interface Report {
  html: string;
  charts: ChartSpec[];
  data: ReportData;
}

/** Pure: report data -> page. */
export function renderReport(data: ReportData): Report {
  const charts = buildCharts(data);
  const summarized = data.runs.filter((r) => r.summary);
  const html = renderReportHtml({
    data,
    charts,
    headline: summarized.length === 1 ? headline(summarized[0]) : null,
    tables: {
      summary: summaryTable(data.runs),
      other: otherRunsTable(data.runs),
      comparison: data.comparison && data.comparison.items.length > 1 ? comparisonTable(data.comparison) : null,
      // A frontier of one run is that run: its numbers are already at the top.
      frontier: summarized.length > 1 ? frontierTables(data.runs) : [],
      errors: errorsTable(data.runs),
      sweep: sweepTables(data.runs),
      hardware: data.hardware ? hardwareTable(data.hardware) : null,
    },
  });
  return { html, charts, data };
}

export function buildReport(db: Db, ids: string[], opts: ReportDataOptions = {}): Report {
  return renderReport(loadReportData(db, ids, opts));
}
