/**
 * `model.type: custom` end to end, with the contract run by a process instead of a container
 * (docs/custom-training.md): the example's scikit-learn trainer (examples/custom-train/train.py,
 * Debian's /usr/bin/python3 with python3-sklearn and python3-onnx, which .ci/run installs) fits
 * on the matrices Select wrote and leaves an ONNX model; Orchard scores it on the test rows,
 * gates, registers and promotes it, batch-scores with it and serves it, and what it serves
 * equals the Python model's own predict_proba on the same rows within 1e-6.
 */
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runLocally, withLocalStores } from "../../cli/local/run-pipeline.ts";
import { stepDeps } from "../../lambdas/step-handler.ts";
import { loadBundle } from "../../pipeline/model/bundle.ts";
import { OnnxTreeModel } from "../../pipeline/onnx/onnx-model.ts";
import { handleRequest } from "../../pipeline/serving/handle.ts";
import { ServedModels } from "../../pipeline/serving/served-models.ts";
import { decodeDataset } from "../../pipeline/steps/dataset.ts";

const PYTHON = "/usr/bin/python3";
const examples = fileURLToPath(new URL("../../examples/", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "orchard-custom-it-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

beforeAll(() => {
  // No skipping: without the trainer's packages this fails and says how to get them.
  try {
    execFileSync(PYTHON, ["-c", "import sklearn, onnx"], { stdio: "pipe" });
  } catch (err) {
    throw new Error(
      `${PYTHON} cannot import sklearn and onnx: apt-get install python3-sklearn python3-onnx (.ci/run does) — ${String(err)}`,
    );
  }
});

/** The example in a scratch directory, with a batch prefix to score after the promotion. */
function exampleCopy(): string {
  cpSync(join(examples, "custom-train"), join(dir, "custom-train"), { recursive: true });
  mkdirSync(join(dir, "penguins"), { recursive: true });
  cpSync(join(examples, "penguins", "penguins.csv"), join(dir, "penguins", "penguins.csv"));
  mkdirSync(join(dir, "custom-train", "batch"), { recursive: true });
  const survey = readFileSync(join(examples, "penguins", "penguins.csv"), "utf8")
    .split("\n")
    .slice(0, 21)
    .join("\n");
  writeFileSync(join(dir, "custom-train", "batch", "survey.csv"), `${survey}\n`);
  const spec = join(dir, "custom-train", "pipeline.yaml");
  writeFileSync(spec, `${readFileSync(spec, "utf8")}deploy:\n  batch: { inputUri: batch/ }\n`);
  return spec;
}

/** The Python side: train.py's own model, refit on the same rows and seed, on the test rows. */
function pythonProbabilities(files: { train: string; test: string; schema: string }): number[][] {
  const script = `
import json, sys
sys.path.insert(0, sys.argv[1])
import train
schema = json.load(open(sys.argv[4]))
X, y = train.read_matrix("file://" + sys.argv[2], schema)
X_test, _ = train.read_matrix("file://" + sys.argv[3], schema)
model = train.fit(X, y, schema, schema["seed"])
print(json.dumps(model.predict_proba(X_test).tolist()))
`;
  const out = execFileSync(
    PYTHON,
    ["-c", script, join(dir, "custom-train"), files.train, files.test, files.schema],
    { encoding: "utf8" },
  );
  return JSON.parse(out);
}

describe("a custom (ONNX) trainer run as a process", () => {
  it("trains with train.py, then gates, registers, promotes, batch-scores and serves what Python predicts", async () => {
    const stateDir = join(dir, "state");
    const run = await runLocally({ specPath: exampleCopy(), stateDir });
    expect(run.result.status, JSON.stringify(run.result)).toBe("SUCCEEDED");
    expect(run.result.endState).toBe("Promoted");
    const select = run.state?.select;
    expect(select?.best.params.type).toBe("custom");
    const f1 = (select?.metrics as { f1_macro?: number } | undefined)?.f1_macro;
    expect(f1).toBeGreaterThan(0.9);
    expect(run.championAfter?.modelUri).toBe(select?.modelUri);

    const scored = readFileSync(
      join(dir, "custom-train", "batch", "survey.predictions.csv"),
      "utf8",
    );
    expect(scored.trim().split("\n")).toHaveLength(21);

    await withLocalStores(stateDir, async () => {
      const deps = stepDeps();
      const bundle = loadBundle(await deps.artifacts.get(select?.modelUri ?? ""));
      expect(bundle.header.modelType).toBe("onnx");
      expect(bundle.forest).toBeInstanceOf(OnnxTreeModel);
      const training = bundle.header.customTraining!;
      expect(training.command).toEqual(["/usr/bin/python3", "train.py"]);
      // What train.py reported is recorded; Orchard's own metric on the same rows gates.
      expect(training.reportedMetrics.f1_macro).toBeCloseTo(f1 ?? Number.NaN, 9);

      // The same test rows on both sides: the matrices train.py read, and the raw rows
      // (by penguin_id, in the prepared dataset's test order) served over POST /predict.
      const files = { train: "", test: "", schema: "" };
      for (const name of ["train", "test", "schema"] as const) {
        files[name] = join(dir, `${name}.input`);
        writeFileSync(files[name], await deps.artifacts.get(training.inputs[name]));
      }
      const expected = pythonProbabilities(files);
      const dataset = decodeDataset(
        await deps.artifacts.get(run.state?.preprocess?.datasetUri ?? ""),
      );
      const ids = Array.from(dataset.test, (r) => dataset.ids?.[r]);
      // The example CSV has no quoted fields: a split is its reading.
      const [header, ...lines] = readFileSync(join(dir, "penguins", "penguins.csv"), "utf8")
        .trim()
        .split("\n")
        .map((l) => l.split(","));
      const byId = new Map(
        lines.map((cells) => [cells[0], Object.fromEntries(header.map((h, i) => [h, cells[i]]))]),
      );
      const rows = ids.map((id) => byId.get(String(id))!);
      expect(rows.every(Boolean)).toBe(true);

      const served = new ServedModels({
        pipeline: "penguins-custom",
        registry: deps.registry,
        artifacts: deps.artifacts,
        refreshMs: 0,
      });
      const body = new TextEncoder().encode(JSON.stringify({ rows }));
      const { response } = await handleRequest(
        { method: "POST", path: "/predict", headers: { "content-type": "application/json" }, body },
        served,
      );
      expect(response.status).toBe(200);
      const predictions = JSON.parse(response.body).predictions as {
        prediction: string;
        probabilities: Record<string, number>;
      }[];
      const classes = bundle.header.schema.classes ?? [];
      expect(predictions).toHaveLength(expected.length);
      let largest = 0;
      predictions.forEach((p, r) => {
        classes.forEach((label, c) => {
          largest = Math.max(largest, Math.abs(p.probabilities[label] - expected[r][c]));
        });
      });
      expect(largest).toBeLessThan(1e-6);
    });
  }, 300_000);
});
