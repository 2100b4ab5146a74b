/**
 * The data quality gate between Ingest and Preprocess. `validateData` builds a JSON-safe
 * report (profile, duplicates, type mismatches, warnings, errors) and never throws;
 * `assertValid` throws the named error of the report's first error, so Step Functions can
 * `Catch` on MissingColumnError, TargetError, InsufficientDataError or TypeMismatchError.
 *
 * Decisions: rows are 1-based data rows (the first row after a CSV header is row 1); at
 * least `minRows` (default 10) rows are needed; in classification every class needs at least
 * `minClassRows` (default 2) rows — one row cannot be on both sides of a stratified split.
 * Warnings never stop a run: constant columns, columns more than 50% missing, exact duplicate
 * rows, repeated ids, and `features.drop` naming an absent column.
 */

import {
  DataLimitError,
  InsufficientDataError,
  MissingColumnError,
  type OrchardError,
  TargetError,
  TypeMismatchError,
} from "../errors.ts";
import { didYouMean } from "../spec/did-you-mean.ts";
import type { Task } from "../spec/types.ts";
import type { ColumnMismatches, TextInNumbers } from "./build-frame.ts";
import { DECIMAL_COMMA, readCell } from "./cells.ts";
import {
  type CategoricalColumn,
  type Column,
  type Frame,
  getColumn,
  MISSING_CODE,
} from "./frame.ts";
import { missingColumnMessage, type RoleOptions, requiredColumns, roleOf } from "./infer-schema.ts";
import { type ColumnProfile, duplicateRows, profileColumn } from "./profile.ts";
import { checkFeatures, type FeatureIssueCode } from "./validate-features.ts";

export type ValidationErrorCode =
  | "missing_column"
  | "too_few_rows"
  | "missing_target"
  | "single_class"
  | "rare_class"
  | "constant_target"
  | "target_not_numeric"
  | "type_mismatch"
  | FeatureIssueCode;

export type ValidationWarningCode =
  | "constant_column"
  | "high_missing_share"
  | "duplicate_rows"
  | "duplicate_ids"
  | "dropped_column_absent"
  | "missing_target_dropped"
  | "numbers_with_text"
  | "decimal_comma";

export interface ValidationIssue<Code extends string = string> {
  code: Code;
  message: string;
  column?: string;
  row?: number;
}

export interface ValidationReport {
  file: string;
  rows: number;
  columns: ColumnProfile[];
  /** Rows that repeat an earlier row exactly. */
  duplicateRows: number;
  /** Every column with values that did not fit its numeric type (from `readTable`). */
  typeMismatches: ColumnMismatches[];
  /** Columns with at most one distinct value (the target excluded). */
  constantColumns: string[];
  /** Rows per class label, classification only. */
  classCounts?: Record<string, number>;
  warnings: ValidationIssue<ValidationWarningCode>[];
  errors: ValidationIssue<ValidationErrorCode>[];
}

export interface ValidateOptions extends RoleOptions {
  file: string;
  task: Task;
  /** Default 10. */
  minRows?: number;
  /** Default 2. */
  minClassRows?: number;
  /** From `readTable(...).mismatches`. Default none. */
  mismatches?: ColumnMismatches[];
  /** The column a time split orders by (`split.timeColumn`); it must exist. Default none. */
  timeColumn?: string | null;
  /** `preprocessing.dropMissingTarget`: rows without a target are dropped, not an error. */
  dropMissingTarget?: boolean;
  /** From `readTable(...).textInNumbers`. Default none. */
  textInNumbers?: TextInNumbers[];
}

export const DEFAULT_MIN_ROWS = 10;
export const DEFAULT_MIN_CLASS_ROWS = 2;
export const HIGH_MISSING_SHARE = 0.5;

type Errors = ValidationReport["errors"];
type Warnings = ValidationReport["warnings"];

function firstRow(n: number, test: (row: number) => boolean): number | undefined {
  for (let r = 0; r < n; r++) if (test(r)) return r + 1;
  return undefined;
}

function isMissing(col: Column, row: number): boolean {
  return col.kind === "numeric" ? Number.isNaN(col.values[row]) : col.codes[row] === MISSING_CODE;
}

function classCounts(col: Column, rows: number): Map<string, { count: number; row: number }> {
  const counts = new Map<string, { count: number; row: number }>();
  for (let r = 0; r < rows; r++) {
    if (isMissing(col, r)) continue;
    const label = col.kind === "numeric" ? String(col.values[r]) : col.levels[col.codes[r]];
    const entry = counts.get(label);
    if (entry) entry.count++;
    else counts.set(label, { count: 1, row: r + 1 });
  }
  return counts;
}

function checkClassificationTarget(col: Column, rows: number, o: ValidateOptions, errors: Errors) {
  const counts = classCounts(col, rows);
  const name = col.name;
  if (counts.size === 1) {
    const [label] = counts.keys();
    errors.push({
      code: "single_class",
      column: name,
      message: `${o.file}: target "${name}" has a single class "${label}"; classification needs at least two classes — add rows of the other classes, or check that target names the right column.`,
    });
  }
  const minClassRows = o.minClassRows ?? DEFAULT_MIN_CLASS_ROWS;
  const rare = [...counts].filter(([, c]) => c.count < minClassRows);
  if (counts.size > 1 && rare.length > 0) {
    const listed = rare
      .slice(0, 5)
      .map(
        ([label, c]) =>
          `"${label}" (${c.count} row${c.count === 1 ? "" : "s"}, first row ${c.row})`,
      );
    errors.push({
      code: "rare_class",
      column: name,
      row: rare[0][1].row,
      message: `${o.file}: target "${name}" has classes with fewer than ${minClassRows} rows: ${listed.join(", ")}${rare.length > 5 ? ", …" : ""}; a stratified split and cross-validation need at least ${minClassRows} per class — add rows or remove or merge those classes.`,
    });
  }
  return Object.fromEntries([...counts].map(([label, c]) => [label, c.count]));
}

function checkRegressionTarget(col: Column, rows: number, o: ValidateOptions, errors: Errors) {
  const name = col.name;
  if (col.kind === "categorical") {
    const row = firstRow(rows, (r) => {
      const code = col.codes[r];
      return code !== MISSING_CODE && readCell(col.levels[code]).kind !== "number";
    });
    const value =
      row === undefined ? undefined : (col as CategoricalColumn).levels[col.codes[row - 1]];
    const example = row === undefined ? "" : ` (row ${row} has "${value}")`;
    errors.push({
      code: "target_not_numeric",
      column: name,
      row,
      message: `${o.file}: target "${name}" is not numeric${example}; regression needs numbers — fix those values or use task: classification.`,
    });
    return;
  }
  const distinct = new Set<number>();
  for (const v of col.values) if (!Number.isNaN(v)) distinct.add(v);
  if (distinct.size === 1) {
    const [value] = distinct;
    errors.push({
      code: "constant_target",
      column: name,
      message: `${o.file}: target "${name}" has the same value ${value} in every row; there is nothing to learn — check that target names the right column.`,
    });
  }
}

/** Rows whose target is missing: the count and the first (1-based), or null when none. */
function missingTargets(frame: Frame, target: string): { count: number; first: number } | null {
  const col = getColumn(frame, target);
  if (!col) return null;
  const first = firstRow(frame.rowCount, (r) => isMissing(col, r));
  if (first === undefined) return null;
  let count = 0;
  for (let r = 0; r < frame.rowCount; r++) if (isMissing(col, r)) count++;
  return { count, first };
}

function checkTarget(
  frame: Frame,
  o: ValidateOptions,
  errors: Errors,
  warnings: Warnings,
): Record<string, number> | undefined {
  const col = getColumn(frame, o.target);
  if (!col) return undefined;
  const n = frame.rowCount;
  const missing = missingTargets(frame, o.target);
  if (missing) {
    const rows = `${missing.count} row${missing.count === 1 ? "" : "s"} (first: row ${missing.first})`;
    if (o.dropMissingTarget) {
      warnings.push({
        code: "missing_target_dropped",
        column: o.target,
        row: missing.first,
        message: `${o.file}: target "${o.target}" is missing in ${rows}; preprocessing.dropMissingTarget drops them before the split.`,
      });
    } else {
      errors.push({
        code: "missing_target",
        column: o.target,
        row: missing.first,
        message: `${o.file}: target "${o.target}" is missing in ${rows}; fill in the target, remove those rows, or set preprocessing.dropMissingTarget: true to drop them.`,
      });
    }
  }
  if (o.task === "classification") return checkClassificationTarget(col, n, o, errors);
  checkRegressionTarget(col, n, o, errors);
  return undefined;
}

function checkMismatches(o: ValidateOptions, errors: Errors): void {
  for (const m of o.mismatches ?? []) {
    if (roleOf(m.column, o) === "dropped") continue;
    const examples = m.examples.map((e) => `row ${e.row}: "${e.value}"`).join(", ");
    errors.push({
      code: "type_mismatch",
      column: m.column,
      row: m.examples[0]?.row,
      message: `${o.file}: column "${m.column}" has ${m.count} value${m.count === 1 ? "" : "s"} that ${m.count === 1 ? "is" : "are"} not a finite number (${examples}); ${mismatchFix(m)}`,
    });
  }
}

function mismatchFix(m: ColumnMismatches): string {
  if (m.examples.length > 0 && m.examples.every((e) => DECIMAL_COMMA.test(e.value))) {
    return 'they look like decimal commas: set source.decimal: "," to read "3,5" as 3.5, or fix them.';
  }
  const tokens = [...new Set(m.examples.map((e) => e.value))].map(yamlText).join(", ");
  return `fix them, list them in source.missing (e.g. source.missing: [${tokens}]) if they mean "no value", or list the column in features.categorical.`;
}

/** A text as a YAML flow-sequence item: quoted unless plainly safe. */
function yamlText(text: string): string {
  return /^[A-Za-z0-9/._-]+$/.test(text) && !/^(true|false|null|yes|no|on|off|~)$/i.test(text)
    ? text
    : JSON.stringify(text);
}

/**
 * A feature column inferred categorical that holds numbers: a few placeholder texts, or decimal
 * commas, silently turned a numeric column into categories. Warned, naming the fix.
 */
function checkTextInNumbers(frame: Frame, o: ValidateOptions, warnings: Warnings): void {
  for (const t of o.textInNumbers ?? []) {
    if (roleOf(t.column, o) !== "feature" || t.column === o.timeColumn) continue;
    const col = getColumn(frame, t.column);
    const levels = col?.kind === "categorical" ? col.levels.length : t.distinctTexts;
    const examples = t.examples.map((e) => `"${e.value}" (row ${e.row})`).join(", ");
    const cells = (n: number) => `${n} cell${n === 1 ? "" : "s"}`;
    if (t.decimalCommas > 0 && t.decimalCommas === t.texts) {
      warnings.push({
        code: "decimal_comma",
        column: t.column,
        row: t.examples[0]?.row,
        message: `${o.file}: column "${t.column}" has ${cells(t.texts)} with a decimal comma (${examples}), so it was read as categorical with ${levels} levels; set source.decimal: "," to read "3,5" as 3.5.`,
      });
      continue;
    }
    // "Numeric except a few texts": most cells are numbers and the texts are few distinct values.
    if (t.numbers < t.texts || t.distinctTexts > MAX_PLACEHOLDER_TEXTS) continue;
    const tokens = t.examples.map((e) => yamlText(e.value)).join(", ");
    warnings.push({
      code: "numbers_with_text",
      column: t.column,
      row: t.examples[0]?.row,
      message: `${o.file}: column "${t.column}" is numeric except ${cells(t.texts)} of text (${examples}), so it was read as categorical with ${levels} levels; if those mean "no value", add source.missing: [${tokens}], or pin the column in features.numeric (then fix those cells).`,
    });
  }
}

/** More distinct texts than this among numbers look like real categories, not placeholders. */
const MAX_PLACEHOLDER_TEXTS = 5;

function checkIds(frame: Frame, o: ValidateOptions, warnings: Warnings): void {
  const col = o.id == null ? undefined : getColumn(frame, o.id);
  if (!col) return;
  const seen = new Map<string, number>();
  let repeats = 0;
  let first = "";
  for (let r = 0; r < frame.rowCount; r++) {
    if (isMissing(col, r)) continue;
    const key = col.kind === "numeric" ? String(col.values[r]) : col.levels[col.codes[r]];
    const earlier = seen.get(key);
    if (earlier === undefined) seen.set(key, r + 1);
    else if (repeats++ === 0) first = `"${key}" in rows ${earlier} and ${r + 1}`;
  }
  if (repeats > 0) {
    warnings.push({
      code: "duplicate_ids",
      column: col.name,
      message: `${o.file}: id column "${col.name}" repeats ${repeats} value${repeats === 1 ? "" : "s"} (first: ${first}); the online store keeps the last row per id.`,
    });
  }
}

function columnWarnings(
  profiles: ColumnProfile[],
  o: ValidateOptions,
  warnings: Warnings,
): string[] {
  const constant: string[] = [];
  for (const p of profiles) {
    if (p.role === "target") continue;
    if (p.distinct <= 1) {
      constant.push(p.name);
      warnings.push({
        code: "constant_column",
        column: p.name,
        message: `${o.file}: column "${p.name}" has ${p.distinct === 0 ? "no values" : "a single value in every row"}; it cannot help the model — consider features.drop.`,
      });
    }
    if (p.missingShare > HIGH_MISSING_SHARE) {
      warnings.push({
        code: "high_missing_share",
        column: p.name,
        message: `${o.file}: column "${p.name}" is ${Math.round(p.missingShare * 100)}% missing (${p.missing} of ${Math.round(p.missing / p.missingShare)} rows); imputation will dominate it.`,
      });
    }
  }
  return constant;
}

/** Profiles `frame` against the spec's roles and reports every problem found. Never throws. */
export function validateData(frame: Frame, options: ValidateOptions): ValidationReport {
  const o = options;
  const errors: Errors = [];
  const warnings: Warnings = [];
  const names = frame.columns.map((c) => c.name);

  for (const { column, key } of requiredColumns(o)) {
    if (names.includes(column)) continue;
    errors.push({
      code: "missing_column",
      column,
      message: missingColumnMessage(o.file, column, key, names),
    });
  }
  if (o.timeColumn != null && !names.includes(o.timeColumn)) {
    errors.push({
      code: "missing_column",
      column: o.timeColumn,
      message: missingColumnMessage(o.file, o.timeColumn, "split.timeColumn", names),
    });
  }
  for (const column of o.features?.drop ?? []) {
    if (names.includes(column)) continue;
    warnings.push({
      code: "dropped_column_absent",
      column,
      message: `${o.file}: column "${column}" in features.drop is not in the data.${didYouMean(column, names)}`,
    });
  }
  const minRows = o.minRows ?? DEFAULT_MIN_ROWS;
  const dropped = o.dropMissingTarget ? (missingTargets(frame, o.target)?.count ?? 0) : 0;
  const usable = frame.rowCount - dropped;
  if (usable < minRows) {
    const after = dropped > 0 ? ` with a target (${dropped} without one are dropped)` : "";
    errors.push({
      code: "too_few_rows",
      message: `${o.file}: has ${usable} data row${usable === 1 ? "" : "s"}${after}; at least ${minRows} are needed to split, cross-validate and train — add rows.`,
    });
  }
  const counts = checkTarget(frame, o, errors, warnings);
  checkMismatches(o, errors);
  checkTextInNumbers(frame, o, warnings);

  const profiles = frame.columns.map((c) => profileColumn(c, roleOf(c.name, o), frame.rowCount));
  const constantColumns = columnWarnings(profiles, o, warnings);
  errors.push(...checkFeatures(frame, profiles, o));
  const dup = duplicateRows(frame);
  if (dup.first) {
    warnings.push({
      code: "duplicate_rows",
      row: dup.first.row,
      message: `${o.file}: ${dup.count} row${dup.count === 1 ? "" : "s"} repeat an earlier row exactly (first: row ${dup.first.row} repeats row ${dup.first.of}); preprocessing.dedupe drops them before splitting.`,
    });
  }
  checkIds(frame, o, warnings);

  return {
    file: o.file,
    rows: frame.rowCount,
    columns: profiles,
    duplicateRows: dup.count,
    typeMismatches: [...(o.mismatches ?? [])],
    constantColumns,
    ...(counts ? { classCounts: counts } : {}),
    warnings,
    errors,
  };
}

const ERROR_CLASS: Record<
  ValidationErrorCode,
  new (
    message: string,
    location: { file?: string; row?: number; column?: string },
  ) => OrchardError
> = {
  missing_column: MissingColumnError,
  too_few_rows: InsufficientDataError,
  missing_target: TargetError,
  single_class: TargetError,
  rare_class: TargetError,
  constant_target: TargetError,
  target_not_numeric: TargetError,
  type_mismatch: TypeMismatchError,
  no_features: InsufficientDataError,
  constant_features: InsufficientDataError,
  extreme_value: DataLimitError,
  extreme_target: TargetError,
  too_many_features: DataLimitError,
};

/** Throws the named error of the report's first error (listing the others); no-op when valid. */
export function assertValid(report: ValidationReport): void {
  const [first, ...rest] = report.errors;
  if (!first) return;
  const more =
    rest.length === 0 ? "" : `\nAlso:\n${rest.map((e) => `  - ${e.message}`).join("\n")}`;
  throw new ERROR_CLASS[first.code](first.message + more, {
    file: report.file,
    ...(first.row !== undefined ? { row: first.row } : {}),
    ...(first.column !== undefined ? { column: first.column } : {}),
  });
}
