/**
 * A binary task end to end: the penguins relabelled Adelie / other, run locally through the
 * state machine; the run's HTML report carries the ROC and precision-recall curves (the
 * three-class example never draws them) and the test metrics include roc_auc.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { runLocally, withLocalStores } from "../../cli/local/run-pipeline.ts";
import { stepDeps } from "../../lambdas/step-handler.ts";
import { withoutSections } from "../support/spec-text.ts";

const example = fileURLToPath(new URL("../../examples/penguins/", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "orchard-binary-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The example's spec and data with `species` recoded to Adelie / other. */
function binaryCopy(): string {
  const [header, ...rows] = readFileSync(join(example, "penguins.csv"), "utf8").trim().split("\n");
  const col = header.split(",").indexOf("species");
  const recoded = rows.map((r) =>
    r
      .split(",")
      .map((cell, i) => (i === col && cell !== "Adelie" ? "other" : cell))
      .join(","),
  );
  writeFileSync(join(dir, "penguins.csv"), `${[header, ...recoded].join("\n")}\n`);
  const spec = withoutSections(
    readFileSync(join(example, "pipeline.yaml"), "utf8"),
    "search",
    "deploy",
  ).replace(/^name: .*$/m, "name: adelie");
  writeFileSync(join(dir, "pipeline.yaml"), `${spec}\nreport:\n  explainRows: 25\n`);
  return join(dir, "pipeline.yaml");
}

describe("a binary classification run", () => {
  it("reports ROC and precision-recall curves, and roc_auc among the test metrics", async () => {
    const stateDir = join(dir, "state");
    const run = await runLocally({ specPath: binaryCopy(), stateDir });
    expect(run.result.endState).toBe("Promoted");
    const select = run.state?.select;
    expect(select?.classes).toEqual(["Adelie", "other"]);
    const metrics = (select?.metrics ?? {}) as { roc_auc?: number };
    expect(metrics.roc_auc).toBeGreaterThan(0.9);

    const reportUri = run.state?.report?.reportUri ?? "";
    const html = await withLocalStores(stateDir, async () =>
      new TextDecoder().decode(await stepDeps().artifacts.get(reportUri)),
    );
    const figures = new Map(
      [...html.matchAll(/<figure class="chart"[^>]*data-chart="([^"]+)">(.*?)<\/figure>/gs)].map(
        (m) => [m[1], m[2]],
      ),
    );
    for (const chart of ["roc", "pr"]) {
      expect(figures.get(chart), chart).toMatch(/^<svg[^>]*>.*<\/svg><figcaption>/s);
    }
    expect(html).toMatch(/ROC curve \(positive class (Adelie|other)\)/);
    // report.explainRows: the TreeSHAP chart explains a seeded sample of the test rows
    expect(html).toMatch(
      /Exact TreeSHAP explanations on 25 of \d+ test rows \(seeded sample, seed \d+; report\.explainRows\)/,
    );
  });
});
