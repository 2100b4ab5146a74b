/**
 * fitForest: checks the inputs once, with messages that say what to fix, then hands them to
 * the chosen engine.
 */
import type { FeatureMatrix, Target } from "../data/frame.ts";
import { DataFormatError, InsufficientDataError, SpecError, TargetError } from "../errors.ts";
import { trainMlRandomForest } from "./ml-engine.ts";
import { validateForestParams } from "./params.ts";
import { trainOrchardForest } from "./train-orchard.ts";
import type { FitOptions, ForestModel, ForestParams } from "./types.ts";

function checkMatrix(X: FeatureMatrix): void {
  if (!Number.isInteger(X.rows) || !Number.isInteger(X.cols) || X.cols < 1) {
    throw new DataFormatError(
      `The feature matrix must have a whole number of rows and at least one column, got ${X.rows} x ${X.cols}.`,
    );
  }
  if (X.values.length !== X.rows * X.cols) {
    throw new DataFormatError(
      `The feature matrix says ${X.rows} rows x ${X.cols} columns but holds ${X.values.length} values. Rebuild it row-major with rows * cols values.`,
    );
  }
  if (X.rows < 2) {
    throw new InsufficientDataError(
      `A forest needs at least 2 training rows, got ${X.rows}. Provide more data.`,
    );
  }
}

function checkTarget(X: FeatureMatrix, y: Target): void {
  if (y.kind === "classification") {
    if (y.codes.length !== X.rows) {
      throw new TargetError(
        `The target has ${y.codes.length} values but the feature matrix has ${X.rows} rows. Pass one label per row.`,
      );
    }
    const K = y.classes.length;
    const seen = new Uint8Array(K);
    let distinct = 0;
    for (let r = 0; r < y.codes.length; r++) {
      const c = y.codes[r];
      if (!(c >= 0 && c < K)) {
        throw new TargetError(
          c === -1
            ? `The target is missing at row ${r + 1}. Drop or fill rows without a label before training.`
            : `The target code ${c} at row ${r + 1} is not an index into the ${K} classes.`,
          { row: r + 1 },
        );
      }
      if (seen[c] === 0) {
        seen[c] = 1;
        distinct++;
      }
    }
    if (distinct < 2) {
      throw new TargetError(
        `The target has a single class (${y.classes[y.codes[0]] ?? "?"}); classification needs at least two. Check the target column and the split.`,
      );
    }
    return;
  }
  if (y.values.length !== X.rows) {
    throw new TargetError(
      `The target has ${y.values.length} values but the feature matrix has ${X.rows} rows. Pass one value per row.`,
    );
  }
  for (let r = 0; r < y.values.length; r++) {
    if (!Number.isFinite(y.values[r])) {
      throw new TargetError(
        `The regression target at row ${r + 1} is ${y.values[r]}; it must be a finite number. Drop or fill such rows before training.`,
        { row: r + 1 },
      );
    }
  }
}

/** The shape and label checks every tree engine runs before training (boosting too). */
export function checkFitInputs(X: FeatureMatrix, y: Target): void {
  checkMatrix(X);
  checkTarget(X, y);
}

/** The checks every forest fit runs first (also each shard of a sharded fit, shards.ts). */
export function checkForestInputs(X: FeatureMatrix, y: Target, params: ForestParams): void {
  checkFitInputs(X, y);
  validateForestParams(params, X.cols);
}

export async function fitForest(
  X: FeatureMatrix,
  y: Target,
  params: ForestParams,
  options: FitOptions = {},
): Promise<ForestModel> {
  const engine = options.engine ?? "orchard";
  const workers = options.workers ?? 1;
  if (engine !== "orchard" && engine !== "ml-random-forest") {
    throw new SpecError(
      `model.engine must be "orchard" or "ml-random-forest", got ${JSON.stringify(engine)}.`,
      { path: "model.engine" },
    );
  }
  if (!Number.isInteger(workers) || workers < 1) {
    throw new SpecError(
      `workers must be a whole number >= 1, got ${String(workers)}. Use 1, or os.availableParallelism() for every core.`,
      { path: "workers" },
    );
  }
  checkForestInputs(X, y, params);
  if (engine === "ml-random-forest") return trainMlRandomForest(X, y, params);
  return trainOrchardForest(X, y, params, workers);
}
