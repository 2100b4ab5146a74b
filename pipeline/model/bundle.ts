/**
 * The model bundle: everything needed to predict from raw rows, in one versioned binary.
 *
 * Layout: 8-byte magic `ORCHMODL`, uint32 LE format version, uint32 LE header length, the
 * header as UTF-8 JSON (schema, fitted preprocessor, parameters, metrics, feature importance,
 * lineage), then the model's own serialization to the end: the forest's (version 1), or a
 * boosted or linear model's (version 2, `modelType` in the header). The forest stays in its compact
 * typed-array form; only the small header is JSON. The same inputs (including
 * `lineage.createdAt`, which the caller passes) give byte-identical bundles.
 */
import { BoostedModel } from "../boosting/boosted-model.ts";
import {
  deserializeBoosting,
  isBoostingArtifact,
  serializeBoosting,
} from "../boosting/serialize.ts";
import { ArtifactError } from "../errors.ts";
import { loadPreprocessor, type Preprocessor } from "../features/preprocessor.ts";
import type { PreprocessorState } from "../features/preprocessor-state.ts";
import { deserializeForest, type ForestModel, serializeForest } from "../forest/index.ts";
import { LinearModel } from "../linear/linear-model.ts";
import { deserializeLinear, isLinearArtifact, serializeLinear } from "../linear/serialize.ts";
import { OnnxTreeModel } from "../onnx/onnx-model.ts";
import type { ModelParams } from "../spec/types.ts";
import type { SplitRecord } from "../split/split-record.ts";
import type { FeatureViewLineage } from "../store.ts";
import type { FittedModel, MetricRecord } from "../train/fit.ts";
import { predictFrame } from "../train/fit.ts";
import { type ModelSchema, type RawRow, rowsToFrame } from "./schema.ts";

const MAGIC = "ORCHMODL";
/** The version forest bundles are written with (unchanged, so their bytes are too). */
export const BUNDLE_VERSION = 1;
/**
 * The version of bundles holding another model family (gradient boosting, linear models): an
 * Orchard that reads only version 1 says "retrain with this version" instead of misreading
 * it. This Orchard reads both; the body's magic says which family it is.
 */
export const FAMILY_BUNDLE_VERSION = 2;
const READABLE = [BUNDLE_VERSION, FAMILY_BUNDLE_VERSION];

export interface Lineage {
  pipeline: string;
  dataSha256: string;
  specSha256: string;
  seed: number;
  orchardVersion: string;
  /** ISO time the run started; passed in so a rerun can reproduce the bytes. */
  createdAt: string;
  /** The feature views the rows were joined with; absent without `features.from`. */
  featureViews?: FeatureViewLineage[];
}

export interface BundleHeader {
  schema: ModelSchema;
  preprocessor: PreprocessorState;
  engine: ForestModel["engine"];
  params: ModelParams;
  /** Held-out test metrics of this model. */
  metrics: MetricRecord;
  /** Feature importance per preprocessed column, highest first. */
  featureImportance: { feature: string; importance: number }[];
  lineage: Lineage;
  /**
   * How the training rows were chosen, so a later run's Evaluate can leave out the rows this
   * model trained on. Optional: bundles written before it (same format version) lack it and
   * are compared on their recorded metric instead.
   */
  split?: SplitRecord;
  /**
   * The family when it is not a random forest (bundle version 2); absent means random forest.
   * `onnx`: a custom trainer's model (docs/custom-training.md), its ONNX file as the body.
   */
  modelType?: "gradient-boosting" | "logistic-regression" | "linear-regression" | "onnx";
  /** What trained a custom model: its image, command and the metrics it reported. */
  customTraining?: CustomTrainingRecord;
}

export interface CustomTrainingRecord {
  image: string | null;
  command: string[];
  /** The URIs the trainer read (train, test, schema) and wrote (model, metrics). */
  inputs: { train: string; test: string; schema: string };
  outputs: { model: string; metrics: string };
  /** metrics.json as the trainer wrote it (Orchard's own test metrics are in `metrics`). */
  reportedMetrics: Record<string, number>;
}

export interface Prediction {
  prediction: string | number;
  /** Per class label, classification only. */
  probabilities?: Record<string, number>;
}

export interface ModelBundle {
  readonly header: BundleHeader;
  readonly forest: ForestModel;
  readonly preprocessor: Preprocessor;
  /** Applies the bundle's preprocessing and model to raw rows, in order. */
  predict(rows: RawRow[]): Prediction[];
}

export function createBundle(
  model: FittedModel,
  info: Omit<BundleHeader, "preprocessor" | "engine" | "featureImportance">,
): ModelBundle {
  const names = model.preprocessor.outputNames;
  const featureImportance = names
    .map((feature, i) => ({ feature, importance: model.forest.featureImportance[i] }))
    .sort((a, b) => b.importance - a.importance || a.feature.localeCompare(b.feature));
  const header: BundleHeader = {
    ...info,
    preprocessor: model.preprocessor.toJSON(),
    engine: model.forest.engine,
    featureImportance,
    ...(model.forest instanceof BoostedModel ? { modelType: "gradient-boosting" as const } : {}),
    ...(model.forest instanceof LinearModel ? { modelType: model.forest.kind } : {}),
    ...(model.forest instanceof OnnxTreeModel ? { modelType: "onnx" as const } : {}),
  };
  return makeBundle(header, model);
}

export function serializeBundle(bundle: ModelBundle): Uint8Array {
  const header = new TextEncoder().encode(JSON.stringify(bundle.header));
  const m = bundle.forest;
  const forest =
    m instanceof BoostedModel
      ? serializeBoosting(m)
      : m instanceof LinearModel
        ? serializeLinear(m)
        : m instanceof OnnxTreeModel
          ? m.bytes
          : serializeForest(m);
  const out = new Uint8Array(16 + header.length + forest.length);
  out.set(new TextEncoder().encode(MAGIC), 0);
  const view = new DataView(out.buffer);
  const family =
    m instanceof BoostedModel || m instanceof LinearModel || m instanceof OnnxTreeModel;
  view.setUint32(8, family ? FAMILY_BUNDLE_VERSION : BUNDLE_VERSION, true);
  view.setUint32(12, header.length, true);
  out.set(header, 16);
  out.set(forest, 16 + header.length);
  return out;
}

export function loadBundle(bytes: Uint8Array, source = "model bundle"): ModelBundle {
  if (bytes.length < 16 || new TextDecoder().decode(bytes.subarray(0, 8)) !== MAGIC) {
    throw new ArtifactError(`${source} is not an Orchard model (bad magic); retrain or re-copy it`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(8, true);
  if (!READABLE.includes(version)) {
    throw new ArtifactError(
      `${source} has format version ${version}; this Orchard reads versions ${READABLE.join(" and ")} — retrain with this version`,
    );
  }
  const headerLength = view.getUint32(12, true);
  if (16 + headerLength > bytes.length) {
    throw new ArtifactError(`${source} is truncated (header runs past the end); re-copy it`);
  }
  let header: BundleHeader;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(16, 16 + headerLength)));
  } catch (cause) {
    throw new ArtifactError(`${source} has a corrupt header; re-copy it`, {}, { cause });
  }
  const body = bytes.subarray(16 + headerLength);
  const family = version === FAMILY_BUNDLE_VERSION;
  const preprocessor = loadPreprocessor(header.preprocessor);
  const forest: ForestModel =
    family && header.modelType === "onnx"
      ? new OnnxTreeModel(
          body,
          { features: preprocessor.outputNames, classes: header.schema.classes },
          `${source} (its ONNX model)`,
        )
      : family && isBoostingArtifact(body)
        ? deserializeBoosting(body)
        : family && isLinearArtifact(body)
          ? deserializeLinear(body)
          : deserializeForest(body);
  return makeBundle(header, { preprocessor, forest });
}

function makeBundle(header: BundleHeader, model: FittedModel): ModelBundle {
  const { schema } = header;
  return {
    header,
    forest: model.forest,
    preprocessor: model.preprocessor,
    predict(rows) {
      const { values, proba } = predictFrame(model, rowsToFrame(schema, rows));
      if (schema.task === "regression") return Array.from(values, (v) => ({ prediction: v }));
      const classes = schema.classes ?? [];
      return Array.from(values, (v, r) => {
        const probabilities: Record<string, number> = {};
        classes.forEach((label, c) => {
          probabilities[label] = proba?.[r * classes.length + c] ?? 0;
        });
        return { prediction: classes[v], probabilities };
      });
    },
  };
}
