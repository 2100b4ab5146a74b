/**
 * The model bundle: everything needed to predict from raw rows, in one versioned binary.
 *
 * Layout: 8-byte magic `ORCHMODL`, uint32 LE format version, uint32 LE header length, the
 * header as UTF-8 JSON (schema, fitted preprocessor, parameters, metrics, feature importance,
 * lineage), then the forest's own serialization to the end. The forest stays in its compact
 * typed-array form; only the small header is JSON. The same inputs (including
 * `lineage.createdAt`, which the caller passes) give byte-identical bundles.
 */
import { ArtifactError } from "../errors.ts";
import { loadPreprocessor, type Preprocessor } from "../features/preprocessor.ts";
import type { PreprocessorState } from "../features/preprocessor-state.ts";
import { deserializeForest, type ForestModel, serializeForest } from "../forest/index.ts";
import type { ModelParams } from "../spec/types.ts";
import type { SplitRecord } from "../split/split-record.ts";
import type { FeatureViewLineage } from "../store.ts";
import type { FittedModel, MetricRecord } from "../train/fit.ts";
import { predictFrame } from "../train/fit.ts";
import { type ModelSchema, type RawRow, rowsToFrame } from "./schema.ts";

const MAGIC = "ORCHMODL";
export const BUNDLE_VERSION = 1;

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
  };
  return makeBundle(header, model);
}

export function serializeBundle(bundle: ModelBundle): Uint8Array {
  const header = new TextEncoder().encode(JSON.stringify(bundle.header));
  const forest = serializeForest(bundle.forest);
  const out = new Uint8Array(16 + header.length + forest.length);
  out.set(new TextEncoder().encode(MAGIC), 0);
  const view = new DataView(out.buffer);
  view.setUint32(8, BUNDLE_VERSION, true);
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
  if (version !== BUNDLE_VERSION) {
    throw new ArtifactError(
      `${source} has format version ${version}; this Orchard reads version ${BUNDLE_VERSION} — retrain with this version`,
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
  const forest = deserializeForest(bytes.subarray(16 + headerLength));
  return makeBundle(header, { preprocessor: loadPreprocessor(header.preprocessor), forest });
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
