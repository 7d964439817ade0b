// --png: each chart through ECharts' server-side SVG renderer, rasterised by resvg.
// No browser involved, so it works on headless CI boxes.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as echarts from "echarts";
import { Resvg } from "@resvg/resvg-js";
import type { ChartSpec } from "./model.js";

export const PNG_WIDTH = 960;

// Legend item geometry as ECharts lays it out: icon 25 px, 5 px to the text, 10 px between
// items, rows of about 20 px; text width estimated with Helvetica's mean glyph width (the
// renderer measures Liberation Sans with Helvetica's metrics, see charts/common.ts).
const LEGEND_ICON_PX = 30;
const LEGEND_GAP_PX = 10;
const LEGEND_ROW_PX = 22;
const CHAR_EM = 0.56;

/** Rows a plain (wrapping) legend of these names takes in `width` px at `fontSize`. */
export function legendRows(names: string[], width: number, fontSize = 12): number {
  let rows = names.length ? 1 : 0;
  let x = 0;
  for (const n of names) {
    const w = LEGEND_ICON_PX + n.length * fontSize * CHAR_EM;
    if (x > 0 && x + w > width) {
      rows++;
      x = 0;
    }
    x += w + LEGEND_GAP_PX;
  }
  return rows;
}

/**
 * A chart as a standalone SVG. The browser's legend scrolls; an image cannot, so the legend
 * wraps onto as many rows as it needs and the image grows by them: nothing is cut off.
 */
export function chartToSvg(c: ChartSpec, width = PNG_WIDTH): string {
  // The title is part of the card in HTML; a standalone image needs it drawn in.
  const option: Record<string, unknown> = { ...c.option, title: { text: c.title, left: "center", top: 4, textStyle: { fontSize: 15 } } };
  const legend = (option as { legend?: Record<string, unknown> }).legend;
  let extraRows = 0;
  if (legend && legend.show !== false) {
    const names = ((option.series ?? []) as Array<{ name?: unknown }>).map((s) => String(s.name ?? "")).filter(Boolean);
    const left = Number(legend.left ?? 8);
    const right = Number(legend.right ?? 8);
    const fontSize = Number((legend.textStyle as { fontSize?: number } | undefined)?.fontSize ?? 12);
    extraRows = Math.max(0, legendRows([...new Set(names)], width - left - right, fontSize) - 1);
    option.legend = { ...legend, type: "plain", top: 32 };
  }
  const grid = (option as { grid?: Record<string, unknown> }).grid;
  if (grid) option.grid = { ...grid, top: Number(grid.top ?? 56) + 32 + extraRows * LEGEND_ROW_PX };
  const height = c.height + 40 + extraRows * LEGEND_ROW_PX;
  const instance = echarts.init(null, null, { renderer: "svg", ssr: true, width, height });
  try {
    // Zoom controls mean nothing in a still image.
    delete option.dataZoom;
    instance.setOption(option);
    return instance.renderToSVGString();
  } finally {
    instance.dispose();
  }
}

export function svgToPng(svg: string, scale = 2): Buffer {
  return new Resvg(svg, {
    fitTo: { mode: "zoom", value: scale },
    background: "#ffffff",
    font: { loadSystemFonts: true, defaultFontFamily: "Liberation Sans", sansSerifFamily: "Liberation Sans" },
  })
    .render()
    .asPng();
}

/** Writes DIR/<chart id>.png for every chart; returns the paths written. */
export function writeChartPngs(charts: ChartSpec[], dir: string): string[] {
  mkdirSync(dir, { recursive: true });
  return charts.map((c) => {
    const path = join(dir, `${c.id}.png`);
    writeFileSync(path, svgToPng(chartToSvg(c)));
    return path;
  });
}
