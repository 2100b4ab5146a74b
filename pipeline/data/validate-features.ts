/**
 * Checks of the feature columns as a whole, for `validateData`: that something is left to
 * learn from, that numbers fit where they are going, and that the feature list fits the state
 * machine's payloads.
 *
 * Limits and why:
 * - Numbers must be 0 or have a magnitude in [1e-130, 1e125]: the range of a DynamoDB number
 *   (feature rows go to the online store), and it keeps squares finite, which scaling,
 *   variance and regression splits compute.
 * - The feature names, as JSON, must fit in 64 KiB: every state carries the feature list and
 *   Step Functions caps a state at 256 KiB, which also holds the candidates and metrics.
 */

import type { Column, Frame } from "./frame.ts";
import { type RoleOptions, roleOf } from "./infer-schema.ts";
import type { ColumnProfile } from "./profile.ts";

export const MAX_MAGNITUDE = 1e125;
export const MIN_MAGNITUDE = 1e-130;
export const MAX_FEATURE_NAME_BYTES = 64 * 1024;

export type FeatureIssueCode =
  | "no_features"
  | "constant_features"
  | "extreme_value"
  | "extreme_target"
  | "too_many_features";

export interface FeatureIssue {
  code: FeatureIssueCode;
  message: string;
  column?: string;
  row?: number;
}

export interface FeatureCheckOptions extends RoleOptions {
  file: string;
  task: "classification" | "regression";
}

/** True for a number storage cannot hold: a magnitude outside [MIN_MAGNITUDE, MAX_MAGNITUDE]. */
export function outOfRange(v: number): boolean {
  const a = Math.abs(v);
  return a !== 0 && (a > MAX_MAGNITUDE || a < MIN_MAGNITUDE);
}

function extremeValues(col: Column): { count: number; row: number; value: number } | null {
  if (col.kind !== "numeric") return null;
  let count = 0;
  let first = -1;
  col.values.forEach((v, r) => {
    if (!Number.isNaN(v) && outOfRange(v)) {
      count++;
      if (first < 0) first = r;
    }
  });
  return count === 0 ? null : { count, row: first + 1, value: col.values[first] };
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

function listNames(names: string[]): string {
  const shown = names.slice(0, 5).join(", ");
  return names.length > 5 ? `${shown}, … (${names.length} in all)` : shown;
}

/** Every problem of the feature columns, in a fixed order. Never throws. */
export function checkFeatures(
  frame: Frame,
  profiles: ColumnProfile[],
  o: FeatureCheckOptions,
): FeatureIssue[] {
  const issues: FeatureIssue[] = [];
  const features = frame.columns.filter((c) => roleOf(c.name, o) === "feature");
  const names = features.map((c) => c.name);

  if (features.length === 0) {
    issues.push({
      code: "no_features",
      message: `${o.file}: no feature columns are left: every column is the target, the id or in features.drop (${listNames(frame.columns.map((c) => c.name))}); add feature columns or remove some from features.drop.`,
    });
  } else {
    const constant = profiles.filter((p) => p.role === "feature" && p.distinct <= 1);
    if (constant.length === features.length) {
      issues.push({
        code: "constant_features",
        message: `${o.file}: every feature column has a single value in every row (${listNames(names)}), so there is nothing to learn from; add rows or columns that vary.`,
      });
    }
  }

  const nameBytes = new TextEncoder().encode(JSON.stringify(names)).byteLength;
  if (nameBytes > MAX_FEATURE_NAME_BYTES) {
    issues.push({
      code: "too_many_features",
      message: `${o.file}: the ${features.length} feature column names take ${Math.ceil(nameBytes / 1024)} KiB; Orchard's limit is ${MAX_FEATURE_NAME_BYTES / 1024} KiB because every state of the run carries them (Step Functions allows 256 KiB a state) — drop columns with features.drop, shorten the names, or reshape the data long instead of wide.`,
    });
  }

  const checked = o.task === "regression" ? [...features, ...targetColumn(frame, o)] : features;
  for (const col of checked) {
    const extreme = extremeValues(col);
    if (!extreme) continue;
    const isTarget = col.name === o.target;
    issues.push({
      code: isTarget ? "extreme_target" : "extreme_value",
      column: col.name,
      row: extreme.row,
      message: `${o.file}: ${isTarget ? "target" : "column"} "${col.name}" has ${plural(extreme.count, "value")} out of range (row ${extreme.row}: ${extreme.value}); numbers must be 0 or between 1e-130 and 1e125 in magnitude (what the online store holds, and squares stay finite) — rescale the column (e.g. change its unit or take a log)${isTarget ? "" : " or drop it with features.drop"}.`,
    });
  }
  return issues;
}

function targetColumn(frame: Frame, o: RoleOptions): Column[] {
  return frame.columns.filter((c) => c.name === o.target);
}
