/**
 * The run report and `orchard ui` as a person sees them: two local runs (the classification
 * example and a regression spec on the same data), their reports and the UI's pages opened in
 * headless Chromium. Every chart must be present as SVG, with no console error, no failed or
 * outside request; a screenshot of each page is kept under test-artifacts/.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runLocally, withLocalStores } from "../../cli/local/run-pipeline.ts";
import { predictFile } from "../../cli/predict.ts";
import { keepRunRecord, type RunRecord } from "../../cli/ui/run-records.ts";
import { createUiServer } from "../../cli/ui/server.ts";
import { stepDeps } from "../../lambdas/step-handler.ts";
import { CONTRAST_SCRIPT, launch, screenshot, visit } from "./browser.ts";

const example = fileURLToPath(new URL("../../examples/penguins/", import.meta.url));
const stateDir = mkdtempSync(join(tmpdir(), "orchard-ui-"));
const specDir = mkdtempSync(join(tmpdir(), "orchard-ui-spec-"));
const regressionSpec = join(specDir, "mass.yaml");
// The regression target must be present in every row: keep the penguins with a body mass.
const [header, ...lines] = readFileSync(join(example, "penguins.csv"), "utf8").trim().split("\n");
const mass = header.split(",").indexOf("body_mass_g");
writeFileSync(
  join(specDir, "penguins-mass.csv"),
  `${[header, ...lines.filter((l) => !["", "NA"].includes(l.split(",")[mass]))].join("\n")}\n`,
);
writeFileSync(
  regressionSpec,
  `name: penguin-mass
source: { uri: penguins-mass.csv }
target: body_mass_g
task: regression
id: penguin_id
model: { trees: 30 }
search: { folds: 3 }
`,
);

type Kept = RunRecord & { reportPath: string | null };
let browser: Browser;
let server: Server;
let base: string;
const kept: Record<string, Kept> = {};

async function runAndKeep(specPath: string): Promise<Kept> {
  const run = await runLocally({ specPath, stateDir });
  expect(run.result.status).toBe("SUCCEEDED");
  return withLocalStores(stateDir, () => keepRunRecord(stateDir, run, stepDeps()));
}

beforeAll(async () => {
  kept.classification = await runAndKeep(join(example, "pipeline.yaml"));
  kept.regression = await runAndKeep(regressionSpec);
  browser = await launch();
  server = createUiServer(stateDir);
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, 120_000);

afterAll(async () => {
  await browser?.close();
  if (server) await new Promise((ok) => server.close(ok));
});

describe.each(["classification", "regression"])("the %s run report", (task) => {
  const expected =
    task === "classification"
      ? ["confusion", "shap", "importance", "search", "correlations", "target-species"]
      : ["residuals", "shap", "importance", "search", "correlations", "target-body_mass_g"];

  it("is written to the artifacts store and copied under the state directory", () => {
    const k = kept[task];
    expect(k.reportUri).toMatch(
      new RegExp(`^s3://orchard-artifacts/${k.pipeline}/reports/${k.executionId}\\.html$`),
    );
    expect(readFileSync(k.reportPath!, "utf8")).toMatch(/^<!doctype html>/);
  });

  it("shows every chart as SVG in Chromium, with no console error and no request beyond the file", async () => {
    const url = pathToFileURL(kept[task].reportPath!).href;
    const v = await visit(browser, url);
    const charts = await v.page.locator("figure.chart").evaluateAll((figs) =>
      figs.map((f) => ({
        id: f.getAttribute("data-chart"),
        svg: f.querySelector(":scope > svg") !== null,
        w: f.querySelector("svg")?.getBoundingClientRect().width ?? 0,
      })),
    );
    for (const id of expected) expect(charts.map((c) => c.id)).toContain(id);
    for (const c of charts) {
      expect(c.svg, c.id ?? "").toBe(true);
      expect(c.w, c.id ?? "").toBeGreaterThan(50);
    }
    await screenshot(v.page, `report-${task}.png`);
    expect(v.consoleErrors).toEqual([]);
    expect(v.failedRequests).toEqual([]);
    expect(v.requests).toEqual([url]);
    await v.page.close();
  });
});

describe("orchard predict --explain on the example", () => {
  it("adds contributions per raw feature that add up to the predicted class's probability", async () => {
    const input = join(specDir, "rows.csv");
    writeFileSync(
      input,
      readFileSync(join(example, "penguins.csv"), "utf8").split("\n").slice(0, 21).join("\n"),
    );
    const result = await predictFile({
      specPath: join(example, "pipeline.yaml"),
      inputPath: input,
      stateDir,
      explain: true,
    });
    expect(result.predictions).toHaveLength(20);
    for (const p of result.predictions as ((typeof result.predictions)[number] & {
      explanation: { class: string; expectedValue: number; contributions: Record<string, number> };
    })[]) {
      expect(p.explanation.class).toBe(p.prediction);
      expect(Object.keys(p.explanation.contributions).sort()).toEqual([
        "bill_depth_mm",
        "bill_length_mm",
        "body_mass_g",
        "flipper_length_mm",
        "island",
        "sex",
      ]);
      const sum = Object.values(p.explanation.contributions).reduce(
        (s, x) => s + x,
        p.explanation.expectedValue,
      );
      expect(Math.abs(sum - p.probabilities![p.prediction as string])).toBeLessThan(1e-9);
    }
  });
});

describe("orchard ui in Chromium", () => {
  it("lists the pipelines with their champion, reachable by keyboard from a skip link", async () => {
    const v = await visit(browser, `${base}/`);
    await v.page.keyboard.press("Tab");
    expect(await v.page.evaluate("document.activeElement?.textContent")).toBe("Skip to content");
    expect(await v.page.locator("main h1").textContent()).toBe("Pipelines");
    const rows = await v.page.locator("tbody tr th a").allTextContents();
    expect(rows).toEqual(["penguin-mass", "penguins"]);
    await screenshot(v.page, "ui-home.png");
    expect(v.consoleErrors).toEqual([]);
    expect(v.failedRequests).toEqual([]);
    await v.page.close();
  });

  it("shows a pipeline's executions and registry, and opens the run page and its report", async () => {
    const v = await visit(browser, `${base}/pipelines/penguins`);
    expect(await v.page.locator("caption").allTextContents()).toEqual([
      "Executions, newest first",
      "Registered model versions, newest first",
    ]);
    expect(await v.page.locator("text=(champion)").count()).toBe(1);
    await screenshot(v.page, "ui-pipeline.png");
    // Keyboard: focus the execution link and follow it.
    await v.page.locator("tbody tr th a").first().focus();
    await Promise.all([v.page.waitForURL(/\/runs\//), v.page.keyboard.press("Enter")]);
    expect(await v.page.locator("caption").first().textContent()).toBe(
      "States in the order entered",
    );
    const states = await v.page.locator("tbody tr th").allTextContents();
    expect(states).toEqual(
      expect.arrayContaining(["Drift", "Report", "Promote", "TrainCandidate (4 runs)"]),
    );
    await screenshot(v.page, "ui-run.png");
    await Promise.all([
      v.page.waitForURL(/\/report$/),
      v.page.getByRole("link", { name: "Open the run report" }).click(),
    ]);
    expect(await v.page.locator("figure.chart svg").count()).toBeGreaterThan(8);
    expect(v.consoleErrors).toEqual([]);
    expect(v.failedRequests).toEqual([]);
    expect(v.requests.every((u) => u.startsWith(base))).toBe(true);
    await v.page.close();
  });

  it("keeps text contrast at WCAG AA (4.5:1) on every page", async () => {
    for (const path of [
      "/",
      "/pipelines/penguins",
      `/pipelines/penguins/runs/${kept.classification.executionId}`,
    ]) {
      const v = await visit(browser, `${base}${path}`);
      const worst = (await v.page.evaluate(CONTRAST_SCRIPT)) as { min: number; where: string };
      expect(worst.min, `${path}: ${worst.where}`).toBeGreaterThanOrEqual(4.5);
      await v.page.close();
    }
  });

  it("answers unknown pages and traversal attempts with 404", async () => {
    for (const path of ["/nope", "/pipelines/..%2F..%2Fetc", "/pipelines/penguins/runs/none"]) {
      const res = await fetch(`${base}${path}`);
      expect(res.status, path).toBe(404);
    }
  });
});
