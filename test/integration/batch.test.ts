/**
 * Batch scoring through the local state machine: the example's `deploy.batch.inputUri`
 * (a directory next to the spec) is scored by the BatchScore state after a promotion, with the
 * promoted model, and left alone by a run that promotes nothing. A bad batch file fails the
 * run in ScoreFiles, naming file, row and column, after the promotion (which stands). The
 * ScoreFiles Distributed Map fans a directory of 55 files out over child executions. With
 * `monitor.capture`, the ScoreFiles child captures its predictions into one object under
 * `<pipeline>/capture/<date>/<hour>/`, as the batchScore role (IAM-enforced).
 */
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, describe, expect, it } from "vitest";
import { runLocally, withLocalStores } from "../../cli/local/run-pipeline.ts";
import { LOCAL_NAMES } from "../../cli/local/servers.ts";
import { storageClients } from "../../lambdas/io/clients.ts";
import { artifactKeyLister } from "../../lambdas/io/list-keys.ts";
import { stepDeps } from "../../lambdas/step-handler.ts";
import { readCsv } from "../../pipeline/data/read-csv.ts";
import { csvTableRows } from "../../pipeline/data/read-rows.ts";
import { loadBundle } from "../../pipeline/model/bundle.ts";
import { parseCaptureLines } from "../../pipeline/monitor/capture.ts";

const example = fileURLToPath(new URL("../../examples/penguins/", import.meta.url));
const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "orchard-batch-it-"));
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A copy of the example: spec, data and its batch directory (inputs only). */
function exampleCopy(): { spec: string; batch: string } {
  const dir = tempDir();
  mkdirSync(join(dir, "batch", "late"), { recursive: true });
  for (const file of ["pipeline.yaml", "penguins.csv", "batch/field-survey.csv"]) {
    cpSync(join(example, file), join(dir, file));
  }
  // Missing values are imputed as in training; the columns themselves must be there.
  const row = {
    island: "Dream",
    bill_length_mm: 49.5,
    bill_depth_mm: 19,
    flipper_length_mm: null,
    body_mass_g: null,
    sex: "MALE",
  };
  writeFileSync(join(dir, "batch", "late", "stragglers.jsonl"), `${JSON.stringify(row)}\n`);
  return { spec: join(dir, "pipeline.yaml"), batch: join(dir, "batch") };
}

describe("batch scoring in a local run", () => {
  const stateDir = tempDir();
  const { spec, batch } = exampleCopy();
  const predictions = join(batch, "field-survey.predictions.csv");

  it("scores the batch directory with the model the run promoted", async () => {
    const run = await runLocally({ specPath: spec, stateDir });
    expect(run.result.endState).toBe("Promoted");
    const names = run.result.states.filter((s) => s.iteration === undefined).map((s) => s.name);
    expect(names.slice(names.indexOf("Promote"))).toEqual([
      "Promote",
      "BatchScore",
      "Batch",
      "ScoreFiles",
      "BatchResults",
      "Promoted",
    ]);
    const version = run.state?.evaluate?.version;
    const batchState = run.state?.batchScore;
    expect(batchState).toMatchObject({ enabled: true, modelVersion: version });
    // the two inputs, listed from the directory, are one batch: one child execution
    expect(batchState?.enabled && batchState.totals).toEqual({
      fileCount: 2,
      rowCount: 13,
      batches: 1,
      failedBatches: 0,
    });

    // The predictions are the promoted bundle's, row for row.
    const input = readFileSync(join(batch, "field-survey.csv"));
    const expected = await withLocalStores(stateDir, async () => {
      const { registry, artifacts } = stepDeps();
      const record = await registry.getVersion("penguins", version ?? "");
      const bundle = loadBundle(await artifacts.get(record!.modelUri), record!.modelUri);
      return bundle.predict(csvTableRows(readCsv(input, "field-survey.csv")));
    });
    const table = readCsv(readFileSync(predictions), "field-survey.predictions.csv");
    const column = (name: string) => table.columns[table.names.indexOf(name)];
    expect(column("prediction")).toEqual(expected.map((p) => p.prediction));
    // Written with full precision: the parsed probabilities are the bundle's, bit for bit.
    expect(column("probability_Gentoo").map(Number)).toEqual(
      expected.map((p) => p.probabilities?.Gentoo ?? null),
    );
    expect(column("penguin_id")).toHaveLength(12);
    const jsonl = readFileSync(join(batch, "late", "stragglers.predictions.jsonl"), "utf8");
    expect(JSON.parse(jsonl.trim())).toHaveProperty("prediction");
  });

  it("leaves the predictions alone when the run promotes nothing", async () => {
    const before = statSync(predictions).mtimeMs;
    const bytes = readFileSync(predictions);
    const run = await runLocally({ specPath: spec, stateDir });
    expect(run.result.endState).toBe("NotPromoted");
    expect(run.result.states.map((s) => s.name)).not.toContain("BatchScore");
    expect(statSync(predictions).mtimeMs).toBe(before);
    expect(readFileSync(predictions).equals(bytes)).toBe(true);
  });

  it("captures the scored rows, minus capture.exclude, in one object for the child", async () => {
    const copy = exampleCopy();
    const text = readFileSync(copy.spec, "utf8");
    writeFileSync(
      copy.spec,
      text.replace(
        "deploy:\n",
        "monitor:\n  capture: { sampleRate: 1, exclude: [sex] }\ndeploy:\n",
      ),
    );
    const dir = tempDir();
    const started = new Date();
    const run = await runLocally({ specPath: copy.spec, stateDir: dir });
    expect(run.result.endState).toBe("Promoted");
    const version = run.state?.evaluate?.version;
    const captured = await withLocalStores(dir, async () => {
      const { artifacts } = stepDeps();
      const keys = await artifactKeyLister(artifacts)("penguins/capture/");
      return Promise.all(
        keys.map(async (key) => ({
          key,
          records: parseCaptureLines(await artifacts.get(artifacts.uriFor("artifacts", key))),
        })),
      );
    });
    // The two inputs are one child: one object, under the day of the run (UTC).
    expect(captured).toHaveLength(1);
    const day = started.toISOString().slice(0, 10);
    expect(captured[0].key.startsWith(`penguins/capture/${day}/`)).toBe(true);
    const { records } = captured[0];
    expect(records).toHaveLength(13);
    for (const r of records) {
      expect(r).toMatchObject({ pipeline: "penguins", modelVersion: version, source: "batch" });
      expect(r.inputs).not.toHaveProperty("sex");
      expect(r.inputs).toHaveProperty("island");
    }
    // penguin_id is the spec's id: labels can name a scored row by it.
    expect(records.filter((r) => r.id !== undefined)).toHaveLength(12);
  });

  it("fails in ScoreFiles naming the file, row and column of a bad value; the promotion stands", async () => {
    const copy = exampleCopy();
    writeFileSync(
      join(copy.batch, "zz-broken.csv"),
      "island,bill_length_mm,bill_depth_mm,flipper_length_mm,body_mass_g,sex\nDream,40,18,190,3500,MALE\nDream,forty,18,190,3500,MALE\n",
    );
    const run = await runLocally({ specPath: copy.spec, stateDir: tempDir() });
    expect(run.result.status).toBe("FAILED");
    // The Distributed Map fails past its tolerance (none); the report names the child's error.
    expect(run.result.error).toMatchObject({
      state: "ScoreFiles",
      name: "States.ExceedToleratedFailureThreshold",
    });
    expect(run.result.error?.message).toMatch(
      /ScoreFileBatch 0: TypeMismatchError: .*zz-broken\.csv: row 2, column "bill_length_mm"/,
    );
    expect(run.championAfter?.version).toBeDefined();
    expect(run.championBefore).toBeNull();
    // Files scored before the bad one keep their outputs; the bad one gets none.
    expect(statSync(join(copy.batch, "field-survey.predictions.csv")).size).toBeGreaterThan(0);
    expect(() => statSync(join(copy.batch, "zz-broken.predictions.csv"))).toThrow();
  });
});

describe("batch scoring as a Distributed Map over a directory of many files", () => {
  it("scores 55 files listed from the directory in batches of 10 keys, one child execution per batch", async () => {
    const { spec, batch } = exampleCopy();
    const header = "island,bill_length_mm,bill_depth_mm,flipper_length_mm,body_mass_g,sex";
    for (let i = 0; i < 53; i++) {
      const rows = Array.from(
        { length: 1 + (i % 4) },
        (_, r) => `Biscoe,${40 + (i % 9) + r},${15 + (i % 5)},${190 + i},${3500 + 20 * i},FEMALE`,
      );
      writeFileSync(
        join(batch, `part-${String(i).padStart(3, "0")}.csv`),
        `${header}\n${rows.join("\n")}\n`,
      );
    }
    // an earlier run's output and a stray file are listed too, and skipped by the children
    writeFileSync(join(batch, "old.predictions.csv"), "x\n1\n");
    writeFileSync(join(batch, "README.txt"), "not a batch file\n");

    const run = await runLocally({ specPath: spec, stateDir: tempDir() });
    expect(run.result.status).toBe("SUCCEEDED");
    const children = run.result.states.filter((s) => s.name === "ScoreFileBatch");
    // 53 parts + field-survey.csv + late/stragglers.jsonl + the two skipped = 57 keys → 6 batches
    expect(children.map((c) => c.iteration)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(children.every((c) => c.status === "SUCCEEDED")).toBe(true);
    const state = run.state?.batchScore;
    const rows53 = Array.from({ length: 53 }, (_, i) => 1 + (i % 4)).reduce((a, b) => a + b, 0);
    expect(state?.enabled && state.totals).toEqual({
      fileCount: 55,
      rowCount: rows53 + 13,
      batches: 6,
      failedBatches: 0,
    });
    // The children's results went to S3 (ResultWriter), not into the state.
    const mapRun = state?.enabled ? state.mapRun : undefined;
    expect(mapRun?.ResultWriterDetails).toMatchObject({
      Bucket: LOCAL_NAMES.artifactsBucket,
      Key: expect.stringMatching(/^penguins\/batch-results\/[0-9a-f-]{36}\/manifest\.json$/),
    });
    for (let i = 0; i < 53; i++) {
      const out = readFileSync(
        join(batch, `part-${String(i).padStart(3, "0")}.predictions.csv`),
        "utf8",
      );
      expect(out.trim().split("\n")).toHaveLength(2 + (i % 4));
    }
    expect(readFileSync(join(batch, "old.predictions.csv"), "utf8")).toBe("x\n1\n");
  });

  it("tolerates a failed batch within deploy.batch.toleratedFailurePercent, keeping its error in place", async () => {
    const { spec, batch } = exampleCopy();
    writeFileSync(
      spec,
      readFileSync(spec, "utf8").replace(
        "batch: { inputUri: batch/ }",
        "batch: { inputUri: batch/, toleratedFailurePercent: 50 }",
      ),
    );
    const header = "island,bill_length_mm,bill_depth_mm,flipper_length_mm,body_mass_g,sex";
    for (let i = 0; i < 11; i++) {
      writeFileSync(join(batch, `part-${i}.csv`), `${header}\nDream,${40 + i},18,190,3500,MALE\n`);
    }
    // the last key: in the second batch with part-7..9 (4 of 14 keys, 29 %), which fails whole
    writeFileSync(join(batch, "zz-broken.csv"), `${header}\nDream,forty,18,190,3500,MALE\n`);
    const stateDir = tempDir();
    const run = await runLocally({ specPath: spec, stateDir });
    expect(run.result.status).toBe("SUCCEEDED");
    const state = run.state?.batchScore;
    // the first batch: field-survey.csv (12 rows), late/stragglers.jsonl (1), part-0, -1, -10, -2..-6
    expect(state?.enabled && state.totals).toEqual({
      fileCount: 10,
      rowCount: 12 + 1 + 8,
      batches: 2,
      failedBatches: 1,
    });
    // The failed batch is kept with its error in the export's FAILED_0.json.
    const details = state?.enabled ? state.mapRun?.ResultWriterDetails : undefined;
    const failed = await withLocalStores(stateDir, async () => {
      const { artifacts } = stepDeps();
      const read = async (key: string) =>
        JSON.parse(new TextDecoder().decode(await artifacts.get(`s3://${details?.Bucket}/${key}`)));
      const manifest = await read(details?.Key ?? "");
      return read(manifest.ResultFiles.FAILED[0].Key);
    });
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ Status: "FAILED", Error: "TypeMismatchError" });
    const keys: string[] = JSON.parse(failed[0].Input).Items.map((i: { key: string }) => i.key);
    expect(keys.some((k) => k.endsWith("zz-broken.csv"))).toBe(true);
  });

  it("lists an S3 prefix as the state machine's role and scores its 50 files there", async () => {
    const { spec } = exampleCopy();
    const prefix = "penguins/batch/";
    writeFileSync(
      spec,
      readFileSync(spec, "utf8").replace(
        "batch: { inputUri: batch/ }",
        `batch: { inputUri: "s3://${LOCAL_NAMES.rawBucket}/${prefix}" }`,
      ),
    );
    const stateDir = tempDir();
    const header = "island,bill_length_mm,bill_depth_mm,flipper_length_mm,body_mass_g,sex";
    // Seeded by the producer of the files (no Orchard role), as a landing prefix is.
    await withLocalStores(stateDir, async () => {
      const { s3 } = storageClients();
      for (let i = 0; i < 50; i++) {
        await s3.send(
          new PutObjectCommand({
            Bucket: LOCAL_NAMES.rawBucket,
            Key: `${prefix}day-${String(i).padStart(2, "0")}.csv`,
            Body: `${header}\nTorgersen,${38 + (i % 7)},18,${185 + i},3600,MALE\n`,
          }),
        );
      }
    });
    const run = await runLocally({ specPath: spec, stateDir });
    expect(run.result.status).toBe("SUCCEEDED");
    expect(run.result.states.filter((s) => s.name === "ScoreFileBatch")).toHaveLength(5);
    const state = run.state?.batchScore;
    expect(state?.enabled && state.listing).toEqual({ bucket: LOCAL_NAMES.rawBucket, prefix });
    expect(state?.enabled && state.totals).toEqual({
      fileCount: 50,
      rowCount: 50,
      batches: 5,
      failedBatches: 0,
    });
    const written = await withLocalStores(stateDir, () =>
      stepDeps().artifacts.get(`s3://${LOCAL_NAMES.rawBucket}/${prefix}day-49.predictions.csv`),
    );
    expect(new TextDecoder().decode(written).split("\n")[0]).toMatch(/,prediction,probability_/);
  });
});
