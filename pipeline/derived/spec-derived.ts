/**
 * A pipeline's derived features (`features.derived`) against its data: checked against the
 * table's columns when the raw table is read (unknown columns with did-you-mean, kinds), then
 * computed into it, so Validate, Drift, Preprocess and Report all see them as columns; and the
 * `DerivedSchema` a model bundle records so that every door computes them again from raw rows.
 */

import { type Column, cellValue, type Frame } from "../data/frame.ts";
import { MissingColumnError, TypeMismatchError } from "../errors.ts";
import type { PipelineSpec } from "../spec/types.ts";
import {
  checkDerived,
  columnFromValues,
  compileDerived,
  type DerivedFeature,
  type DerivedSchema,
  deriveColumns,
  type ValueKind,
} from "./derived.ts";
import {
  applyTransform,
  type LoadedTransform,
  type TransformSchema,
  type TransformValue,
  transformOfPipeline,
} from "./transform.ts";

/** The spec's derived features, in the order written. */
export function derivedFeaturesOf(spec: Pick<PipelineSpec, "features">): DerivedFeature[] {
  return Object.entries(spec.features.derived ?? {}).map(([name, expression]) => ({
    name,
    expression,
  }));
}

/** Results per table and per what was computed into it (the features, or the whole recipe). */
const computed = new WeakMap<Frame, Map<string, Frame>>();

function cached<F extends Frame>(table: F, key: string, make: () => F): F {
  let byKey = computed.get(table);
  if (!byKey) {
    byKey = new Map();
    computed.set(table, byKey);
  }
  const known = byKey.get(key);
  if (known) return known as F;
  const made = make();
  byKey.set(key, made);
  return made;
}

/**
 * The table with the spec's derived columns appended (the same object when there are none).
 * Throws MissingColumnError (a column the expressions read is not in `file`) or
 * TypeMismatchError (e.g. log of a category), naming `features.derived.<name>`.
 */
export function withDerivedColumns<F extends Frame>(
  table: F,
  spec: Pick<PipelineSpec, "features">,
  file: string,
): F {
  const features = derivedFeaturesOf(spec);
  if (features.length === 0) return table;
  return cached(table, JSON.stringify(["derived", features]), () =>
    deriveColumns(table, compileDerived(features), checkedKinds(features, table, file)),
  );
}

function checkedKinds(
  features: DerivedFeature[],
  table: Frame,
  file: string,
): Record<string, ValueKind> {
  const columns = table.columns.map((c) => c.name);
  const kindOf = (name: string) => table.columns.find((c) => c.name === name)?.kind;
  const { issues, kinds } = checkDerived(features, kindOf, columns);
  const [first] = issues;
  if (first) {
    const path = `features.derived.${first.name}`;
    const more = issues.length > 1 ? ` (and ${issues.length - 1} more problems)` : "";
    const message = `${file}: ${path}: ${first.message}${more}; fix the expression in the spec or the data.`;
    const missing = first.message.startsWith("column ");
    const column = missing ? /"([^"]*)"/.exec(first.message)?.[1] : first.name;
    throw missing
      ? new MissingColumnError(message, { file, path, column })
      : new TypeMismatchError(message, { file, path, column });
  }
  // Every expression checked without problems has a known kind.
  return kinds as Record<string, ValueKind>;
}

/**
 * What a bundle records to compute the derived features from raw rows: the expressions and
 * the kinds of the raw columns they read, as the training table had them. Undefined without
 * derived features, so bundles of other pipelines keep their bytes.
 */
export function derivedSchemaOf(
  spec: Pick<PipelineSpec, "features">,
  table: Frame,
): DerivedSchema | undefined {
  const features = derivedFeaturesOf(spec);
  if (features.length === 0) return undefined;
  const inputs: Record<string, ValueKind> = {};
  for (const name of compileDerived(features).inputs) {
    const column = table.columns.find((c) => c.name === name);
    if (column) inputs[name] = column.kind;
  }
  return { features, inputs };
}

/**
 * The table after the pipeline's row transform (`features.transform`): each row (every column
 * but the target) passed through `applyTransform`, the one call of the user's code; the columns
 * it adds are appended. Returns what the model records to run it again at every door. A column
 * that is null in every row is numeric.
 */
export function withTransformedColumns<F extends Frame>(
  table: F,
  loaded: LoadedTransform,
  target: string,
  file: string,
): { table: F; schema: TransformSchema } {
  const sources = table.columns.filter((c) => c.name !== target);
  const inputs: Record<string, ValueKind> = {};
  const kinds = new Map<string, ValueKind>();
  for (const c of sources) {
    inputs[c.name] = c.kind;
    kinds.set(c.name, c.kind);
  }
  const n = table.rowCount;
  const values = new Map<string, TransformValue[]>();
  for (let r = 0; r < n; r++) {
    const row: Record<string, TransformValue> = {};
    for (const c of sources) row[c.name] = cellValue(c, r);
    const out = applyTransform(loaded, row, r + 1, kinds, file);
    for (const [name, v] of Object.entries(out)) {
      // Inputs come back unchanged (applyTransform refuses a change): only new columns matter.
      if (name in inputs) continue;
      let column = values.get(name);
      if (!column) {
        column = new Array<TransformValue>(n).fill(null);
        values.set(name, column);
      }
      column[r] = v;
    }
  }
  const outputs: Record<string, ValueKind> = {};
  const added: Column[] = [];
  for (const [name, column] of values) {
    const kind = kinds.get(name) ?? "numeric";
    outputs[name] = kind;
    added.push(columnFromValues(name, column, kind === "categorical"));
  }
  const columns = [...table.columns, ...added];
  return {
    table: { ...table, columns },
    schema: { module: loaded.module, sha256: loaded.sha256, inputs, outputs },
  };
}

/** What a model records to compute its own columns again from raw rows. */
export interface ModelColumnsSchema {
  derived?: DerivedSchema;
  transform?: TransformSchema;
}

const modelColumns = new WeakMap<Frame, ModelColumnsSchema>();

/**
 * The raw table as training sees it: the row transform applied (`features.transform`, looked
 * up by the pipeline's name), then the derived columns computed. Cached per table, so the steps
 * of one process transform it once. `modelColumnsOf(result)` gives what the bundle records.
 */
export function prepareTable<F extends Frame>(
  table: F,
  spec: Pick<PipelineSpec, "name" | "target" | "features">,
  file: string,
): F {
  if (spec.features.transform === null && derivedFeaturesOf(spec).length === 0) return table;
  const loaded =
    spec.features.transform === null
      ? null
      : transformOfPipeline(spec.name, spec.features.transform);
  const recipe = [loaded?.sha256 ?? null, spec.target, derivedFeaturesOf(spec)];
  return cached(table, JSON.stringify(["prepared", recipe]), () => {
    const model: ModelColumnsSchema = {};
    let out = table;
    if (loaded) {
      const transformed = withTransformedColumns(out, loaded, spec.target, file);
      out = transformed.table;
      model.transform = transformed.schema;
    }
    out = withDerivedColumns(out, spec, file);
    const derived = derivedSchemaOf(spec, out);
    if (derived) {
      // Inputs the transform writes are computed at the door, not read from the request.
      for (const name of Object.keys(model.transform?.outputs ?? {})) delete derived.inputs[name];
      model.derived = derived;
    }
    modelColumns.set(out, model);
    return out;
  });
}

/** What the model trained on a `prepareTable` result records; `{}` for another table. */
export function modelColumnsOf(table: Frame): ModelColumnsSchema {
  return modelColumns.get(table) ?? {};
}
