/**
 * The BatchScore state (`batchScoreStep`, the plan), the ScoreFiles children (`scoreFiles`)
 * and the batch Lambda's local objects: the run's `batchUri` scored with the version this run
 * promoted, nothing scored without a batch URI or a promotion, an empty prefix as no failure,
 * a local directory read and written whole, and the children's prediction capture (the
 * spec's `monitor.capture`: one object per child, serve's record shape, sampling and exclude).
 * Memory stores and a temporary directory; the S3 path is in batch-score.test.ts.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { runDefinition } from "../../cli/local/asl-engine.ts";
import { localListObjects } from "../../cli/local/list-objects.ts";
import { batchObjectsFor, fileBatchObjects } from "../../lambdas/batch-score.ts";
import { type CaptureRecord, parseCaptureLines, sampled } from "../../pipeline/monitor/capture.ts";
import { parseSpec } from "../../pipeline/spec/parse-spec.ts";
import {
  batchCaptureOf,
  batchResults,
  batchScore,
  batchScoreStep,
  batchTotals,
  LOCAL_DIRECTORY_BUCKET,
  listingOf,
  scoreFiles,
  uriOfKey,
} from "../../pipeline/steps/batch-score.ts";
import type { EvaluateOutput, RunState } from "../../pipeline/steps/types.ts";
import { parseS3Uri } from "../../pipeline/store.ts";
import { MemoryArtifactStore } from "../../pipeline/store-memory.ts";
import type { JsonValue, MapState, StateMachineDefinition } from "../../pipeline/workflow/asl.ts";
import { buildDefinition } from "../../pipeline/workflow/definition.ts";
import { STEP_NAMES, type StepResources } from "../../pipeline/workflow/steps.ts";
import { memoryServing, PIPELINE, trainBundle } from "./fixtures.ts";

let dir: string;
let batchUri: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "orchard-batch-step-"));
  batchUri = `${pathToFileURL(dir).href}/`;
  await mkdir(join(dir, "2026", "03"), { recursive: true });
  await writeFile(join(dir, "2026", "03", "week1.csv"), "x,colour\n9,red\n1,blue\n");
  await writeFile(join(dir, "day.jsonl"), '{"x":2,"colour":"red"}\n');
  await writeFile(join(dir, "notes.txt"), "not data");
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A champion (classification) and this run's registered candidate (regression, v2). */
async function stores() {
  const serving = memoryServing();
  const champion = await serving.promote(await trainBundle("classification"));
  const candidate = await serving.register(await trainBundle("regression"));
  return { serving, champion, candidate };
}

function runState(extra: Partial<RunState>, uri: string | null = batchUri): RunState {
  return {
    run: { pipeline: PIPELINE, specUri: "s3://a/spec.yaml", ...(uri ? { batchUri: uri } : {}) },
    ...extra,
  };
}

function evaluated(version: string): EvaluateOutput {
  return { version, promote: true, reasons: [], metric: "rmse", value: 1, champion: null };
}

describe("the BatchScore state and the ScoreFiles children", () => {
  /** The ScoreFiles Map's listing of the plan, batched 10 keys per child, as the engine does. */
  async function scoreListed(
    plan: Awaited<ReturnType<typeof batchScoreStep>>,
    deps: Parameters<typeof scoreFiles>[1],
  ) {
    if (!plan.enabled) throw new Error("nothing planned");
    const listed = await localListObjects(() => {
      throw new Error("a directory is not listed from S3");
    }, PIPELINE)({ Bucket: plan.listing.bucket, Prefix: plan.listing.prefix });
    const keys = listed.map((o) => ({ key: (o as { Key: string }).Key }));
    const results = [];
    for (let i = 0; i < keys.length; i += 10) {
      results.push(
        await scoreFiles(
          {
            Items: keys.slice(i, i + 10),
            BatchInput: {
              pipeline: PIPELINE,
              version: plan.modelVersion,
              bucket: plan.listing.bucket,
            },
          },
          deps,
        ),
      );
    }
    return batchTotals(results);
  }

  it("scores every input under batchUri with the version this run promoted, not the champion read later", async () => {
    const { serving, champion, candidate } = await stores();
    const plan = await batchScoreStep(
      runState({
        evaluate: evaluated(candidate),
        promote: { promoted: true, champion: candidate },
      }),
      serving.artifacts,
    );
    expect(champion).not.toBe(candidate);
    expect(plan).toEqual({
      enabled: true,
      inputUri: batchUri,
      modelVersion: candidate,
      listing: { bucket: LOCAL_DIRECTORY_BUCKET, prefix: `${dir.slice(1)}/` },
      capture: null,
      // ScoreFiles exports its children's results to the artifacts bucket.
      resultWriter: {
        bucket: parseS3Uri(serving.artifacts.uriFor("artifacts", "x")).bucket,
        prefix: `${PIPELINE}/batch-results`,
      },
    });
    const totals = await scoreListed(plan, { ...serving, objects: fileBatchObjects() });
    expect(totals).toEqual({ fileCount: 2, rowCount: 3, batches: 1, failedBatches: 0 });
    const csv = await readFile(join(dir, "2026", "03", "week1.predictions.csv"), "utf8");
    const [header, ...rows] = csv.trim().split("\n");
    // The regression candidate: a numeric prediction and no class probabilities.
    expect(header).toBe("x,colour,prediction");
    expect(rows.map((r) => Number.isFinite(Number(r.split(",")[2])))).toEqual([true, true]);
    expect((await readdir(dir)).sort()).toEqual([
      "2026",
      "day.jsonl",
      "day.predictions.jsonl",
      "notes.txt",
    ]);
  });

  it("plans an S3 prefix as the ItemReader's Bucket and Prefix, and maps listed keys back", () => {
    expect(listingOf("s3://landing/scores/penguins/")).toEqual({
      bucket: "landing",
      prefix: "scores/penguins/",
    });
    expect(listingOf("s3://landing")).toEqual({ bucket: "landing", prefix: "" });
    expect(uriOfKey("landing", "scores/a b.csv")).toBe("s3://landing/scores/a b.csv");
    expect(uriOfKey(LOCAL_DIRECTORY_BUCKET, "tmp/x y/a.csv")).toBe("file:///tmp/x%20y/a.csv");
    expect(() => listingOf("https://example.com/x")).toThrow(/not an S3 location/);
  });

  it.each([
    [
      "the spec has no deploy.batch",
      undefined,
      { promoted: true, champion: "v2" },
      /no deploy\.batch/,
    ],
    [
      "Promote lost its conditional write",
      "batch",
      { promoted: false, champion: "v1" },
      /promoted no model/,
    ],
  ])("scores nothing when %s", async (_why, uri, promote, reason) => {
    const { candidate } = await stores();
    const out = await batchScoreStep(
      runState({ evaluate: evaluated(candidate), promote }, uri ? batchUri : null),
      new MemoryArtifactStore(),
    );
    expect(out).toEqual({ enabled: false, reason: expect.stringMatching(reason) });
    expect(await readdir(dir)).not.toContain("day.predictions.jsonl");
  });

  it("treats a prefix with nothing to score as done (no child), where a direct call fails", async () => {
    const { serving, candidate } = await stores();
    const missing = `${pathToFileURL(join(dir, "absent")).href}/`;
    const plan = await batchScoreStep(
      runState(
        { evaluate: evaluated(candidate), promote: { promoted: true, champion: candidate } },
        missing,
      ),
      serving.artifacts,
    );
    const totals = await scoreListed(plan, { ...serving, objects: fileBatchObjects() });
    expect(totals).toEqual({ fileCount: 0, rowCount: 0, batches: 0, failedBatches: 0 });
    await expect(
      batchScore(
        { pipeline: PIPELINE, inputUri: missing },
        { ...serving, objects: fileBatchObjects() },
      ),
    ).rejects.toMatchObject({ name: "SourceNotFoundError" });
  });

  it("fails a child naming file, row and column; its earlier files keep their outputs", async () => {
    const { serving, candidate } = await stores();
    await writeFile(join(dir, "zz.csv"), "x,colour\nforty,red\n");
    const keys = ["day.jsonl", "zz.csv"].map((f) => ({ key: join(dir, f).slice(1) }));
    await expect(
      scoreFiles(
        {
          Items: keys,
          BatchInput: { pipeline: PIPELINE, version: candidate, bucket: LOCAL_DIRECTORY_BUCKET },
        },
        { ...serving, objects: fileBatchObjects() },
      ),
    ).rejects.toMatchObject({ message: expect.stringMatching(/zz\.csv: row 1, column "x"/) });
    expect(await readdir(dir)).toContain("day.predictions.jsonl");
  });

  it("refuses an input whose column would collide with an output column, writing nothing for it", async () => {
    const { serving } = await stores();
    await writeFile(join(dir, "again.csv"), "x,colour,prediction\n9,red,big\n");
    await expect(
      batchScore(
        { pipeline: PIPELINE, inputUri: batchUri },
        { ...serving, objects: fileBatchObjects() },
      ),
    ).rejects.toMatchObject({
      name: "DataFormatError",
      message: expect.stringMatching(/again\.csv: column "prediction" is also an output column/),
      location: { column: "prediction" },
    });
    expect(await readdir(dir)).not.toContain("again.predictions.csv");
  });

  it("fails naming a version the registry does not have", async () => {
    const { serving } = await stores();
    await expect(
      batchScore(
        { pipeline: PIPELINE, inputUri: batchUri, version: "v9" },
        { ...serving, objects: fileBatchObjects() },
      ),
    ).rejects.toMatchObject({ name: "ModelVersionNotFoundError", message: /no model version v9/ });
  });
});

describe("batch scoring's prediction capture", () => {
  const NOW = new Date("2026-12-03T10:15:00Z");

  /** The ScoreFiles child over every input of the directory, and what it stored. */
  async function scoreAll(capture: Parameters<typeof scoreFiles>[0]["BatchInput"]["capture"]) {
    const { serving, champion } = await stores();
    const put = vi.spyOn(serving.artifacts, "put");
    const keys = [join(dir, "2026", "03", "week1.csv"), join(dir, "day.jsonl")].map((f) => ({
      key: f.slice(1),
    }));
    const out = await scoreFiles(
      {
        Items: keys,
        BatchInput: {
          pipeline: PIPELINE,
          version: champion,
          bucket: LOCAL_DIRECTORY_BUCKET,
          capture,
        },
      },
      { ...serving, objects: fileBatchObjects(), now: () => NOW },
    );
    const stored = put.mock.calls.filter(([, key]) => key.includes("/capture/"));
    return { out, champion, stored };
  }

  it("captures a child's predictions as one object under <pipeline>/capture/<date>/<hour>/", async () => {
    const { out, champion, stored } = await scoreAll({
      sampleRate: 1,
      exclude: ["colour"],
      idColumn: "x",
    });
    expect(out).toEqual({ fileCount: 2, rowCount: 3 });
    expect(stored).toHaveLength(1);
    const [area, key, bytes] = stored[0];
    expect(area).toBe("artifacts");
    expect(key).toMatch(
      new RegExp(`^${PIPELINE}/capture/2026-12-03/10/${NOW.getTime()}-[0-9a-f-]{36}\\.jsonl$`),
    );
    const records = parseCaptureLines(bytes);
    // The rows as scored, in file order: week1.csv's two, then day.jsonl's one.
    const predictions = [
      ...(await readFile(join(dir, "2026", "03", "week1.predictions.csv"), "utf8"))
        .trim()
        .split("\n")
        .slice(1)
        .map((line) => line.split(",")[2]),
      JSON.parse(await readFile(join(dir, "day.predictions.jsonl"), "utf8")).prediction,
    ];
    expect(records.map((r) => r.prediction)).toEqual(predictions);
    expect(records.map((r) => r.id)).toEqual(["9", "1", "2"]);
    for (const r of records) {
      expect(r).toMatchObject<Partial<CaptureRecord>>({
        pipeline: PIPELINE,
        modelVersion: champion,
        source: "batch",
        at: NOW.toISOString(),
      });
      expect(Object.keys(r.inputs)).toEqual(["x"]);
      expect(r.probabilities).toBeDefined();
    }
    // Each row is its own request: labels can name any one of them.
    expect(new Set(records.map((r) => r.requestId)).size).toBe(3);
    expect(records[0].requestId).toMatch(/#1$/);
  });

  it("samples rows by their request id at capture.sampleRate", async () => {
    const rows = Array.from({ length: 400 }, (_, i) => `${i % 10},${i % 2 ? "red" : "blue"}`);
    await writeFile(join(dir, "2026", "03", "week1.csv"), `x,colour\n${rows.join("\n")}\n`);
    const { out, stored } = await scoreAll({ sampleRate: 0.25, exclude: [], idColumn: null });
    expect(out.rowCount).toBe(401);
    const records = parseCaptureLines(stored[0][2]);
    expect(records.length).toBeGreaterThan(60);
    expect(records.length).toBeLessThan(140);
    for (const r of records) {
      expect(sampled(r.requestId, 0.25)).toBe(true);
      expect(r).not.toHaveProperty("id");
    }
  });

  it("captures nothing without monitor.capture", async () => {
    const { out, stored } = await scoreAll(null);
    expect(out.fileCount).toBe(2);
    expect(stored).toEqual([]);
  });

  it("takes its settings from the spec's monitor.capture and id", async () => {
    const base = "name: p\nsource: { uri: d.csv }\ntarget: y\ntask: classification\nid: customer\n";
    const watched = parseSpec(
      `${base}monitor: { capture: { sampleRate: 0.5, exclude: [email] } }\n`,
      {
        file: "s.yaml",
      },
    );
    expect(batchCaptureOf(watched)).toEqual({
      sampleRate: 0.5,
      exclude: ["email"],
      idColumn: "customer",
    });
    expect(batchCaptureOf(parseSpec(base, { file: "s.yaml" }))).toBeNull();
    const { candidate, serving } = await stores();
    const plan = await batchScoreStep(
      runState({
        evaluate: evaluated(candidate),
        promote: { promoted: true, champion: candidate },
      }),
      serving.artifacts,
      async () => batchCaptureOf(watched),
    );
    expect(plan).toMatchObject({ enabled: true, capture: batchCaptureOf(watched) });
  });
});

describe("BatchResults: the totals read from ScoreFiles' ResultWriter export", () => {
  /**
   * The pipeline's own ScoreFiles Map (buildDefinition), run by the local engine with a
   * listing of 35 keys and children that fail on the `bad-` ones, its export stored in a
   * memory artifact store; BatchResults then reads that export back.
   */
  async function exportedScoreFiles(artifacts: MemoryArtifactStore) {
    const resources = Object.fromEntries(
      STEP_NAMES.map((s) => [s, `arn:aws:lambda:us-east-1:000000000000:function:orchard-${s}`]),
    ) as StepResources;
    const full = buildDefinition(
      { pipeline: PIPELINE, batchToleratedFailurePercent: 50 },
      resources,
    );
    const { Next: _next, Catch: _catch, ...scoreFiles } = full.States.ScoreFiles as MapState;
    const definition = {
      StartAt: "ScoreFiles",
      States: { ScoreFiles: { ...scoreFiles, End: true } },
    } as StateMachineDefinition;
    const keys = Array.from({ length: 35 }, (_, i) => `in/${i < 30 ? "ok" : "bad"}-${i}.csv`);
    const plan = await batchScoreStep(
      runState(
        { evaluate: evaluated("v2"), promote: { promoted: true, champion: "v2" } },
        "s3://landing/in/",
      ),
      artifacts,
    );
    const result = await runDefinition({
      definition,
      input: { run: { pipeline: PIPELINE }, batchScore: plan as unknown as JsonValue },
      execution: { Id: "arn:aws:states:local:0:execution:m:e1", Name: "e1" },
      listObjects: async () => keys.map((Key) => ({ Key, Size: 1 })),
      putObject: async ({ Bucket, Key, Body }) => {
        await artifacts.put("artifacts", Key, new TextEncoder().encode(Body));
        expect(Bucket).toBe(parseS3Uri(artifacts.uriFor("artifacts", Key)).bucket);
      },
      invoke: async ({ input }) => {
        const items = (input as { Items: { key: string }[] }).Items;
        if (items.some((i) => i.key.includes("bad"))) {
          throw Object.assign(new Error("bad row"), { name: "TypeMismatchError" });
        }
        return { fileCount: items.length, rowCount: 3 * items.length };
      },
    });
    if (result.status !== "SUCCEEDED") throw new Error(`${result.error}: ${result.cause}`);
    return (result.output as { batchScore: { mapRun: { ResultWriterDetails: JsonValue } } })
      .batchScore.mapRun;
  }

  it("sums the succeeded children's outputs and counts the failed ones from the export", async () => {
    const artifacts = new MemoryArtifactStore();
    const mapRun = await exportedScoreFiles(artifacts);
    // 35 keys, 10 a child: three succeed (30 files), the fourth holds the bad ones.
    expect(
      await batchResults(
        { manifest: mapRun.ResultWriterDetails as { Bucket: string; Key: string } },
        artifacts,
      ),
    ).toEqual({ fileCount: 30, rowCount: 90, batches: 4, failedBatches: 1 });
    expect((mapRun.ResultWriterDetails as { Key: string }).Key).toMatch(
      new RegExp(`^${PIPELINE}/batch-results/[0-9a-f-]{36}/manifest\\.json$`),
    );
  });

  it("fails naming the state contract when it is given no manifest", async () => {
    await expect(batchResults({} as never, new MemoryArtifactStore())).rejects.toMatchObject({
      name: "StateContractError",
    });
  });
});

describe("local batch objects", () => {
  it("lists every file below the directory, recursively, as file URLs", async () => {
    const listed = await fileBatchObjects().list(batchUri);
    expect(listed.filter((u) => !u.endsWith("/2026") && !u.endsWith("/03")).sort()).toEqual(
      [join(dir, "2026", "03", "week1.csv"), join(dir, "day.jsonl"), join(dir, "notes.txt")].map(
        (p) => pathToFileURL(p).href,
      ),
    );
  });

  it("writes a file whole, creating its directory, and leaves no partial file behind", async () => {
    const uri = pathToFileURL(join(dir, "out", "x.predictions.csv")).href;
    await fileBatchObjects().put(uri, new TextEncoder().encode("a\n1\n"), "text/csv");
    expect(await readFile(join(dir, "out", "x.predictions.csv"), "utf8")).toBe("a\n1\n");
    expect(await readdir(join(dir, "out"))).toEqual(["x.predictions.csv"]);
  });

  it("reads a file:// batch URI from the file system", async () => {
    const listed = await batchObjectsFor(batchUri).list(batchUri);
    expect(listed).toContain(pathToFileURL(join(dir, "day.jsonl")).href);
  });
});
