/**
 * Small trained models for the serving tests, built in-process (no pipeline run): a
 * classifier over `x` (numeric) and `colour` (categorical) whose label is "big" exactly when
 * x > 5, and a regressor over the same inputs predicting 10·x. Stores are in memory.
 */
import type { Frame, Target } from "../../pipeline/data/frame.ts";
import { coverKey, coverToBytes } from "../../pipeline/explain/cover-artifact.ts";
import { orchardForest } from "../../pipeline/explain/explain-rows.ts";
import { nodeCover } from "../../pipeline/explain/tree-shap.ts";
import { createBundle, type ModelBundle, serializeBundle } from "../../pipeline/model/bundle.ts";
import type { ModelParams } from "../../pipeline/spec/types.ts";
import type { ArtifactStore, ModelRegistry } from "../../pipeline/store.ts";
import { MemoryArtifactStore, MemoryModelRegistry } from "../../pipeline/store-memory.ts";
import { fitModel } from "../../pipeline/train/fit.ts";

export const PIPELINE = "sizes";

const xs = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 2, 9, 1.5, 8.5, 3.5, 6.5];
const frame: Frame = {
  rowCount: xs.length,
  columns: [
    { kind: "numeric", name: "x", values: Float64Array.from(xs) },
    {
      kind: "categorical",
      name: "colour",
      codes: Int32Array.from(xs.map((_, i) => (i === 10 ? -1 : i % 2))),
      levels: ["blue", "red"],
    },
  ],
};

const PARAMS: ModelParams = {
  trees: 10,
  maxDepth: null,
  minSamplesLeaf: 1,
  maxFeatures: "all",
  bootstrap: false,
};

export async function trainBundle(
  task: "classification" | "regression" = "classification",
  seed = 7,
): Promise<ModelBundle> {
  const target: Target =
    task === "classification"
      ? {
          kind: "classification",
          codes: Int32Array.from(xs.map((x) => (x > 5 ? 0 : 1))),
          classes: ["big", "small"],
        }
      : { kind: "regression", values: Float64Array.from(xs.map((x) => 10 * x)) };
  const features = { numeric: ["x"], categorical: ["colour"] };
  const model = await fitModel(frame, target, PARAMS, {
    features,
    preprocessing: {
      impute: { numeric: "median", categorical: "most_frequent" },
      scale: "standard",
      onehot: {},
      clipOutliers: false,
    },
    engine: "orchard",
    seed,
  });
  return createBundle(model, {
    schema: {
      task,
      target: "size",
      classes: task === "classification" ? ["big", "small"] : null,
      features,
    },
    params: PARAMS,
    metrics:
      task === "classification"
        ? { accuracy: 1, f1_macro: 1, f1_weighted: 1, precision_macro: 1, recall_macro: 1 }
        : { rmse: 0, mae: 0, r2: 1 },
    lineage: {
      pipeline: PIPELINE,
      dataSha256: "d".repeat(64),
      specSha256: "s".repeat(64),
      seed,
      orchardVersion: "0.1.0",
      createdAt: "2026-01-01T00:00:00.000Z",
    },
  } as Parameters<typeof createBundle>[1]);
}

/** Where a model version lives: the memory stores here, or the embedded S3 and DynamoDB. */
export interface VersionStores {
  registry: ModelRegistry;
  artifacts: ArtifactStore;
}

export interface RegisterOptions {
  pipeline?: string;
  /** The seed recorded in the version's lineage. Default 7. */
  seed?: number;
}

/** Stores `bundle` and registers it as a new approved version; returns the version id. */
export async function registerBundle(
  stores: VersionStores,
  bundle: ModelBundle,
  { pipeline = PIPELINE, seed = 7 }: RegisterOptions = {},
): Promise<string> {
  const stored = await stores.artifacts.putContent(
    "artifacts",
    `${pipeline}/models`,
    serializeBundle(bundle),
    "orchmodel",
  );
  const version = await stores.registry.registerVersion(pipeline, {
    modelUri: stored.uri,
    metrics: {},
    params: {},
    lineage: {
      dataSha256: "d".repeat(64),
      specSha256: "s".repeat(64),
      seed,
      orchardVersion: "0.1.0",
      createdAt: "2026-01-01T00:00:00.000Z",
    },
    status: "approved",
  });
  return version.version;
}

/** `registerBundle`, then promoted over the current champion. */
export async function promoteBundle(
  stores: VersionStores,
  bundle: ModelBundle,
  options: RegisterOptions = {},
): Promise<string> {
  const pipeline = options.pipeline ?? PIPELINE;
  const version = await registerBundle(stores, bundle, options);
  const current = await stores.registry.getChampion(pipeline);
  await stores.registry.promote(pipeline, version, {
    expectedChampion: current?.version ?? null,
  });
  return version;
}

export interface MemoryServing {
  registry: MemoryModelRegistry;
  artifacts: MemoryArtifactStore;
  /** Registers a bundle as a new version; returns its version id. */
  register(bundle: ModelBundle): Promise<string>;
  /** Registers and promotes over the current champion. */
  promote(bundle: ModelBundle): Promise<string>;
}

export function memoryServing(pipeline = PIPELINE): MemoryServing {
  const stores = { registry: new MemoryModelRegistry(), artifacts: new MemoryArtifactStore() };
  return {
    ...stores,
    register: (bundle) => registerBundle(stores, bundle, { pipeline }),
    promote: (bundle) => promoteBundle(stores, bundle, { pipeline }),
  };
}

/** A request as the transports build it. */
export function post(body: unknown, headers: Record<string, string> = {}) {
  return {
    method: "POST",
    path: "/predict",
    headers: { "content-type": "application/json", ...headers },
    body: new TextEncoder().encode(typeof body === "string" ? body : JSON.stringify(body)),
  };
}

/** Stores the explainer cover of `bundle` (its training rows) for the model at `modelUri`. */
export async function storeCover(
  artifacts: ArtifactStore,
  bundle: ModelBundle,
  modelUri: string,
  pipeline = PIPELINE,
): Promise<void> {
  const cover = nodeCover(orchardForest(bundle).flat, bundle.preprocessor.transform(frame));
  await artifacts.put("artifacts", coverKey(pipeline, modelUri), coverToBytes(cover));
}
