/**
 * The deployable Lambda bundles, as Lambda would run them: built by `buildLambdas` into a
 * temp directory (outside the repo, so no node_modules is reachable: everything a bundle needs
 * must be inside it), then imported and invoked in a child Node process (bundle-runtime.mjs,
 * a stand-in for the Lambda runtime) with JSON events and a Lambda-shaped context, against
 * real local S3 and DynamoDB. The child gets the local services' ORCHARD_* environment; each
 * bundle reads it on first use, as a deployed function does.
 */
import { type ChildProcess, fork } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunState } from "../../pipeline/steps/types.ts";
import {
  buildLambdas,
  LAMBDA_HANDLERS,
  type LambdaManifest,
  type LambdaName,
} from "../../scripts/build-lambdas.ts";
import { startTestServices, type TestServices } from "../support/local-services.ts";

const SPEC = new URL("../../examples/penguins/pipeline.yaml", import.meta.url);
const CSV = new URL("../../examples/penguins/penguins.csv", import.meta.url);
const RUNTIME = fileURLToPath(new URL("./bundle-runtime.mjs", import.meta.url));

/** What the Lambda runtime reports for a failed invocation. */
interface LambdaError {
  errorType: string;
  errorMessage: string;
  constructorName: string | null;
}

class InvocationError extends Error {
  constructor(readonly lambda: LambdaError) {
    super(`${lambda.errorType}: ${lambda.errorMessage}`);
  }
}

let outDir: string;
let manifest: LambdaManifest;
let services: TestServices;
let runtime: ChildProcess;
const loaded = new Map<LambdaName, { handler: string }>();
const pending = new Map<number, (reply: { result?: unknown; error?: LambdaError }) => void>();
let nextId = 0;

function send<R>(message: Record<string, unknown>): Promise<R> {
  const id = ++nextId;
  return new Promise<R>((resolve, reject) => {
    pending.set(id, (reply) =>
      reply.error ? reject(new InvocationError(reply.error)) : resolve(reply.result as R),
    );
    runtime.send({ id, ...message });
  });
}

function bundleFile(name: LambdaName): string {
  return join(outDir, manifest.bundles[name].file);
}

function invoke<R>(name: LambdaName, event: unknown, env?: Record<string, string>): Promise<R> {
  return send<R>({
    op: "invoke",
    file: bundleFile(name),
    functionName: `orchard-penguins-${name}`,
    event,
    env,
  });
}

async function storeSpec(): Promise<string> {
  const bytes = new Uint8Array(await readFile(SPEC));
  return (await services.stores.artifacts.putContent("artifacts", "penguins/specs", bytes, "yaml"))
    .uri;
}

/** The state machine's order, each result merged under its step name (ResultPath). */
async function runPipeline(): Promise<RunState> {
  const state: RunState = {
    run: { pipeline: "penguins", specUri: await storeSpec(), sourceUri: CSV.href },
  };
  state.ingest = await invoke("ingest", state);
  state.validate = await invoke("validate", state);
  state.preprocess = await invoke("preprocess", state);
  state.train = [];
  for (const candidate of state.preprocess?.candidates ?? []) {
    state.train.push(await invoke("train", { candidate, run: state }));
  }
  // Two threads for the final refit: the bundle takes the parallel path and starts the bundled
  // forest worker (select reads ORCHARD_WORKERS once, on its first invocation).
  state.select = await invoke("select", state, { ORCHARD_WORKERS: "2" });
  state.evaluate = await invoke("evaluate", state);
  if (state.evaluate?.promote) state.promote = await invoke("promote", state);
  return state;
}

let pipelineRun: Promise<RunState> | undefined;
const pipeline = () => {
  pipelineRun ??= runPipeline();
  return pipelineRun;
};

beforeAll(async () => {
  outDir = await mkdtemp(join(tmpdir(), "orchard-bundles-"));
  manifest = await buildLambdas({ outDir });

  services = await startTestServices();
  const env: NodeJS.ProcessEnv = { ...process.env, ...services.services.env };
  env.ORCHARD_LOG_LEVEL = "silent";
  delete env.ORCHARD_WORKERS;
  // execArgv: [] so the child does not inherit vitest's loader flags.
  runtime = fork(RUNTIME, [], { env, execArgv: [], serialization: "json" });
  runtime.on("message", (reply: { id: number; result?: unknown; error?: LambdaError }) => {
    pending.get(reply.id)?.(reply);
    pending.delete(reply.id);
  });
  runtime.on("exit", (code) => {
    for (const settle of pending.values()) {
      settle({
        error: { errorType: "RuntimeExit", errorMessage: `exit ${code}`, constructorName: null },
      });
    }
    pending.clear();
  });
  for (const name of LAMBDA_HANDLERS) {
    loaded.set(name, await send({ op: "load", file: bundleFile(name) }));
  }
  // One esbuild bundle per handler: well within a minute alone, longer beside other tests.
}, 180_000);

afterAll(async () => {
  if (runtime?.connected) runtime.disconnect();
  runtime?.kill();
  await services?.close();
  if (outDir) await rm(outDir, { recursive: true, force: true });
});

describe("buildLambdas", () => {
  // How long the build takes is a benchmark's question, not a unit test's (it is slower on a
  // loaded machine, and CI's load is not ours to control).
  it("builds one bundle per handler", () => {
    expect(Object.keys(manifest.bundles).sort()).toEqual([...LAMBDA_HANDLERS].sort());
  });

  it("writes a manifest whose digests are those of the files on disk", async () => {
    const onDisk = JSON.parse(await readFile(join(outDir, "manifest.json"), "utf8"));
    expect(onDisk).toEqual(manifest);
    for (const [name, bundle] of Object.entries(manifest.bundles)) {
      expect(Object.keys(bundle.files)).toContain("index.mjs.map");
      for (const [file, expected] of Object.entries(bundle.files)) {
        const bytes = await readFile(join(outDir, name, file));
        const sha256 = createHash("sha256").update(bytes).digest("hex");
        expect({ file: `${name}/${file}`, sha256, size: bytes.byteLength }).toEqual({
          file: `${name}/${file}`,
          ...expected,
        });
      }
      expect({ sha256: bundle.sha256, size: bundle.size }).toEqual(bundle.files["index.mjs"]);
    }
  });

  it("rebuilds to the same bytes in another directory", async () => {
    const other = await mkdtemp(join(tmpdir(), "orchard-bundles-again-"));
    try {
      expect(await buildLambdas({ outDir: other })).toEqual(manifest);
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  });

  it("ships the forest worker, as ESM, with exactly the bundles that can train or explain on threads", async () => {
    const withWorker = Object.entries(manifest.bundles)
      .filter(([, b]) => "forest-worker.js" in b.files)
      .map(([name]) => name);
    // report: TreeSHAP on worker threads runs in the same worker entry
    expect(withWorker.sort()).toEqual(["report", "select", "train"]);
    for (const name of LAMBDA_HANDLERS) {
      const pkg = JSON.parse(await readFile(join(outDir, name, "package.json"), "utf8"));
      expect(pkg).toEqual({ type: "module" });
    }
  });
});

/** How a worker thread on `file` ended: its first error, or its exit code. */
function workerOutcome(
  file: string,
): Promise<{ error?: Error & { code?: string }; exit?: number }> {
  return new Promise((resolve) => {
    const worker = new Worker(pathToFileURL(file), { stdout: true, stderr: true });
    worker.once("error", (error) => resolve({ error }));
    worker.once("exit", (exit) => resolve({ exit }));
  });
}

describe("the bundled forest worker", () => {
  // Training on one thread never loads it, and the trainer's own thread may grow every tree
  // before a worker starts, so the pipeline run alone cannot show that the file loads.
  it.each(["report", "select", "train"] as const)(
    "%s: forest-worker.js loads as an ES module worker and runs its own code",
    async (name) => {
      // Without workerData it fails in its own code, after every import has resolved; a file
      // that cannot be found or loaded fails with a code (MODULE_NOT_FOUND, ERR_…) instead.
      const { error } = await workerOutcome(join(outDir, name, "forest-worker.js"));
      expect(error).toBeDefined();
      expect(error?.code).toBeUndefined();
      expect(error?.name).not.toBe("SyntaxError");
    },
  );
});

describe("the bundled report worker", () => {
  it("runs a TreeSHAP job and returns the values the calling thread computes", async () => {
    // a stump on x0 and a two-level tree on x1 then x0, shared as the report shares them
    const share = <T extends Int32Array | Float64Array | Uint8Array>(a: T): T => {
      const out = new (a.constructor as new (b: SharedArrayBuffer) => T)(
        new SharedArrayBuffer(a.byteLength),
      );
      out.set(a as never);
      return out;
    };
    const flat = {
      task: "regression" as const,
      nFeatures: 2,
      nClasses: 0,
      treeNodeOffset: share(Int32Array.from([0, 3, 8])),
      treeLeafOffset: share(Int32Array.from([0, 2, 5])),
      feature: share(Int32Array.from([0, -1, -1, 1, 0, -1, -1, -1])),
      threshold: share(Float64Array.from([0.5, 0, 0, 0, 1, 0, 0, 0])),
      left: share(Int32Array.from([1, 0, 1, 1, 2, 0, 1, 2])),
      right: share(Int32Array.from([2, 0, 0, 4, 3, 0, 0, 0])),
      missingLeft: share(new Uint8Array(8)),
      values: share(Float64Array.from([1, 5, 2, 4, 9])),
      featureImportance: new Float64Array(0),
      oobScore: null,
    };
    const cover = share(Float64Array.from([4, 3, 1, 10, 6, 4, 2, 4]));
    const x = share(Float64Array.from([0, 0, 1, 2, 0.7, -1]));
    const init = { kind: "tree-shap", flat, cover, x, cols: 2, rows: 3, nTrees: 2 };
    const nextTree = new Int32Array(new SharedArrayBuffer(4));
    const { TreeShapKernel } = await import("../../pipeline/explain/fast-tree-shap.ts");
    const kernel = new TreeShapKernel(flat, cover);
    const want = [0, 1].map((t) => {
      const out = new Float64Array(6);
      kernel.explainTree(t, x, 2, 3, out);
      return Array.from(out);
    });
    const got = await new Promise<number[][]>((resolve, reject) => {
      const trees: number[][] = [];
      const worker = new Worker(pathToFileURL(join(outDir, "report", "forest-worker.js")), {
        workerData: { ...init, nextTree },
      });
      worker.on("message", (m: { kind: string; treeIndex: number; values: Float64Array }) => {
        if (m.kind === "shap-tree") trees[m.treeIndex] = Array.from(m.values);
        else if (m.kind === "done") resolve(trees);
        else reject(new Error(JSON.stringify(m)));
      });
      worker.on("error", reject);
    });
    expect(got).toEqual(want);
  });
});

describe("the bundled handlers", () => {
  it.each(LAMBDA_HANDLERS)("%s exports a handler function", (name) => {
    expect(loaded.get(name)).toEqual({ handler: "function" });
  });

  it("run the penguins pipeline end to end and promote a model", async () => {
    const state = await pipeline();
    expect(state.ingest?.created).toBe(true);
    expect(state.train).toHaveLength(state.preprocess?.candidates.length ?? -1);
    expect(state.evaluate?.promote).toBe(true);
    expect(state.promote).toEqual({ promoted: true, champion: state.evaluate?.version });
    const champion = await services.stores.registry.getChampion("penguins");
    expect(champion?.version).toBe(state.evaluate?.version);
    expect(champion?.modelUri).toBe(state.select?.modelUri);
  });

  it("predict scores raw rows with the promoted champion", async () => {
    const state = await pipeline();
    const result = await invoke<{ modelVersion: string; predictions: { prediction: unknown }[] }>(
      "predict",
      {
        pipeline: "penguins",
        rows: [
          {
            island: "Biscoe",
            bill_length_mm: 47.5,
            bill_depth_mm: 15,
            flipper_length_mm: 218,
            body_mass_g: 4950,
            sex: "MALE",
          },
        ],
      },
    );
    expect(result.modelVersion).toBe(state.promote?.champion);
    expect(result.predictions.map((p) => p.prediction)).toEqual(["Gentoo"]);
  });

  it("batch-score, as the BatchScore state then a ScoreFiles child, scores an S3 prefix with the promoted version", async () => {
    const state = await pipeline();
    const bucket = services.config.buckets.raw;
    const rows = [
      "island,bill_length_mm,bill_depth_mm,flipper_length_mm,body_mass_g,sex",
      "Biscoe,47.5,15,218,4950,MALE",
      "Torgersen,39.1,18.7,181,3750,MALE",
    ].join("\n");
    await services.clients.s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: "penguins/batch/day.csv", Body: rows }),
    );
    const batchUri = `s3://${bucket}/penguins/batch/`;
    const plan = await invoke<{
      enabled: boolean;
      modelVersion: string;
      listing: { bucket: string; prefix: string };
    }>("batch-score", { ...state, run: { ...state.run, batchUri } });
    expect(plan).toMatchObject({
      enabled: true,
      modelVersion: state.evaluate?.version,
      listing: { bucket, prefix: "penguins/batch/" },
    });
    // the ScoreFiles child the Distributed Map starts for the listed key
    const child = await invoke<{ fileCount: number; rowCount: number }>("batch-score", {
      Items: [{ key: "penguins/batch/day.csv" }],
      BatchInput: { pipeline: "penguins", version: plan.modelVersion, bucket },
    });
    expect(child).toEqual({ fileCount: 1, rowCount: 2 });
    const out = await services.stores.artifacts.get(`${batchUri}day.predictions.csv`);
    const lines = new TextDecoder().decode(out).trim().split("\n");
    expect(lines.map((l) => l.split(",")[6])).toEqual(["prediction", "Gentoo", "Adelie"]);
  });

  it("validate fails single-class data with an error named TargetError (class names survive)", async () => {
    const lines = (await readFile(CSV, "utf8")).trim().split("\n");
    const adelie = [lines[0], ...lines.filter((l) => l.includes(",Adelie,"))].join("\n");
    const badCsv = join(outDir, "adelie-only.csv");
    await writeFile(badCsv, `${adelie}\n`);
    const state: RunState = {
      run: {
        pipeline: "penguins",
        specUri: await storeSpec(),
        sourceUri: pathToFileURL(badCsv).href,
      },
    };
    state.ingest = await invoke("ingest", state);
    const failure = await invoke("validate", state).then(
      () => null,
      (err: InvocationError) => err.lambda,
    );
    expect(failure?.errorType).toBe("TargetError");
    expect(failure?.constructorName).toBe("TargetError");
    expect(failure?.errorMessage).toContain("single class");
  });
});
