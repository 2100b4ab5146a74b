/**
 * Validation of forest hyper-parameters. Messages name the spec path (`model.trees`) because
 * these values come from the `model:` section of a pipeline spec.
 */
import { SpecError } from "../errors.ts";
import { resolveMaxFeatures as resolveSpecMaxFeatures } from "../spec/max-features.ts";
import type { ForestParams, ForestTask, MaxFeatures } from "./types.ts";

export const DEFAULT_MAX_BINS = 256;

/** scikit-learn's RandomForest defaults for the task (100 trees, grown to purity). */
export function defaultForestParams(task: ForestTask, seed = 0): ForestParams {
  return {
    trees: 100,
    maxDepth: null,
    minSamplesLeaf: 1,
    maxFeatures: task === "classification" ? "sqrt" : "all",
    bootstrap: true,
    seed,
    maxBins: DEFAULT_MAX_BINS,
  };
}

function fail(path: string, message: string): never {
  throw new SpecError(`${path} ${message}`, { path });
}

function isWhole(x: unknown): x is number {
  return typeof x === "number" && Number.isInteger(x);
}

function checkMaxFeatures(mf: unknown, nFeatures?: number): void {
  const path = "model.maxFeatures";
  if (mf === "sqrt" || mf === "log2" || mf === "all") return;
  if (typeof mf !== "number" || !Number.isFinite(mf) || mf <= 0) {
    fail(
      path,
      `must be "sqrt", "log2", "all", a fraction in (0, 1) or a whole count >= 1, got ${JSON.stringify(mf)}. Use e.g. "sqrt".`,
    );
  }
  if (mf >= 1 && !Number.isInteger(mf)) {
    fail(
      path,
      `from 1 up must be a whole feature count, got ${mf}. Use a fraction in (0, 1), a whole number, or "all".`,
    );
  }
  if (mf > 1 && nFeatures !== undefined && mf > nFeatures) {
    fail(path, `is ${mf} but the data has only ${nFeatures} features. Use at most ${nFeatures}.`);
  }
}

/** Throws SpecError naming the first invalid field; `nFeatures` enables the count check. */
export function validateForestParams(params: ForestParams, nFeatures?: number): void {
  if (params === null || typeof params !== "object") {
    throw new SpecError("model must be an object with the forest parameters.", { path: "model" });
  }
  const { trees, maxDepth, minSamplesLeaf, bootstrap, seed, maxBins } = params;
  if (!isWhole(trees) || trees < 1 || trees > 100_000) {
    fail(
      "model.trees",
      `must be a whole number from 1 to 100000, got ${String(trees)}. Use e.g. 100.`,
    );
  }
  if (maxDepth !== null && (!isWhole(maxDepth) || maxDepth < 1)) {
    fail(
      "model.maxDepth",
      `must be null (unlimited) or a whole number >= 1, got ${String(maxDepth)}.`,
    );
  }
  if (!isWhole(minSamplesLeaf) || minSamplesLeaf < 1) {
    fail("model.minSamplesLeaf", `must be a whole number >= 1, got ${String(minSamplesLeaf)}.`);
  }
  checkMaxFeatures(params.maxFeatures, nFeatures);
  if (typeof bootstrap !== "boolean") {
    fail("model.bootstrap", `must be true or false, got ${JSON.stringify(bootstrap)}.`);
  }
  if (!isWhole(seed) || seed < 0 || seed > 0xffffffff) {
    fail("model.seed", `must be a whole number from 0 to 4294967295, got ${String(seed)}.`);
  }
  if (maxBins !== undefined && (!isWhole(maxBins) || maxBins < 2 || maxBins > 256)) {
    fail("model.maxBins", `must be a whole number from 2 to 256, got ${String(maxBins)}.`);
  }
}

/**
 * The number of features a split looks at, with scikit-learn's rounding (never below 1). The
 * reading of the setting is the spec's; the engine adds scikit-learn's refusal of a count
 * larger than the features there are.
 */
export function resolveMaxFeatures(mf: MaxFeatures, nFeatures: number): number {
  checkMaxFeatures(mf, nFeatures);
  return resolveSpecMaxFeatures(mf, nFeatures);
}
