/**
 * `model.type: gradient-boosting` end to end through the local state machine: the example's
 * penguins with a boosting search (two depths), then select, evaluate, gate, promote, batch
 * scoring and the report (learning curve, TreeSHAP, split-gain importance); the promoted
 * champion answers `POST /predict` with explanations that add up.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { runLocally, withLocalStores } from "../../cli/local/run-pipeline.ts";
import { stepDeps } from "../../lambdas/step-handler.ts";
import { BoostedModel } from "../../pipeline/boosting/index.ts";
import { loadBundle } from "../../pipeline/model/bundle.ts";
import { handleRequest } from "../../pipeline/serving/handle.ts";
import { ServedModels } from "../../pipeline/serving/served-models.ts";
import { withoutSections } from "../support/spec-text.ts";

const example = fileURLToPath(new URL("../../examples/penguins/", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "orchard-boosting-it-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function boostingCopy(): string {
  mkdirSync(join(dir, "batch"), { recursive: true });
  for (const file of ["penguins.csv", "batch/field-survey.csv"]) {
    cpSync(join(example, file), join(dir, file));
  }
  const spec = withoutSections(
    readFileSync(join(example, "pipeline.yaml"), "utf8"),
    "model",
    "search",
  ).replace(/^name: .*$/m, "name: penguins-gbdt");
  writeFileSync(
    join(dir, "pipeline.yaml"),
    `${spec}model:\n  type: gradient-boosting\n  iterations: 40\n  minSamplesLeaf: 5\nsearch:\n  strategy: grid\n  folds: 3\n  metric: f1_macro\n  grid:\n    maxDepth: [2, null]\n`,
  );
  return join(dir, "pipeline.yaml");
}

describe("a gradient-boosting run", () => {
  it("trains, promotes, scores the batch, reports and serves explanations", async () => {
    const stateDir = join(dir, "state");
    const run = await runLocally({ specPath: boostingCopy(), stateDir });
    expect(run.result.endState).toBe("Promoted");
    const select = run.state?.select;
    expect(select?.best.params.type).toBe("gradient-boosting");
    expect((select?.metrics as { f1_macro?: number } | undefined)?.f1_macro).toBeGreaterThan(0.9);
    expect(run.state?.train?.length).toBe(2);

    const predictions = readFileSync(join(dir, "batch", "field-survey.predictions.csv"), "utf8");
    expect(predictions.split("\n")[0]).toMatch(/prediction/);

    await withLocalStores(stateDir, async () => {
      const deps = stepDeps();
      const bundle = loadBundle(await deps.artifacts.get(select?.modelUri ?? ""));
      expect(bundle.forest).toBeInstanceOf(BoostedModel);
      const html = new TextDecoder().decode(
        await deps.artifacts.get(run.state?.report?.reportUri ?? ""),
      );
      for (const chart of ["learning-curve", "shap", "importance"]) {
        expect(html, chart).toMatch(new RegExp(`data-chart="${chart}"><svg`));
      }
      expect(html).toMatch(/Split-gain feature importance/);

      const served = new ServedModels({
        pipeline: "penguins-gbdt",
        registry: deps.registry,
        artifacts: deps.artifacts,
        refreshMs: 0,
      });
      const row = {
        island: "Biscoe",
        bill_length_mm: 47.5,
        bill_depth_mm: 15,
        flipper_length_mm: 218,
        body_mass_g: 4950,
        sex: "MALE",
      };
      const body = new TextEncoder().encode(JSON.stringify({ rows: [row], explain: true }));
      const { response } = await handleRequest(
        { method: "POST", path: "/predict", headers: { "content-type": "application/json" }, body },
        served,
      );
      expect(response.status).toBe(200);
      const [p] = JSON.parse(response.body).predictions;
      expect(p.prediction).toBe("Gentoo");
      const e = p.explanation;
      expect(e.class).toBe("Gentoo");
      const sum = Object.values(e.contributions as Record<string, number>).reduce(
        (a, b) => a + b,
        e.expectedValue,
      );
      expect(sum).toBeCloseTo(e.output, 9);
    });
  }, 300_000);

  it("ranks candidates of several families together and promotes the best", async () => {
    const base = readFileSync(join(dir, "pipeline.yaml"), "utf8");
    const spec = withoutSections(base, "model", "search", "deploy").replace(
      /^name: .*$/m,
      "name: penguins-mixed",
    );
    const path = join(dir, "mixed.yaml");
    writeFileSync(
      path,
      `${spec}model:\n  trees: 30\nsearch:\n  strategy: grid\n  folds: 3\n  metric: f1_macro\n  grid:\n    type: [random-forest, gradient-boosting, logistic-regression]\n    iterations: [30]\n`,
    );
    const run = await runLocally({ specPath: path, stateDir: join(dir, "state-mixed") });
    expect(run.result.endState).toBe("Promoted");
    const families = (run.state?.train ?? []).map((c) => c.params.type ?? "random-forest");
    expect(families.sort()).toEqual(["gradient-boosting", "logistic-regression", "random-forest"]);
    const ranking = run.state?.select?.ranking ?? [];
    expect(ranking).toHaveLength(3);
    for (let i = 1; i < ranking.length; i++) {
      expect(ranking[i - 1].mean ?? 0).toBeGreaterThanOrEqual(ranking[i].mean ?? 0);
    }
    expect(run.state?.select?.best.params).toEqual(ranking[0].params);
  }, 300_000);
});
