/**
 * Defaults and validation of boosting parameters. Messages name the spec path (`model.…`)
 * because these values come from the `model:` section of a pipeline spec.
 */
import { SpecError } from "../errors.ts";
import type { BoostingParams } from "./types.ts";

/** scikit-learn 1.2's HistGradientBoosting defaults (max_bins 255 + the missing bin = 256). */
export function defaultBoostingParams(seed = 0): BoostingParams {
  return {
    learningRate: 0.1,
    iterations: 100,
    maxLeaves: 31,
    maxDepth: null,
    minSamplesLeaf: 20,
    l2: 0,
    subsample: 1,
    colsample: 1,
    earlyStopping: "auto",
    validationFraction: 0.1,
    patience: 10,
    loss: "squared_error",
    maxBins: 256,
    seed,
  };
}

/** scikit-learn's `early_stopping="auto"`: on when there are more than this many rows. */
export const AUTO_EARLY_STOPPING_ROWS = 10_000;

function fail(path: string, message: string): never {
  throw new SpecError(`${path} ${message}`, { path });
}

const isWhole = (x: unknown): x is number => typeof x === "number" && Number.isInteger(x);
const isShare = (x: unknown): x is number => typeof x === "number" && x > 0 && x <= 1;

/** Throws SpecError naming the first invalid field. */
export function validateBoostingParams(p: BoostingParams): void {
  if (!isShare(p.learningRate)) {
    fail("model.learningRate", `must be in (0, 1], got ${String(p.learningRate)}. Use e.g. 0.1.`);
  }
  if (!isWhole(p.iterations) || p.iterations < 1 || p.iterations > 100_000) {
    fail(
      "model.iterations",
      `must be a whole number from 1 to 100000, got ${String(p.iterations)}.`,
    );
  }
  if (p.maxLeaves !== null && (!isWhole(p.maxLeaves) || p.maxLeaves < 2)) {
    fail(
      "model.maxLeaves",
      `must be null (no limit) or a whole number >= 2, got ${String(p.maxLeaves)}.`,
    );
  }
  if (p.maxDepth !== null && (!isWhole(p.maxDepth) || p.maxDepth < 1)) {
    fail(
      "model.maxDepth",
      `must be null (unlimited) or a whole number >= 1, got ${String(p.maxDepth)}.`,
    );
  }
  if (!isWhole(p.minSamplesLeaf) || p.minSamplesLeaf < 1) {
    fail("model.minSamplesLeaf", `must be a whole number >= 1, got ${String(p.minSamplesLeaf)}.`);
  }
  if (typeof p.l2 !== "number" || !(p.l2 >= 0) || !Number.isFinite(p.l2)) {
    fail("model.l2", `must be a finite number >= 0, got ${String(p.l2)}.`);
  }
  if (!isShare(p.subsample))
    fail("model.subsample", `must be in (0, 1], got ${String(p.subsample)}.`);
  if (!isShare(p.colsample))
    fail("model.colsample", `must be in (0, 1], got ${String(p.colsample)}.`);
  if (p.earlyStopping !== "auto" && typeof p.earlyStopping !== "boolean") {
    fail(
      "model.earlyStopping",
      `must be true, false or "auto", got ${JSON.stringify(p.earlyStopping)}.`,
    );
  }
  if (
    typeof p.validationFraction !== "number" ||
    !(p.validationFraction > 0 && p.validationFraction < 1)
  ) {
    fail(
      "model.validationFraction",
      `must be in (0, 1), got ${String(p.validationFraction)}. Use e.g. 0.1.`,
    );
  }
  if (!isWhole(p.patience) || p.patience < 1) {
    fail("model.patience", `must be a whole number >= 1, got ${String(p.patience)}.`);
  }
  if (p.loss !== "squared_error" && p.loss !== "absolute_error") {
    fail("model.loss", `must be squared_error or absolute_error, got ${JSON.stringify(p.loss)}.`);
  }
  if (!isWhole(p.maxBins) || p.maxBins < 2 || p.maxBins > 256) {
    fail("model.maxBins", `must be a whole number from 2 to 256, got ${String(p.maxBins)}.`);
  }
  if (!isWhole(p.seed) || p.seed < 0 || p.seed > 0xffffffff) {
    fail("model.seed", `must be a whole number from 0 to 4294967295, got ${String(p.seed)}.`);
  }
}
