// --png: each chart through ECharts' server-side SVG renderer, rasterised by resvg.
// No browser involved, so it works on headless CI boxes.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as echarts from "echarts";
import { Resvg } from "@resvg/resvg-js";
import type { ChartSpec } from "./model.js";

export const PNG_WIDTH = 960;

export function chartToSvg(c: ChartSpec, width = PNG_WIDTH): string {
  const instance = echarts.init(null, null, { renderer: "svg", ssr: true, width, height: c.height + 40 });
  try {
    // The title is part of the card in HTML; a standalone image needs it drawn in.
    const option: Record<string, unknown> = { ...c.option, title: { text: c.title, left: "center", top: 4, textStyle: { fontSize: 15 } } };
    const grid = (option as { grid?: Record<string, unknown> }).grid;
    if (grid) option.grid = { ...grid, top: Number(grid.top ?? 56) + 32 };
    const legend = (option as { legend?: Record<string, unknown> }).legend;
    if (legend && legend.show !== false) option.legend = { ...legend, top: 32 };
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
