/**
 * Issue 19 items 4 and 5 end to end, locally and under the deployed IAM: with
 * `deploy.strategy: ab` a gate-passing run starts an A/B test instead of replacing the
 * champion; `orchard serve` splits requests between the arms (by request id) and captures
 * them; labels come back through POST /feedback; `orchard monitor` promotes a better
 * challenger, and does not promote an equal one. With `deploy.strategy: bandit`, the weights
 * the Monitor writes move to the arm whose predictions turn out right, and serving follows.
 *
 * The labels are the test's own truth: for each answered request it decides whether the
 * prediction was right at the rate it gives that version, which is what makes one arm better.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { type LocalRun, runLocally, withLocalStores } from "../../cli/local/run-pipeline.ts";
import { monitorLocally } from "../../cli/monitor.ts";
import { serve } from "../../cli/serve.ts";
import { route } from "../../cli/ui/server.ts";
import { runAs } from "../../lambdas/io/caller.ts";
import { stepDeps } from "../../lambdas/step-handler.ts";
import { decodeTraffic, trafficKey } from "../../pipeline/serving/traffic.ts";
import { parseSpec } from "../../pipeline/spec/index.ts";
import type { CanaryRunState } from "../../pipeline/steps/canary.ts";
import { activeEnforcement } from "../support/iam-enforcement.ts";

const csv = readFileSync(
  fileURLToPath(new URL("../../examples/penguins/penguins.csv", import.meta.url)),
  "utf8",
);
const dir = mkdtempSync(join(tmpdir(), "orchard-experiment-"));
writeFileSync(join(dir, "penguins.csv"), csv);
const [header, ...lines] = csv.trim().split("\n");
const columns = header.split(",");
const rows = lines.slice(0, 40).map((line) => {
  const cells = line.split(",");
  const { species: _truth, ...row } = Object.fromEntries(columns.map((c, i) => [c, cells[i]]));
  return row;
});
const SPECIES = ["Adelie", "Chinstrap", "Gentoo"];
let batch = 0;

function project(name: string, deploy: string): { specPath: string; stateDir: string } {
  const specPath = join(dir, `${name}.yaml`);
  writeFileSync(
    specPath,
    `name: ${name}
source: { uri: penguins.csv }
target: species
task: classification
model: { trees: 10 }
deploy:
${deploy}monitor:
  capture: {}
  minLabels: 10
`,
  );
  return { specPath, stateDir: join(dir, `${name}-state`) };
}

/** What CanaryStart returned in a run. */
const canaryOf = (r: LocalRun) => (r.state as CanaryRunState | null)?.canary;

/** A local run whose gate always lets the model through (same data: never strictly better). */
function run(p: { specPath: string; stateDir: string }): Promise<LocalRun> {
  return runLocally({
    ...p,
    wrapHandlers: (handlers) => ({
      ...handlers,
      evaluate: async (event) => ({
        ...((await handlers.evaluate(event)) as object),
        promote: true,
      }),
    }),
  });
}

/**
 * Serves `n` requests (fresh request ids), then sends one label per answer: right at
 * `rate[version]` of that version's answers, evenly spread. Returns the versions served.
 */
async function serveAndLabel(
  p: { specPath: string; stateDir: string },
  n: number,
  rate: Record<string, number>,
): Promise<Record<string, number>> {
  return withLocalStores(p.stateDir, async () => {
    const spec = parseSpec(readFileSync(p.specPath, "utf8"), { file: p.specPath });
    const command = await serve({
      pipeline: spec.name,
      port: 0,
      capture: spec.monitor.capture,
      signals: [],
    });
    const served: Record<string, number> = {};
    batch++;
    const labels: { requestId: string; label: string }[] = [];
    for (let i = 0; i < n; i++) {
      const res = await fetch(`${command.server.url}/predict`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "x-request-id": `${spec.name}-${batch}-${i}`,
        },
        body: JSON.stringify({ rows: [rows[i % rows.length]] }),
      });
      expect(res.status).toBe(200);
      const body = (await res.json()) as {
        modelVersion: string;
        predictions: { prediction: string }[];
      };
      const k = served[body.modelVersion] ?? 0;
      served[body.modelVersion] = k + 1;
      const r = rate[body.modelVersion] ?? 0;
      const right = Math.floor((k + 1) * r) > Math.floor(k * r);
      const predicted = body.predictions[0].prediction;
      labels.push({
        requestId: res.headers.get("x-orchard-request-id") ?? "",
        label: right ? predicted : (SPECIES.find((s) => s !== predicted) ?? "Adelie"),
      });
    }
    for (let i = 0; i < labels.length; i += 500) {
      const res = await fetch(`${command.server.url}/feedback`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ labels: labels.slice(i, i + 500) }),
      });
      expect(res.status).toBe(202);
    }
    await command.stop();
    return served;
  });
}

/** The registry's record of a version, read as the data scientist. */
function version(p: { stateDir: string }, pipeline: string, v: string) {
  return withLocalStores(p.stateDir, () =>
    runAs({ role: "data-scientist", pipeline }, () => stepDeps().registry.getVersion(pipeline, v)),
  );
}

function traffic(p: { stateDir: string }, pipeline: string) {
  return withLocalStores(p.stateDir, () =>
    runAs({ role: "data-scientist", pipeline }, async () => {
      const { artifacts } = stepDeps();
      const uri = artifacts.uriFor("artifacts", trafficKey(pipeline));
      return decodeTraffic(await artifacts.get(uri), uri);
    }),
  );
}

describe("A/B test: serve → capture → labels → orchard monitor", () => {
  const p = project(
    "tested",
    "  strategy: ab\n  ab: { percent: 50, minLabels: 40, confidence: 0.95 }\n",
  );

  it("a gate-passing run starts the test instead of replacing the champion", async () => {
    const first = await run(p);
    expect(first.championAfter?.version).toBe("v1");
    const second = await run(p);
    expect(second.result.status).toBe("SUCCEEDED");
    expect(second.championAfter?.version).toBe("v1");
    expect(canaryOf(second)).toMatchObject({ experiment: "ab", candidate: "v2" });
    expect(second.state?.promote).toMatchObject({ promoted: false });
    expect(await traffic(p, "tested")).toMatchObject({
      strategy: "ab",
      arms: [
        { version: "v1", weight: 0.5 },
        { version: "v2", weight: 0.5 },
      ],
    });
  });

  it("promotes the better challenger, with its numbers in the registry and the report", async () => {
    const iam = activeEnforcement();
    if (!iam) throw new Error("this suite runs under the IAM-enforced project (vitest.config.ts)");
    iam.reset();
    const served = await serveAndLabel(p, 200, { v1: 0.6, v2: 0.9 });
    // Routed by request id at 50 %: both arms well past minLabels.
    expect(served.v1).toBeGreaterThan(70);
    expect(served.v2).toBeGreaterThan(70);

    const result = await monitorLocally({ ...p, retrain: false });
    const experiment = result.monitor.report.experiment;
    expect(experiment).toMatchObject({ strategy: "ab", action: "promoted", challenger: "v2" });
    expect(experiment?.arms.map((a) => a.labeled)).toEqual([served.v1, served.v2]);
    expect(experiment?.decision?.pValue).toBeLessThan(0.05);
    expect(readFileSync(result.htmlPath, "utf8")).toContain('data-experiment-action="promoted"');

    const v2 = await version(p, "tested", "v2");
    expect(v2?.canary).toMatchObject({ outcome: "promoted", strategy: "ab" });
    expect(v2?.canary?.metrics?.challengerLabeled).toBe(served.v2);
    expect(v2?.canary?.metrics?.pValue).toBeLessThan(0.05);
    expect(v2?.promotions.at(-1)).toMatchObject({ by: "orchard:tested:monitor", previous: "v1" });
    expect((await traffic(p, "tested")).arms).toEqual([]);
    // The Monitor did it as its own role, within its grants.
    expect(iam.denied).toEqual([]);
    expect(new Set(iam.decisions.map((d) => d.role))).toContain("monitor");

    // orchard ui shows the test as the Monitor judged it.
    const page = await route(p.stateDir, "/pipelines/tested/monitoring");
    expect(page.status).toBe(200);
    expect(String(page.body)).toContain('data-experiment-action="promoted"');
  });

  it("does not promote an equal challenger: it is rolled back, the champion stays", async () => {
    const third = await run(p);
    expect(canaryOf(third)).toMatchObject({ experiment: "ab", candidate: "v3", baseline: "v2" });
    const served = await serveAndLabel(p, 200, { v2: 0.8, v3: 0.8 });
    expect(Object.keys(served).sort()).toEqual(["v2", "v3"]);
    // Labels of the first test's versions are still in the window: only this test's count.
    const result = await monitorLocally({ ...p, retrain: false });
    const experiment = result.monitor.report.experiment;
    expect(experiment).toMatchObject({ action: "rolled-back", champion: "v2", challenger: "v3" });
    expect(result.monitor.report.champion).toBe("v2");
    const v3 = await version(p, "tested", "v3");
    expect(v3).toMatchObject({ status: "rolled-back", canary: { outcome: "rolled-back" } });
    const again = await monitorLocally({ ...p, retrain: false });
    expect(again.monitor.report.experiment ?? null).toBeNull();
  });
});

describe("bandit: the Monitor's weights move to the better arm", () => {
  const p = project("banded", "  strategy: bandit\n  bandit: { minShare: 0.05 }\n");

  it("serves the arms, and after the Monitor's update sends most traffic to the better one", async () => {
    await run(p);
    const second = await run(p);
    expect(canaryOf(second)).toMatchObject({ experiment: "bandit", candidate: "v2" });
    expect(second.championAfter?.version).toBe("v1");
    const before = await serveAndLabel(p, 120, { v1: 0.5, v2: 0.95 });
    expect(before.v1).toBeGreaterThan(30);
    expect(before.v2).toBeGreaterThan(30);

    const result = await monitorLocally({ ...p, retrain: false });
    const experiment = result.monitor.report.experiment;
    expect(experiment?.action).toBe("reweighted");
    const weights = experiment?.weights ?? [];
    expect(weights[1]).toBeGreaterThan(0.9);
    expect(weights[0]).toBeGreaterThanOrEqual(0.05);
    const record = await traffic(p, "banded");
    expect(record.arms?.map((a) => a.version)).toEqual(["v1", "v2"]);
    expect(record.arms?.[1].weight).toBeCloseTo(weights[1], 12);

    // Serving reads the new weights: most of the next requests go to v2.
    const after = await serveAndLabel(p, 100, { v1: 0.5, v2: 0.95 });
    expect(after.v2 ?? 0).toBeGreaterThan(80);
    expect(result.monitor.report.champion).toBe("v1");
  });
});
