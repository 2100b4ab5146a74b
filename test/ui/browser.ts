/**
 * Headless Chromium for the report and UI tests, driven by playwright-core (no browser
 * download): the browser scripts/browser.ts finds, which `npm test` installs first when it can.
 * Without one these tests fail with the line that says how to get one; they never skip.
 * Screenshots go to test-artifacts/ (git-ignored), kept for people to look at.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { findBrowser, GET_A_BROWSER } from "../../scripts/browser.ts";

export const ARTIFACTS_DIR = join(import.meta.dirname, "..", "..", "test-artifacts");

const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

let executablePath: string | null | undefined;

export async function launch(): Promise<Browser> {
  executablePath ??= findBrowser();
  if (!executablePath) throw new Error(GET_A_BROWSER);
  return chromium.launch({ executablePath, args: FLAGS });
}

export interface PageVisit {
  page: Page;
  consoleErrors: string[];
  failedRequests: string[];
  /** Requests that left the page's own origin (none are expected). */
  requests: string[];
}

/** Opens `url` in a fresh page, recording console errors and failed or outside requests. */
export async function visit(browser: Browser, url: string): Promise<PageVisit> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const visit: PageVisit = { page, consoleErrors: [], failedRequests: [], requests: [] };
  page.on("console", (m) => {
    if (m.type() === "error") visit.consoleErrors.push(m.text());
  });
  page.on("pageerror", (e) => visit.consoleErrors.push(e.message));
  page.on("requestfailed", (r) =>
    visit.failedRequests.push(`${r.url()} ${r.failure()?.errorText ?? ""}`),
  );
  page.on("response", (r) => {
    if (r.status() >= 400) visit.failedRequests.push(`${r.url()} HTTP ${r.status()}`);
  });
  page.on("request", (r) => visit.requests.push(r.url()));
  await page.goto(url, { waitUntil: "load" });
  return visit;
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  const path = join(ARTIFACTS_DIR, name);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/**
 * Run in the page: the lowest WCAG contrast ratio between an element's text colour and its
 * nearest opaque background, over every element with its own text (SVG and visually hidden
 * text left out), and where it is.
 */
export const CONTRAST_SCRIPT = `(() => {
  const rgb = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => [r, g, b]
    .map((x) => (x / 255 <= 0.03928 ? x / 255 / 12.92 : ((x / 255 + 0.055) / 1.055) ** 2.4))
    .reduce((s, x, i) => s + x * [0.2126, 0.7152, 0.0722][i], 0);
  const background = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const c = rgb(getComputedStyle(e).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] === 1)) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  let min = 21;
  let where = "";
  for (const el of document.querySelectorAll("body *")) {
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!own || el.closest("svg") || getComputedStyle(el).position === "absolute") continue;
    const a = lum(rgb(getComputedStyle(el).color));
    const b = lum(background(el));
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    if (ratio < min) { min = ratio; where = el.outerHTML.slice(0, 80); }
  }
  return { min, where };
})()`;
