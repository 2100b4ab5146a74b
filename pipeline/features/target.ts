/**
 * Encoding the target column. Classification labels are read as text (numbers in canonical
 * form, `1` not `1.0`) and numbered by sorted order, like scikit-learn's LabelEncoder on
 * strings. Test rows are encoded with the train classes; a label train never saw is an error,
 * because no model can predict or score it.
 */

import type { ClassTarget, Column, Target } from "../data/frame.ts";
import { TargetError } from "../errors.ts";
import { columnStrings, sortedLevels } from "./values.ts";

export type TaskKind = "classification" | "regression";

export function encodeTarget(col: Column, task: TaskKind): Target {
  if (task === "regression") {
    if (col.kind !== "numeric") {
      throw new TargetError(
        `target "${col.name}" must be numeric for regression but holds text (e.g. "${col.levels[0] ?? ""}"); use task "classification" or fix the column`,
        { column: col.name },
      );
    }
    const missing = col.values.findIndex((v) => Number.isNaN(v));
    if (missing >= 0) throw missingTarget(col.name, missing);
    return { kind: "regression", values: Float64Array.from(col.values) };
  }
  const labels = columnStrings(col);
  const missing = labels.indexOf(null);
  if (missing >= 0) throw missingTarget(col.name, missing);
  const classes = sortedLevels(labels);
  if (classes.length < 2) {
    throw new TargetError(
      `target "${col.name}" has ${classes.length === 0 ? "no rows" : `a single class "${classes[0]}"`}; classification needs at least 2 classes — check the data or filters`,
      { column: col.name },
    );
  }
  return encodeTargetWith(classes, col);
}

/** Encodes `col` with known `classes` (from train); unseen or missing labels throw TargetError. */
export function encodeTargetWith(classes: readonly string[], col: Column): ClassTarget {
  const index = new Map<string, number>();
  for (const [i, c] of classes.entries()) index.set(c, i);
  const labels = columnStrings(col);
  const codes = new Int32Array(labels.length);
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i];
    if (label === null) throw missingTarget(col.name, i);
    const code = index.get(label);
    if (code === undefined) {
      throw new TargetError(
        `target "${col.name}" has label "${label}" at row ${i + 1} that the training data never had (known classes: ${classes.map((c) => `"${c}"`).join(", ")}); drop those rows or retrain with them`,
        { column: col.name, row: i + 1 },
      );
    }
    codes[i] = code;
  }
  return { kind: "classification", codes, classes: [...classes] };
}

function missingTarget(column: string, index: number): TargetError {
  return new TargetError(
    `target "${column}" is missing at row ${index + 1}; drop rows without a target before training`,
    { column, row: index + 1 },
  );
}
