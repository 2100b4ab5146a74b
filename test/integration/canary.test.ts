/**
 * The canary, executed locally through the state machine (the same ASL the cloud runs):
 * Gate → CanaryStart → CanaryWait (0 s locally) → CanaryCheck → Promote or RolledBack.
 *
 * Traffic during the canary is simulated by the metrics source the check reads: it sends 200
 * requests through the real predict routing (ServedModels over the run's own stores, which
 * the traffic record steers) and counts each version's requests and predicted classes; the
 * rollback case adds 5xx answers to the candidate's share. The Gate's decision is forced to
 * promote (retraining on the same data never beats the champion), so both paths run.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalRun, runLocally, withLocalStores } from "../../cli/local/run-pipeline.ts";
import { setCanaryMetrics } from "../../lambdas/canary.ts";
import { stepDeps } from "../../lambdas/step-handler.ts";
import { ServedModels } from "../../pipeline/serving/served-models.ts";
import { decodeTraffic, trafficKey } from "../../pipeline/serving/traffic.ts";
import type { CanaryMetrics, CanaryRunState, VersionTraffic } from "../../pipeline/steps/canary.ts";
import { withoutSections } from "../support/spec-text.ts";

const EXAMPLE = resolve("examples/penguins");
const ROW = {
  island: "Biscoe",
  bill_length_mm: 47.5,
  bill_depth_mm: 15,
  flipper_length_mm: 218,
  body_mass_g: 4950,
  sex: "MALE",
};

let dir: string;
let spec: string;
const stateDir = () => join(dir, "state");

/** Routes `n` requests like predict does and counts them per version. */
function simulatedTraffic(n: number, candidateErrorRate: number): CanaryMetrics {
  const seen = new Map<string, VersionTraffic & { classCounts: Record<string, number> }>();
  let simulation: Promise<void> | undefined;
  async function simulate(pipeline: string): Promise<void> {
    const deps = stepDeps();
    const served = new ServedModels({
      pipeline,
      registry: deps.registry,
      artifacts: deps.artifacts,
    });
    for (let i = 0; i < n; i++) {
      const model = await served.next();
      const t = seen.get(model.version) ?? { requests: 0, serverErrors: 0, classCounts: {} };
      seen.set(model.version, t);
      t.requests++;
      // Every k-th candidate request fails, for the rollback case.
      if (
        model.canary &&
        candidateErrorRate > 0 &&
        t.requests % Math.round(1 / candidateErrorRate) === 0
      ) {
        t.serverErrors++;
        continue;
      }
      const label = String(model.bundle.predict([ROW])[0].prediction);
      t.classCounts[label] = (t.classCounts[label] ?? 0) + 1;
    }
  }
  return {
    alarmsFiring: async () => [],
    async traffic(pipeline, version) {
      simulation ??= simulate(pipeline);
      await simulation;
      return seen.get(version) ?? { requests: 0, serverErrors: 0, classCounts: {} };
    },
  };
}

async function run(metrics?: CanaryMetrics): Promise<LocalRun> {
  setCanaryMetrics(metrics);
  try {
    return await runLocally({
      specPath: spec,
      stateDir: stateDir(),
      retryIntervalOverrides: {},
      wrapHandlers: (handlers) => ({
        ...handlers,
        evaluate: async (event) => ({
          ...((await handlers.evaluate(event)) as object),
          promote: true,
        }),
      }),
    });
  } finally {
    setCanaryMetrics(undefined);
  }
}

async function stored(uri: string): Promise<unknown> {
  return withLocalStores(stateDir(), async () =>
    JSON.parse(new TextDecoder().decode(await stepDeps().artifacts.get(uri))),
  );
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "orchard-canary-"));
  // No grid search; the example's own deploy section (batch scoring) gives way to the canary's.
  const yaml = withoutSections(
    await readFile(join(EXAMPLE, "pipeline.yaml"), "utf8"),
    "search",
    "deploy",
  )
    .replace(/^name: .*$/m, "name: canary-penguins")
    .replace(/uri: penguins\.csv/, `uri: ${join(EXAMPLE, "penguins.csv")}`)
    .replace(/trees: 100/, "trees: 15");
  spec = join(dir, "pipeline.yaml");
  await writeFile(
    spec,
    `${yaml}\ndeploy:\n  canary: { percent: 20, minutes: 30, minRequests: 20 }\n`,
  );
  // The first model has no champion to compare with: it is promoted without a canary.
  const first = await run();
  expect(first.result.endState).toBe("Promoted");
  expect(first.state).toMatchObject({ canary: { enabled: false } });
}, 60_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The registry's record of `version` in the local state. */
function registered(version: string) {
  return withLocalStores(stateDir(), () =>
    stepDeps().registry.getVersion("canary-penguins", version),
  );
}

describe("canary through the local state machine", () => {
  it("promotes a healthy candidate after the check; the traffic split was the spec's 20 %", async () => {
    const r = await run(simulatedTraffic(200, 0));
    expect(r.result.status).toBe("SUCCEEDED");
    const names = r.result.states.filter((s) => s.iteration === undefined).map((s) => s.name);
    expect(names.slice(names.indexOf("Gate"))).toEqual([
      "Gate",
      "CanaryStart",
      "CanaryChoice",
      "CanaryWait",
      "CanaryCheck",
      "CanaryDecision",
      "Promote",
      "BatchScore",
      "Batch",
      "Promoted",
    ]);
    const state = r.state as CanaryRunState;
    expect(state.canary).toMatchObject({ enabled: true, weight: 0.2, waitSeconds: 0 });
    const check = state.canaryCheck!;
    expect(check).toMatchObject({ promote: true, reasons: [], errorRate: 0 });
    expect(check.traffic.candidate.requests).toBe(40);
    expect(check.traffic.baseline.requests).toBe(160);
    expect(r.championAfter?.version).toBe(check.candidate);
    expect(r.championBefore?.version).toBe(check.baseline);
    expect(await stored(check.recordUri)).toMatchObject({
      outcome: "promoted",
      candidate: check.candidate,
    });
    const version = await registered(check.candidate);
    // Promotion keeps the status Evaluate registered (only a withdrawn candidate changes it).
    expect(version?.status).not.toBe("rolled-back");
    expect(version?.canary).toMatchObject({ outcome: "promoted", metrics: { requests: 40 } });
  }, 30_000);

  it("rolls back a candidate with a 5xx rate above maxErrorRate: champion kept, traffic cleared", async () => {
    const r = await run(simulatedTraffic(200, 0.1));
    expect(r.result.endState).toBe("RolledBack");
    expect(r.result.status).toBe("SUCCEEDED");
    const check = (r.state as CanaryRunState).canaryCheck!;
    expect(check.promote).toBe(false);
    expect(check.reasons.join(" ")).toMatch(/5xx rate 0\.1 is above maxErrorRate 0\.01/);
    expect(r.championAfter?.version).toBe(r.championBefore?.version);
    const record = (await stored(check.recordUri)) as Record<string, unknown>;
    expect(record).toMatchObject({ outcome: "rolled-back", candidate: check.candidate });
    const version = await registered(check.candidate);
    expect(version?.status).toBe("rolled-back");
    expect(version?.canary?.outcome).toBe("rolled-back");
    expect(version?.canary?.reason).toMatch(/maxErrorRate/);
    const traffic = await withLocalStores(stateDir(), async () => {
      const { artifacts } = stepDeps();
      const uri = artifacts.uriFor("artifacts", trafficKey("canary-penguins"));
      return decodeTraffic(await artifacts.get(uri), uri);
    });
    expect(traffic).toMatchObject({ candidate: null, weight: 0 });
  }, 30_000);

  it("rolls back when no traffic reached the candidate (the local default source)", async () => {
    const r = await run();
    expect(r.result.endState).toBe("RolledBack");
    expect((r.state as CanaryRunState).canaryCheck?.reasons[0]).toMatch(
      /answered 0 requests.*inconclusive/,
    );
    const version = await registered((r.state as CanaryRunState).canaryCheck?.candidate ?? "");
    expect([version?.status, version?.canary?.outcome]).toEqual(["rolled-back", "inconclusive"]);
  }, 30_000);
});
