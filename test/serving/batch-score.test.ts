/**
 * Batch scoring against the embedded S3 (s3rver) and DynamoDB: every input under a prefix is
 * scored into a predictions file next to it, through the step, the Lambda handler and
 * `orchard predict --input s3://…`; CSV outputs neutralize formula injection. With the spec's
 * `monitor.capture`, the ScoreFiles child's captures land in the artifacts bucket.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatBatch, predictBatch } from "../../cli/predict-batch.ts";
import { lakeBatchKey } from "../../infra/access/declarations.ts";
import { handler, s3BatchObjects } from "../../lambdas/batch-score.ts";
import { artifactKeyLister } from "../../lambdas/io/list-keys.ts";
import { resetStepDeps } from "../../lambdas/step-handler.ts";
import { parseCaptureLines } from "../../pipeline/monitor/capture.ts";
import { csvCell, neutralizeFormula } from "../../pipeline/serving/csv-output.ts";
import {
  type BatchScoreStepOutput,
  batchScore,
  outputUriOf,
} from "../../pipeline/steps/batch-score.ts";
import { startTestServices, type TestServices } from "../support/local-services.ts";
import { PIPELINE, promoteBundle, trainBundle } from "./fixtures.ts";

let services: TestServices;
let bucket: string;
/** The pipeline's landing prefix in the raw bucket: the one place there batch scoring may use. */
const LANDING = lakeBatchKey(PIPELINE);
const saved: Record<string, string | undefined> = {};

async function put(key: string, text: string): Promise<void> {
  await services.clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: text }));
}

async function read(key: string): Promise<string> {
  return new TextDecoder().decode(await services.stores.artifacts.get(`s3://${bucket}/${key}`));
}

beforeAll(async () => {
  services = await startTestServices();
  bucket = services.config.buckets.raw;
  await promoteBundle(services.stores, await trainBundle());
  await put(
    `${LANDING}a/march.csv`,
    'id,x,colour\n"=HYPERLINK(""http://evil"")",9,red\n+1-2,1,blue\n@SUM(A1),,\n"-3,5",8.5,NA\n',
  );
  await put(`${LANDING}a/day.jsonl`, '{"x":9,"colour":"red"}\n\n{"x":1,"colour":null}\n');
  await put(`${LANDING}a/readme.txt`, "not data");
  await put(`${LANDING}a/old.predictions.csv`, "prediction\nbig\n");
  await put(`${LANDING}bad/broken.csv`, "x,colour\n1,red\nabc,blue\n");
  const env = { ...services.services.env, ORCHARD_LOG_LEVEL: "silent", ORCHARD_PIPELINE: PIPELINE };
  for (const [k, value] of Object.entries(env)) {
    saved[k] = process.env[k];
    process.env[k] = value;
  }
  resetStepDeps();
});

afterAll(async () => {
  resetStepDeps();
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  await services.close();
});

const deps = () => ({ ...services.stores, objects: s3BatchObjects(services.clients.s3) });

describe("batch scoring", () => {
  it("scores every input file under the prefix into a predictions file next to it", async () => {
    const out = await batchScore(
      { pipeline: PIPELINE, inputUri: `s3://${bucket}/${LANDING}a/` },
      deps(),
    );
    expect(out).toEqual({
      modelVersion: "v1",
      fileCount: 2,
      rowCount: 6,
      files: [
        {
          input: `s3://${bucket}/${LANDING}a/day.jsonl`,
          output: `s3://${bucket}/${LANDING}a/day.predictions.jsonl`,
          rows: 2,
        },
        {
          input: `s3://${bucket}/${LANDING}a/march.csv`,
          output: `s3://${bucket}/${LANDING}a/march.predictions.csv`,
          rows: 4,
        },
      ],
    });
    const jsonl = (await read(`${LANDING}a/day.predictions.jsonl`))
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(jsonl.map((p) => p.prediction)).toEqual(["big", "small"]);
  });

  it("writes CSV with the input columns, the prediction and one probability per class", async () => {
    await batchScore({ pipeline: PIPELINE, inputUri: `s3://${bucket}/${LANDING}a/` }, deps());
    const lines = (await read(`${LANDING}a/march.predictions.csv`)).trim().split("\n");
    expect(lines[0]).toBe("id,x,colour,prediction,probability_big,probability_small");
    expect(lines).toHaveLength(5);
    expect(lines[1]).toMatch(/,9,red,big,/);
  });

  it("neutralizes formula injection in every text cell of the CSV output", async () => {
    await batchScore({ pipeline: PIPELINE, inputUri: `s3://${bucket}/${LANDING}a/` }, deps());
    const text = await read(`${LANDING}a/march.predictions.csv`);
    const cells = text
      .split("\n")
      .slice(1, -1)
      .map((l) => l.split(",")[0]);
    expect(cells).toEqual([`"'=HYPERLINK(""http://evil"")"`, "'+1-2", "'@SUM(A1)", `"'-3`]);
    for (const line of text.split("\n")) expect(line).not.toMatch(/(^|,)[=+@]/);
  });

  it("leaves other files and earlier outputs alone as inputs", async () => {
    expect(outputUriOf("s3://b/k/readme.txt")).toBeNull();
    expect(outputUriOf("s3://b/k/old.predictions.csv")).toBeNull();
    expect(outputUriOf("s3://b/k/x.NDJSON")).toBe("s3://b/k/x.predictions.ndjson");
  });

  it("fails naming the file, row and column of a bad value", async () => {
    await expect(
      batchScore({ pipeline: PIPELINE, inputUri: `s3://${bucket}/${LANDING}bad/` }, deps()),
    ).rejects.toMatchObject({
      name: "TypeMismatchError",
      message: expect.stringContaining(
        `s3://${bucket}/${LANDING}bad/broken.csv: row 2, column "x"`,
      ),
    });
  });

  it("fails clearly when the prefix holds nothing to score", async () => {
    await expect(
      batchScore({ pipeline: PIPELINE, inputUri: `s3://${bucket}/${LANDING}empty/` }, deps()),
    ).rejects.toMatchObject({ name: "SourceNotFoundError" });
  });

  it("runs as the Lambda handler", async () => {
    const out = await handler({ inputUri: `s3://${bucket}/${LANDING}a/` });
    expect(out).toMatchObject({ modelVersion: "v1", fileCount: 2, rowCount: 6 });
  });

  it("runs as the BatchScore state (the run's batchUri listed, its version chosen) and as a ScoreFiles child scoring listed keys", async () => {
    const { artifacts } = services.stores;
    const specUri = (
      await artifacts.putContent(
        "artifacts",
        `${PIPELINE}/specs`,
        new TextEncoder().encode(
          `name: ${PIPELINE}\nsource: { uri: s.csv }\ntarget: size\ntask: classification\nid: id\nmonitor: { capture: { exclude: [colour] } }\n`,
        ),
        "yaml",
      )
    ).uri;
    const plan = await handler({
      run: {
        pipeline: PIPELINE,
        specUri,
        batchUri: `s3://${bucket}/${LANDING}a/`,
      },
      evaluate: {
        version: "v1",
        promote: true,
        reasons: [],
        metric: "f1",
        value: 1,
        champion: null,
      },
      promote: { promoted: true, champion: "v1" },
    });
    expect(plan).toEqual({
      enabled: true,
      inputUri: `s3://${bucket}/${LANDING}a/`,
      modelVersion: "v1",
      listing: { bucket, prefix: `${LANDING}a/` },
      capture: { sampleRate: 1, exclude: ["colour"], idColumn: "id" },
      // ScoreFiles' ResultWriter exports to the artifacts bucket, under the pipeline's prefix.
      resultWriter: {
        bucket: services.config.buckets.artifacts,
        prefix: `${PIPELINE}/batch-results`,
      },
    });
    const planned = plan as BatchScoreStepOutput;
    if (!planned.enabled) throw new Error("nothing planned");
    // What the Distributed Map hands one child: a batch of the listing's keys (inputs and not).
    const child = await handler({
      Items: ["day.jsonl", "march.csv", "readme.txt", "old.predictions.csv"].map((f) => ({
        key: `${LANDING}a/${f}`,
      })),
      BatchInput: { pipeline: PIPELINE, version: "v1", bucket, capture: planned.capture },
    });
    expect(child).toEqual({ fileCount: 2, rowCount: 6 });
    expect(await read(`${LANDING}a/march.predictions.csv`)).toMatch(/^id,x,colour,prediction,/);
    // One capture object for the child, in the artifacts bucket, as the batchScore role.
    const keys = await artifactKeyLister(artifacts)(`${PIPELINE}/capture/`);
    expect(keys).toHaveLength(1);
    const records = parseCaptureLines(await artifacts.get(artifacts.uriFor("artifacts", keys[0])));
    expect(records).toHaveLength(6);
    expect(records.every((r) => r.source === "batch" && !("colour" in r.inputs))).toBe(true);
  });

  it("runs from orchard predict --input s3://… (storage from the ORCHARD_* variables)", async () => {
    const dir = await mkdtemp(join(tmpdir(), "orchard-batch-"));
    const yaml = await readFile("examples/penguins/pipeline.yaml", "utf8");
    const specPath = join(dir, "sizes.yaml");
    await writeFile(specPath, yaml.replace(/^name: .*$/m, `name: ${PIPELINE}`));
    try {
      const out = await predictBatch({ specPath, inputUri: `s3://${bucket}/${LANDING}a/` });
      expect(out).toMatchObject({ modelVersion: "v1", fileCount: 2, rowCount: 6 });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("formula neutralization", () => {
  it.each([
    ["=1+1", "'=1+1"],
    ["+1", "'+1"],
    ["-1", "'-1"],
    ["@x", "'@x"],
    ["\tx", "'\tx"],
    ["plain", "plain"],
    ["a=b", "a=b"],
  ])("%j → %j", (input, expected) => {
    expect(neutralizeFormula(input)).toBe(expected);
  });

  it("keeps numbers as numbers and quotes what needs quoting", () => {
    expect([csvCell(-3.5), csvCell(null), csvCell('a,"b"'), csvCell("=x,y")]).toEqual([
      "-3.5",
      "",
      '"a,""b"""',
      `"'=x,y"`,
    ]);
  });

  it("formats the CLI output as one line per file and a summary", () => {
    const text = formatBatch({
      modelVersion: "v2",
      fileCount: 1,
      rowCount: 3,
      files: [{ input: "s3://b/a.csv", output: "s3://b/a.predictions.csv", rows: 3 }],
    });
    expect(
      text
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l)),
    ).toEqual([
      { input: "s3://b/a.csv", output: "s3://b/a.predictions.csv", rows: 3 },
      { modelVersion: "v2", fileCount: 1, rowCount: 3 },
    ]);
  });
});
