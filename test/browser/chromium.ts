// Launches Debian's chromium through playwright-core for the real-browser tests.
// Missing browser is a test failure (not a skip): CI must install it.
import { existsSync, mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";

export const CHROMIUM = process.env.TOKENBENCH_CHROMIUM ?? "/usr/bin/chromium";
export const SCREENSHOT_DIR = resolve("test-output", "screenshots");

export interface LaunchedBrowser {
  browser: Browser;
  close(): Promise<void>;
}

export async function launchChromium(): Promise<LaunchedBrowser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} not found: run scripts/install-test-deps.sh (as root) to install Debian's chromium`);
  }
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    timeout: 60_000,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-dev-shm-usage",
      // No --user-data-dir: playwright refuses it for launch() and gives every launch a fresh temporary profile itself.
    ],
  });
  return {
    browser,
    async close() {
      await browser.close();
    },
  };
}

/** Collects console errors, page errors and failed requests; the tests assert it stays empty. */
export function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(`console: ${m.text()}`);
  });
  page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
  page.on("requestfailed", (r) => errors.push(`requestfailed: ${r.url()} ${r.failure()?.errorText ?? ""}`));
  page.on("dialog", (d) => {
    errors.push(`dialog: ${d.message()}`);
    void d.dismiss();
  });
  return errors;
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** Per chart in the page: its id, whether ECharts drew it, and the data points in its live option. */
export async function chartStates(page: Page): Promise<Array<{ id: string; rendered: boolean; points: number; expected: number; canvas: boolean }>> {
  return page.evaluate(() => {
    const w = window as unknown as { echarts: { getInstanceByDom(el: Element): { getOption(): { series: Array<{ data?: unknown[] }> } } | undefined } };
    return [...document.querySelectorAll("[data-chart-id]")].map((el) => {
      const inst = w.echarts.getInstanceByDom(el);
      const series = inst ? inst.getOption().series : [];
      const points = series.reduce((n, s) => n + (s.data ?? []).filter((d) => d !== null && d !== undefined).length, 0);
      const canvas = el.querySelector("canvas");
      return {
        id: el.getAttribute("data-chart-id") ?? "",
        rendered: el.getAttribute("data-rendered") === "true" && !!inst,
        points,
        expected: Number(el.getAttribute("data-points")),
        canvas: !!canvas && canvas.width > 0 && canvas.height > 0,
      };
    });
  });
}
