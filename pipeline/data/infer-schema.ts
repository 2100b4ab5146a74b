/**
 * Column roles from the spec and the data: which columns are the target, the id, numeric
 * features, categorical features or dropped. The rule (see pipeline/spec/README.md): every
 * column that is not the target, the id or in `features.drop` is a feature; pinned columns
 * (`features.numeric` / `features.categorical`) keep their declared kind, all others the kind
 * inferred when the table was read.
 */

import { MissingColumnError, TypeMismatchError } from "../errors.ts";
import { didYouMean } from "../spec/did-you-mean.ts";
import type { FeaturesSpec, Task } from "../spec/types.ts";
import type { ColumnKind } from "./build-frame.ts";
import type { CellReading } from "./cells.ts";
import type { Frame } from "./frame.ts";
import { likelyDelimiter } from "./read-csv.ts";

/** The parts of a spec that decide column roles. */
export interface RoleOptions {
  target: string;
  id?: string | null;
  features?: Partial<FeaturesSpec>;
}

export type ColumnRole = "target" | "id" | "feature" | "dropped";

export interface FeatureSchema {
  target: string;
  id: string | null;
  /** Numeric feature columns, in frame order. */
  numeric: string[];
  /** Categorical feature columns, in frame order. */
  categorical: string[];
  /** Columns in `features.drop` that exist in the frame, in frame order. */
  dropped: string[];
}

export function roleOf(column: string, options: RoleOptions): ColumnRole {
  if (column === options.target) return "target";
  if (options.id != null && column === options.id) return "id";
  if (options.features?.drop?.includes(column)) return "dropped";
  return "feature";
}

/** Columns that must exist, with the spec key that names them (`target`, `features.numeric`). */
export function requiredColumns(options: RoleOptions): { column: string; key: string }[] {
  const out = [{ column: options.target, key: "target" }];
  if (options.id != null) out.push({ column: options.id, key: "id" });
  for (const list of ["numeric", "categorical"] as const) {
    for (const column of options.features?.[list] ?? []) {
      out.push({ column, key: `features.${list}` });
    }
  }
  return out;
}

/** "column "x" (target) is not in data.csv. Did you mean …? Columns: …" plus a delimiter hint. */
export function missingColumnMessage(
  file: string,
  column: string,
  key: string,
  available: string[],
): string {
  let hint = didYouMean(column, available);
  const [only] = available;
  if (available.length === 1 && /[,;\t|]/.test(only)) {
    const likely = likelyDelimiter(only, "");
    const set = likely ? `set source.delimiter: ${JSON.stringify(likely)}` : "set source.delimiter";
    hint += ` The file has a single column "${only}": its header looks separated by another delimiter; ${set} in the spec.`;
  }
  return `${file}: column "${column}" (${key}) is not in the data.${hint} Columns: ${available.join(", ")}. Fix ${key} in the spec, or add the column to the data.`;
}

/**
 * Kinds to pass to `readTable` as `columnTypes`: pinned features, the id as categorical, and a
 * classification target as categorical (so `0`/`1` labels are classes, not numbers). A
 * regression target is left to inference so that text in it is reported as a target error.
 */
export function columnTypesForSpec(spec: RoleOptions & { task: Task }): Record<string, ColumnKind> {
  const types: Record<string, ColumnKind> = {};
  for (const c of spec.features?.numeric ?? []) types[c] = "numeric";
  for (const c of spec.features?.categorical ?? []) types[c] = "categorical";
  if (spec.id != null) types[spec.id] = "categorical";
  if (spec.task === "classification") types[spec.target] = "categorical";
  return types;
}

/** How the spec reads cells (`source.missing`, `source.decimal`), for `readTable` and the bundle. */
export function cellReadingOf(spec: {
  source: { missing?: readonly string[]; decimal?: "." | "," };
}): CellReading {
  return {
    ...(spec.source.missing?.length ? { missing: [...spec.source.missing] } : {}),
    ...(spec.source.decimal === "," ? { decimal: "," as const } : {}),
  };
}

/**
 * Resolves feature roles over a frame. Throws MissingColumnError for an absent target, id or
 * pinned feature, and TypeMismatchError when a pinned column was read with another kind
 * (read the table with `columnTypesForSpec(spec)`).
 */
export function inferSchema(frame: Frame, options: RoleOptions & { file?: string }): FeatureSchema {
  const file = options.file ?? "the data";
  const names = frame.columns.map((c) => c.name);
  for (const { column, key } of requiredColumns(options)) {
    if (!names.includes(column)) {
      throw new MissingColumnError(missingColumnMessage(file, column, key, names), {
        file,
        column,
      });
    }
  }
  const schema: FeatureSchema = {
    target: options.target,
    id: options.id ?? null,
    numeric: [],
    categorical: [],
    dropped: [],
  };
  for (const col of frame.columns) {
    const role = roleOf(col.name, options);
    if (role === "dropped") schema.dropped.push(col.name);
    if (role !== "feature") continue;
    const pinned: ColumnKind | undefined = options.features?.numeric?.includes(col.name)
      ? "numeric"
      : options.features?.categorical?.includes(col.name)
        ? "categorical"
        : undefined;
    if (pinned !== undefined && pinned !== col.kind) {
      throw new TypeMismatchError(
        `${file}: column "${col.name}" is declared ${pinned} (features.${pinned}) but was read as ${col.kind}; read the table with columnTypes from columnTypesForSpec(spec).`,
        { file, column: col.name },
      );
    }
    schema[col.kind].push(col.name);
  }
  return schema;
}
