/**
 * `orchard ui`'s monitoring page (cli/ui/monitoring.ts) over the reports `orchard monitor`
 * keeps under `<stateDir>/monitor/<pipeline>/`: live metrics over time per version, label
 * delay and coverage, capture volume, and the A/B test or bandit state; and the same page in
 * headless Chromium (charts as SVG, no console error, no outside request, contrast).
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pipelinePage } from "../../cli/ui/pages.ts";
import { createUiServer, route } from "../../cli/ui/server.ts";
import type { ExperimentReport } from "../../pipeline/monitor/experiment.ts";
import type { MonitorReport } from "../../pipeline/monitor/monitor.ts";
import { CONTRAST_SCRIPT, launch, screenshot, visit } from "./browser.ts";

const stateDir = mkdtempSync(join(tmpdir(), "orchard-ui-monitoring-"));
const reports = join(stateDir, "monitor", "live");
mkdirSync(reports, { recursive: true });

function report(at: string, v1: number, v2: number, experiment: ExperimentReport | null) {
  const version = (version: string, accuracy: number, captured: number) => ({
    version,
    captured,
    labeled: captured / 2,
    coverage: 0.5,
    metrics: { accuracy },
  });
  const r: MonitorReport = {
    pipeline: "live",
    at,
    window: { from: "2026-11-26T00:00:00.000Z", to: at, hours: 168 },
    champion: "v1",
    captured: 300,
    labeled: 150,
    labelsReceived: 160,
    duplicateLabels: 7,
    unmatchedLabels: 3,
    labelDelaySeconds: { median: 3600, p90: 7200 },
    versions: [version("v1", v1, 200), version("v2", v2, 100)],
    days: [
      { day: at.slice(0, 10), ...version("v1", v1, 200) },
      { day: at.slice(0, 10), ...version("v2", v2, 100) },
    ],
    gate: {
      metric: "accuracy",
      direction: "higher",
      bound: 0.75,
      boundSource: "gate",
      value: v1,
      heldOut: 0.9,
      labeled: 100,
      minLabels: 30,
      verdict: "ok",
      reason: `live accuracy of v1 is ${v1}`,
    },
    drift: null,
    alarm: false,
    experiment,
  };
  writeFileSync(join(reports, `${at.replace(/[:.]/g, "-")}.json`), JSON.stringify(r));
}

const bandit: ExperimentReport = {
  strategy: "bandit",
  startedAt: "2026-12-01T00:00:00.000Z",
  champion: "v1",
  arms: [
    { version: "v1", weight: 0.5, captured: 200, labeled: 100, successes: 61, failures: 39 },
    { version: "v2", weight: 0.5, captured: 100, labeled: 50, successes: 46, failures: 4 },
  ],
  action: "reweighted",
  weights: [0.0712, 0.9288],
  reason: "150 labeled predictions; v2 gets the largest share",
};
report("2026-12-01T10:00:00.000Z", 0.81, 0.9, null);
report("2026-12-02T10:00:00.000Z", 0.79, 0.93, bandit);
// A report cut short by a crash: left out, not a failed page.
writeFileSync(join(reports, "2026-12-03T10-00-00-000Z.json"), '{"pipeline": "li');

const page = async (path: string) => {
  const r = await route(stateDir, path);
  return { status: r.status, text: String(r.body) };
};

describe("orchard ui monitoring page", () => {
  it("charts the live gate metric per version over the Monitor runs, with its table", async () => {
    const { status, text } = await page("/pipelines/live/monitoring");
    expect(status).toBe(200);
    expect(text).toContain("<h1>Monitoring live</h1>");
    expect(text).toContain('data-chart="live"');
    expect(text).toContain("<svg");
    expect(text).toContain("2 Monitor runs");
    expect(text).toMatch(/<th scope="row">2026-12-02 10:00<\/th><td>v2<\/td>.*0\.93/);
    expect(text).not.toContain("<script");
  });

  it("shows label delay, coverage, duplicates and capture volume", async () => {
    const { text } = await page("/pipelines/live/monitoring");
    expect(text).toContain('data-chart="volume"');
    expect(text).toContain("Labels per Monitor run");
    expect(text).toMatch(
      /<th scope="row">2026-12-02 10:00<\/th><td class="num">300<\/td><td class="num">150<\/td><td class="num">50\.0 %<\/td><td class="num">3,600<\/td><td class="num">7,200<\/td><td class="num">7<\/td>/,
    );
    expect(text).toContain("Capture volume per day in the last window (168 h)");
  });

  it("shows the bandit as the last Monitor run left it: arms, shares, counts, action", async () => {
    const { text } = await page("/pipelines/live/monitoring");
    expect(text).toContain('<h2 id="experiment-h">Bandit</h2>');
    expect(text).toContain('data-experiment-action="reweighted"');
    expect(text).toMatch(
      /v2<\/th><td class="num">50\.0 %<\/td><td class="num">92\.9 %<\/td><td class="num">100<\/td><td class="num">50<\/td><td class="num">46<\/td><td class="num">4<\/td>/,
    );
  });

  it("says how to get a first Monitor run when there is none, and links from the pipeline", async () => {
    const { status, text } = await page("/pipelines/unwatched/monitoring");
    expect(status).toBe(200);
    expect(text).toContain("No Monitor run is recorded");
    expect(text).toContain("orchard monitor &lt;spec.yaml&gt;");
    expect(pipelinePage("live", [], null)).toContain('<a href="/pipelines/live/monitoring">');
  });
});

describe("orchard ui monitoring page in Chromium", () => {
  let browser: Browser;
  let server: Server;
  let base: string;
  beforeAll(async () => {
    browser = await launch();
    server = createUiServer(stateDir);
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await browser?.close();
    await new Promise((r) => server?.close(r));
  });

  it("draws both charts, loads nothing from outside, logs no error and keeps AA contrast", async () => {
    const v = await visit(browser, `${base}/pipelines/live/monitoring`);
    expect(await v.page.locator("figure.chart svg").count()).toBe(2);
    expect(await v.page.locator("main h2").allTextContents()).toEqual([
      "Live accuracy over time",
      "Capture volume, label coverage and delay",
      "Bandit",
    ]);
    const worst = (await v.page.evaluate(CONTRAST_SCRIPT)) as { min: number; where: string };
    expect(worst.min, worst.where).toBeGreaterThanOrEqual(4.5);
    await screenshot(v.page, "ui-monitoring.png");
    expect(v.consoleErrors).toEqual([]);
    expect(v.failedRequests).toEqual([]);
    expect(v.requests.every((u) => u.startsWith(base))).toBe(true);
    await v.page.close();
  });
});
