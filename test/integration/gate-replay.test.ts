/**
 * The gate on growing data (issue 15): a champion trained on the first 2,000 rows of a
 * noisy-label data set, then a challenger on the first 3,000 with the same seed and params.
 * With a split that reshuffles as the data grows, about half of the challenger's test rows were
 * champion training rows, where a forest that memorised the noisy labels looks far better than
 * it is, and the better challenger was rejected. Compared on rows neither trained on, it wins.
 */
import { describe, expect, it } from "vitest";
import { takeRows } from "../../pipeline/data/frame.ts";
import { loadBundle, serializeBundle } from "../../pipeline/model/bundle.ts";
import { createRng } from "../../pipeline/random.ts";
import { parseSpec } from "../../pipeline/spec/index.ts";
import { hashTrainedOn, keyDigests } from "../../pipeline/split/hash-split.ts";
import { describeSplit } from "../../pipeline/split/split-record.ts";
import { decodeDataset } from "../../pipeline/steps/dataset.ts";
import {
  evaluate,
  ingest,
  preprocess,
  promote,
  type RunState,
  type StepDeps,
  select,
  train,
  validate,
} from "../../pipeline/steps/index.ts";
import { report } from "../../pipeline/steps/report.ts";
import { trainingSetup } from "../../pipeline/steps/setup.ts";
import {
  MemoryArtifactStore,
  MemoryFeatureStore,
  MemoryModelRegistry,
} from "../../pipeline/store-memory.ts";
import { crossValidate } from "../../pipeline/train/cross-validate.ts";
import { takeTarget } from "../../pipeline/train/fit.ts";

const SPEC = `name: noisy
seed: 7
source:
  uri: noisy.csv
target: label
task: classification
id: row_id
model:
  trees: 200
search:
  folds: 3
  metric: accuracy
gate:
  metric: accuracy
  margin: 0
`;

/**
 * 3,000 rows: the label is a non-linear function of six features, flipped on a quarter of the
 * rows, so more rows help a forest and its training rows score far above unseen ones.
 */
function noisyCsv(rows: number): string {
  const rng = createRng(2026);
  const lines = ["row_id,x1,x2,x3,x4,x5,x6,label"];
  for (let i = 0; i < rows; i++) {
    const x = Array.from({ length: 6 }, () => rng() * 2 - 1);
    const signal = x[0] + x[1] * x[1] - 0.5 + Math.sin(3 * x[2]) * 0.6 + x[3] * x[4];
    const clean = signal > 0 ? "yes" : "no";
    const label = rng() < 0.25 ? (clean === "yes" ? "no" : "yes") : clean;
    lines.push([`r${i}`, ...x.map((v) => v.toFixed(4)), label].join(","));
  }
  return `${lines.join("\n")}\n`;
}

/** The same rows with a day per row (row i on day i), for a time split. */
function datedCsv(rows: number): string {
  const [header, ...lines] = noisyCsv(rows).trimEnd().split("\n");
  const day = (i: number) => new Date(Date.UTC(2020, 0, 1 + i)).toISOString().slice(0, 10);
  return `${[`${header},day`, ...lines.map((l, i) => `${l},${day(i)}`)].join("\n")}\n`;
}

async function run(deps: StepDeps, specUri: string): Promise<RunState> {
  const state: RunState = { run: { pipeline: "noisy", specUri, sourceUri: "file:///d/noisy.csv" } };
  state.ingest = await ingest(state, deps);
  state.validate = await validate(state, deps);
  state.preprocess = await preprocess(state, deps);
  state.train = await Promise.all(
    state.preprocess.candidates.map((candidate) => train({ candidate, run: state }, deps)),
  );
  state.select = await select(state, deps);
  state.evaluate = await evaluate(state, deps);
  if (state.evaluate.promote) state.promote = await promote(state, deps);
  return state;
}

describe("the gate after the data grew", () => {
  it("promotes the challenger trained on more rows, judged on rows neither model trained on", async () => {
    const all = noisyCsv(3000).trimEnd().split("\n");
    let source = new TextEncoder().encode(`${all.slice(0, 2001).join("\n")}\n`);
    const deps: StepDeps = {
      artifacts: new MemoryArtifactStore(),
      features: new MemoryFeatureStore(),
      registry: new MemoryModelRegistry(),
      readSource: async () => source,
      now: () => new Date("2026-01-01T00:00:00Z"),
    };
    const spec = await deps.artifacts.putContent(
      "artifacts",
      "noisy/specs",
      new TextEncoder().encode(SPEC),
      "yaml",
    );
    const first = await run(deps, spec.uri);
    expect(first.preprocess?.rows.input).toBe(2000);
    expect(first.promote?.promoted).toBe(true);

    source = new TextEncoder().encode(`${all.join("\n")}\n`);
    const second = await run(deps, spec.uri);
    expect(second.preprocess?.rows.input).toBe(3000);
    expect(second.evaluate?.champion).toMatchObject({ version: "v1", source: "rescored" });
    expect(second.evaluate?.reasons.join("; ")).toMatch(/beats champion v1/);
    // The challenger is the better model: on 10,000 fresh rows from the same source it is
    // more accurate than the champion.
    const fresh = noisyCsv(13_000)
      .trimEnd()
      .split("\n")
      .slice(3001)
      .map((l) => l.split(","));
    const rows = fresh.map((c) =>
      Object.fromEntries(c.slice(1, 7).map((v, i) => [`x${i + 1}`, Number(v)])),
    );
    const accuracyOf = async (uri: string) => {
      const predicted = loadBundle(await deps.artifacts.get(uri)).predict(rows);
      return predicted.filter((p, i) => p.prediction === fresh[i][7]).length / fresh.length;
    };
    const [championFresh, challengerFresh] = [
      await accuracyOf(first.select?.modelUri ?? ""),
      await accuracyOf(second.select?.modelUri ?? ""),
    ];
    expect(challengerFresh).toBeGreaterThan(championFresh);
    expect(second.evaluate?.promote).toBe(true);
    expect((await deps.registry.getChampion("noisy"))?.version).toBe("v2");
  }, 120_000);

  it("keeps a time split by time, cross-validates forward, and compares after the champion's boundary", async () => {
    const all = datedCsv(1500).trimEnd().split("\n");
    let source = new TextEncoder().encode(`${all.slice(0, 1001).join("\n")}\n`);
    const deps: StepDeps = {
      artifacts: new MemoryArtifactStore(),
      features: new MemoryFeatureStore(),
      registry: new MemoryModelRegistry(),
      readSource: async () => source,
      now: () => new Date("2026-01-01T00:00:00Z"),
    };
    const spec = await deps.artifacts.putContent(
      "artifacts",
      "noisy/specs",
      new TextEncoder().encode(`${SPEC}split:\n  strategy: time\n  timeColumn: day\n`),
      "yaml",
    );
    const first = await run(deps, spec.uri);
    expect(first.preprocess?.split).toMatchObject({
      strategy: "time",
      column: "day",
      unit: "date",
      trainUntil: Date.UTC(2020, 0, 800),
      testFrom: Date.UTC(2020, 0, 801),
    });
    expect(describeSplit(first.preprocess!.split).boundary).toBe(
      "train up to 2022-03-10T00:00:00.000Z, test from 2022-03-11T00:00:00.000Z",
    );

    // Train cross-validated with forward-chaining folds over the training rows' days.
    const data = decodeDataset(await deps.artifacts.get(first.preprocess?.datasetUri ?? ""));
    const times = data.times ?? new Float64Array();
    const forward = await crossValidate(
      takeRows(data.frame, data.train),
      takeTarget(data.target, data.train),
      first.preprocess!.candidates[0],
      trainingSetup(
        parseSpec(`${SPEC}split:\n  strategy: time\n  timeColumn: day\n`, { file: "spec" }),
        first.preprocess!.features,
      ),
      { folds: 3, metric: "accuracy", times: Float64Array.from(data.train, (r) => times[r]) },
    );
    expect(first.train?.[0].scores).toEqual(forward.scores);

    source = new TextEncoder().encode(`${all.join("\n")}\n`);
    const second = await run(deps, spec.uri);
    // The new test rows are the latest 300 days, all after the champion's last training day.
    expect(second.preprocess?.rows.test).toBe(300);
    expect(second.evaluate?.champion).toMatchObject({ version: "v1", rows: 300 });

    const { reportUri } = await report({ run: second, execution: "e2" }, deps);
    const html = new TextDecoder().decode(await deps.artifacts.get(reportUri));
    expect(html).toContain("Time boundary");
    expect(html).toContain(
      "train up to 2023-04-14T00:00:00.000Z, test from 2023-04-15T00:00:00.000Z",
    );
    expect(html).toContain("3 forward-chaining folds");
    expect(html).toMatch(/Rows compared<\/dt>\s*<dd>300/);
  }, 120_000);

  it("falls back to the recorded metric of a champion whose bundle predates split records", async () => {
    const csv = noisyCsv(1200);
    const deps: StepDeps = {
      artifacts: new MemoryArtifactStore(),
      features: new MemoryFeatureStore(),
      registry: new MemoryModelRegistry(),
      readSource: async () => new TextEncoder().encode(csv),
      now: () => new Date("2026-01-01T00:00:00Z"),
    };
    const spec = await deps.artifacts.putContent(
      "artifacts",
      "noisy/specs",
      new TextEncoder().encode(SPEC),
      "yaml",
    );
    const first = await run(deps, spec.uri);
    // The same model as an older Orchard wrote it: no split in the header.
    const bundle = loadBundle(await deps.artifacts.get(first.select?.modelUri ?? ""));
    const { split: _split, ...header } = bundle.header;
    const old = await deps.artifacts.putContent(
      "artifacts",
      "noisy/models",
      serializeBundle({ ...bundle, header }),
      "orchard-model",
    );
    const version = await deps.registry.registerVersion("noisy", {
      modelUri: old.uri,
      metrics: { accuracy: 0.5 },
      params: {},
      lineage: first.select!.lineage,
      status: "approved",
    });
    await deps.registry.promote("noisy", version.version, { expectedChampion: "v1" });

    const second = await run(deps, spec.uri);
    expect(second.evaluate?.champion).toMatchObject({
      version: "v2",
      value: 0.5,
      source: "stored",
      rows: null,
    });
    expect(second.evaluate?.reasons).toContain(
      "champion v2 does not record how its training rows were chosen (an older bundle), so its recorded accuracy was used",
    );
  }, 120_000);

  it.each([
    ["an id", SPEC, "rescored"],
    ["a content", SPEC.replace("id: row_id\n", "features: { drop: [row_id] }\n"), "stored"],
  ] as const)(
    "after split scheme 2, compares a scheme-1 champion with %s key as its digests allow",
    async (_, text, source) => {
      const small = text.replace("trees: 200", "trees: 20");
      const deps: StepDeps = {
        artifacts: new MemoryArtifactStore(),
        features: new MemoryFeatureStore(),
        registry: new MemoryModelRegistry(),
        readSource: async () => new TextEncoder().encode(noisyCsv(600)),
        now: () => new Date("2026-01-01T00:00:00Z"),
      };
      const spec = await deps.artifacts.putContent(
        "artifacts",
        "noisy/specs",
        new TextEncoder().encode(small),
        "yaml",
      );
      const first = await run(deps, spec.uri);
      expect(first.preprocess?.split).toMatchObject({ scheme: 2 });
      // The same model as Orchard wrote it before scheme 2: its split record says scheme 1.
      const bundle = loadBundle(await deps.artifacts.get(first.select?.modelUri ?? ""));
      const split = { ...bundle.header.split, scheme: 1 } as typeof bundle.header.split;
      const old = await deps.artifacts.putContent(
        "artifacts",
        "noisy/models",
        serializeBundle({ ...bundle, header: { ...bundle.header, split } }),
        "orchard-model",
      );
      const version = await deps.registry.registerVersion("noisy", {
        modelUri: old.uri,
        metrics: { accuracy: 0.5 },
        params: {},
        lineage: first.select!.lineage,
        status: "approved",
      });
      await deps.registry.promote("noisy", version.version, { expectedChampion: "v1" });

      const second = await run(deps, spec.uri);
      expect(second.evaluate?.champion).toMatchObject({ version: "v2", source });
      if (source === "rescored") {
        // id keys hash alike in both schemes: every test row is known unseen by the champion
        expect(second.evaluate?.champion?.rows).toBe(second.preprocess?.rows.test);
      } else {
        expect(second.evaluate?.reasons).toContain(
          "champion v2 was split by hash scheme 1 and this run's rows are keyed by scheme 2, so its recorded accuracy was used",
        );
      }
    },
    120_000,
  );

  it("compares a rerun's model with a champion of the same bytes without re-scoring it", async () => {
    const deps: StepDeps = {
      artifacts: new MemoryArtifactStore(),
      features: new MemoryFeatureStore(),
      registry: new MemoryModelRegistry(),
      readSource: async () => new TextEncoder().encode(noisyCsv(600)),
      now: () => new Date("2026-01-01T00:00:00Z"),
    };
    const spec = await deps.artifacts.putContent(
      "artifacts",
      "noisy/specs",
      new TextEncoder().encode(SPEC.replace("trees: 200", "trees: 20")),
      "yaml",
    );
    const first = await run(deps, spec.uri);
    const get = deps.artifacts.get.bind(deps.artifacts);
    const read: string[] = [];
    deps.artifacts.get = (uri) => {
      read.push(uri);
      return get(uri);
    };
    const state: RunState = { ...(await run(deps, spec.uri)) };
    expect(state.select?.modelUri).toBe(first.select?.modelUri);
    read.length = 0;
    const again = await evaluate(state, deps);
    const value = first.evaluate?.value;
    expect(again.champion).toEqual({
      version: "v1",
      value,
      source: "rescored",
      rows: state.preprocess?.rows.test,
      challengerValue: value,
    });
    expect(again.reasons.join("; ")).toContain(
      "champion v1 is this run's model (the same bytes), so it scores accuracy",
    );
    expect(again.promote).toBe(false);
    // neither model nor dataset was read again
    expect(read.filter((uri) => /models|datasets/.test(uri))).toEqual([]);
  }, 120_000);

  it("stops in Preprocess, naming the class, when a roc_auc gate has a class without test rows", async () => {
    const lines = noisyCsv(400).trimEnd().split("\n");
    // Three rows of a rare class, picked among those the hash split puts on the training side.
    const ids = lines.slice(1).map((l) => `id\u0000${l.split(",")[0]}`);
    const trained = hashTrainedOn(keyDigests(ids), Int32Array.from(ids.keys()), {
      testFraction: 0.2,
      seed: 7,
    });
    const rare = [...trained.keys()].filter((i) => trained[i] === 1).slice(0, 3);
    for (const i of rare) lines[i + 1] = lines[i + 1].replace(/,(yes|no)$/, ",rare");
    const deps: StepDeps = {
      artifacts: new MemoryArtifactStore(),
      features: new MemoryFeatureStore(),
      registry: new MemoryModelRegistry(),
      readSource: async () => new TextEncoder().encode(`${lines.join("\n")}\n`),
      now: () => new Date("2026-01-01T00:00:00Z"),
    };
    const spec = await deps.artifacts.putContent(
      "artifacts",
      "noisy/specs",
      new TextEncoder().encode(
        SPEC.replace("metric: accuracy\n  margin", "metric: roc_auc\n  margin"),
      ),
      "yaml",
    );
    const state: RunState = {
      run: { pipeline: "noisy", specUri: spec.uri, sourceUri: "file:///d/noisy.csv" },
    };
    state.ingest = await ingest(state, deps);
    state.validate = await validate(state, deps);
    await expect(preprocess(state, deps)).rejects.toThrow(
      /class "rare" \(3 rows\) has no row in the test split, so the gate's roc_auc cannot be computed/,
    );
  });

  it("leaves out the test rows a champion split with another seed trained on", async () => {
    const csv = noisyCsv(1200);
    const deps: StepDeps = {
      artifacts: new MemoryArtifactStore(),
      features: new MemoryFeatureStore(),
      registry: new MemoryModelRegistry(),
      readSource: async () => new TextEncoder().encode(csv),
      now: () => new Date("2026-01-01T00:00:00Z"),
    };
    const specWithSeed = async (seed: number) =>
      (
        await deps.artifacts.putContent(
          "artifacts",
          "noisy/specs",
          new TextEncoder().encode(`${SPEC}split:\n  seed: ${seed}\n`),
          "yaml",
        )
      ).uri;
    const first = await run(deps, await specWithSeed(1));
    const second = await run(deps, await specWithSeed(2));
    const ids = async (state: RunState, side: "train" | "test") => {
      const data = decodeDataset(await deps.artifacts.get(state.preprocess?.datasetUri ?? ""));
      return new Set(Array.from(data[side], (r) => data.ids?.[r]));
    };
    const championTrain = await ids(first, "train");
    const test = [...(await ids(second, "test"))];
    const seenByChampion = test.filter((id) => championTrain.has(id)).length;
    expect(seenByChampion).toBeGreaterThan(test.length / 2);
    const compared = second.evaluate?.champion?.rows ?? 0;
    // Every test row the champion trained on is left out (the same data: exactly those).
    expect(compared).toBe(test.length - seenByChampion);
    expect(second.evaluate?.reasons.join("; ")).toContain(
      `${seenByChampion} of this run's ${test.length} test rows were left out of the comparison: champion v1 may have trained on them`,
    );
  }, 120_000);
});
