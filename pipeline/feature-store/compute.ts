/**
 * A view's feature records from its source table: one record per source row, with the row's
 * entity key, event time and feature values. A column feature is the row's own value; a
 * window feature aggregates the entity's values with event time in (t − window, t], t the
 * row's event time (rows at the same time as the row count, later ones never do). Missing
 * values are skipped: `count` counts the values present, the others are null over none. A
 * derived feature is its expression over the source row's columns and the row's other features,
 * evaluated by the pipeline spec's one evaluator (pipeline/derived/).
 *
 * Training (through the offline store), materialization and serving all take their values
 * from these records, so a feature is computed by one piece of code.
 */

import { buildFrame, type RawTable } from "../data/build-frame.ts";
import { type Column, cellValue } from "../data/frame.ts";
import { cellReadingOf } from "../data/infer-schema.ts";
import { checkDerived, compileDerived, type ValueKind } from "../derived/derived.ts";
import { MissingColumnError, MissingValueError, TypeMismatchError } from "../errors.ts";
import { didYouMean } from "../spec/did-you-mean.ts";
import type { FeatureValue } from "../store.ts";
import { entityKey, keyReader, parseEventTime } from "./keys.ts";
import type { DerivedViewFeature, FeatureView, WindowFeature } from "./types.ts";

export interface FeatureRecord {
  entityKey: string;
  /** Join key column → its text. */
  entities: Record<string, string>;
  /** Epoch milliseconds. */
  eventTime: number;
  values: Record<string, FeatureValue>;
}

function columnIndex(table: RawTable, name: string, where: string, file: string): number {
  const i = table.names.indexOf(name);
  if (i < 0) {
    throw new MissingColumnError(
      `${file}: ${where} "${name}" is not a column of the source.${didYouMean(name, table.names)} Columns: ${table.names.join(", ")}.`,
      { file, column: name },
    );
  }
  return i;
}

/** Aggregates over a sliding window of sorted rows: O(n) per feature with monotonic deques. */
function windowValues(
  feature: WindowFeature,
  times: readonly number[],
  values: readonly (number | null)[],
): FeatureValue[] {
  const n = times.length;
  const out: FeatureValue[] = new Array(n);
  let count = 0;
  let sum = 0;
  const mins: number[] = [];
  const maxs: number[] = [];
  let left = 0;
  let right = 0; // rows [left, right) are in the window
  for (let i = 0; i < n; i++) {
    const t = times[i];
    while (right < n && times[right] <= t) {
      const v = values[right];
      if (v !== null) {
        count++;
        sum += v;
        while (mins.length > 0 && (values[mins[mins.length - 1]] as number) >= v) mins.pop();
        mins.push(right);
        while (maxs.length > 0 && (values[maxs[maxs.length - 1]] as number) <= v) maxs.pop();
        maxs.push(right);
      }
      right++;
    }
    while (times[left] <= t - feature.windowMs) {
      const v = values[left];
      if (v !== null) {
        count--;
        sum -= v;
        if (mins[0] === left) mins.shift();
        if (maxs[0] === left) maxs.shift();
      }
      left++;
    }
    switch (feature.aggregate) {
      case "count":
        out[i] = count;
        break;
      case "sum":
        out[i] = count === 0 ? null : sum;
        break;
      case "mean":
        out[i] = count === 0 ? null : sum / count;
        break;
      case "min":
        out[i] = count === 0 ? null : (values[mins[0]] as number);
        break;
      case "max":
        out[i] = count === 0 ? null : (values[maxs[0]] as number);
        break;
    }
  }
  return out;
}

/**
 * Every source row's record, ordered by entity key, then event time, then source order.
 * `file` names the source in messages. A row without a join key or a readable event time is
 * an error naming the row: a feature without its entity or time cannot be served or joined.
 */
export function computeFeatureRecords(
  view: FeatureView,
  table: RawTable,
  file: string,
): FeatureRecord[] {
  const reading = cellReadingOf(view);
  const readKey = keyReader(reading);
  const keyColumns = view.entities.map((k) => columnIndex(table, k, "join key", file));
  const timeColumn = columnIndex(table, view.timestamp, "timestamp column", file);
  for (const f of view.features) {
    if (f.kind !== "derived")
      columnIndex(table, f.column, `feature "${f.name}" reads column`, file);
  }

  const n = table.rowCount;
  const keys: string[] = new Array(n);
  const parts: string[][] = new Array(n);
  const times = new Float64Array(n);
  for (let r = 0; r < n; r++) {
    const p = keyColumns.map((c, j) => {
      const part = readKey(table.columns[c][r]);
      if (part === undefined) {
        throw new MissingValueError(
          `${file}, row ${r + 1}: the join key "${view.entities[j]}" is missing; every row of feature view "${view.name}" needs its entity.`,
          { file, row: r + 1, column: view.entities[j] },
        );
      }
      return part;
    });
    parts[r] = p;
    keys[r] = entityKey(p);
    const raw = table.columns[timeColumn][r];
    const t = parseEventTime(raw);
    if (t === undefined) {
      throw new TypeMismatchError(
        `${file}, row ${r + 1}: the event time "${String(raw)}" in "${view.timestamp}" is not an ISO-8601 date or time; write e.g. 2024-05-01 or 2024-05-01T12:00:00Z.`,
        { file, row: r + 1, column: view.timestamp },
      );
    }
    times[r] = t;
  }

  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) =>
    keys[a] < keys[b] ? -1 : keys[a] > keys[b] ? 1 : times[a] - times[b] || a - b,
  );

  const frame = buildFrame(table, undefined, reading).frame;
  const byName = new Map<string, Column>(frame.columns.map((c) => [c.name, c]));
  const records: FeatureRecord[] = order.map((r) => ({
    entityKey: keys[r],
    entities: Object.fromEntries(view.entities.map((k, j) => [k, parts[r][j]])),
    eventTime: times[r],
    values: {},
  }));
  for (const f of view.features) {
    if (f.kind === "derived") continue;
    const col = byName.get(f.column) as Column;
    if (f.kind === "column") {
      order.forEach((r, i) => {
        records[i].values[f.name] = cellValue(col, r);
      });
      continue;
    }
    if (col.kind !== "numeric" && f.aggregate !== "count") {
      throw new TypeMismatchError(
        `${file}: feature "${f.name}" of view "${view.name}" takes the ${f.aggregate} of "${f.column}", which holds text; aggregate a numeric column or use count.`,
        { file, column: f.column },
      );
    }
    // One entity at a time: the window never reaches into another entity's rows.
    for (let start = 0; start < n; ) {
      let end = start + 1;
      while (end < n && records[end].entityKey === records[start].entityKey) end++;
      const idx = order.slice(start, end);
      const values = idx.map((r) => {
        const v = cellValue(col, r);
        if (v === null) return null;
        return typeof v === "number" ? v : 1;
      });
      const out = windowValues(
        f,
        idx.map((r) => times[r]),
        values,
      );
      for (let i = start; i < end; i++) records[i].values[f.name] = out[i - start];
      start = end;
    }
  }
  addDerived(view, frame.columns, order, records, file);
  return records;
}

/**
 * The derived features of every record, from its source row's cells and its other features.
 * Checked against the source's columns first: an unknown column (with did-you-mean) or a type
 * error (log of a category) names the feature's expression.
 */
function addDerived(
  view: FeatureView,
  columns: Column[],
  order: number[],
  records: FeatureRecord[],
  file: string,
): void {
  const derived = view.features.filter((f): f is DerivedViewFeature => f.kind === "derived");
  if (derived.length === 0) return;
  const kinds = new Map<string, ValueKind>(columns.map((c) => [c.name, c.kind]));
  for (const f of view.features) {
    if (f.kind === "window") kinds.set(f.name, "numeric");
    else if (f.kind === "column") kinds.set(f.name, kinds.get(f.column) as ValueKind);
  }
  const features = derived.map((f) => ({ name: f.name, expression: f.expression }));
  const derivedNames = new Set(features.map((f) => f.name));
  const { issues } = checkDerived(
    features,
    (name) => (derivedNames.has(name) ? undefined : kinds.get(name)),
    [...kinds.keys()],
  );
  const [first] = issues;
  if (first) {
    const i = view.features.findIndex((f) => f.name === first.name);
    const path = `features[${i}].expression`;
    const message = `${file}: feature "${first.name}" of view "${view.name}" (${path}): ${first.message}; fix the expression in the view or the source.`;
    throw first.message.startsWith("column ")
      ? new MissingColumnError(message, { file, path, column: first.name })
      : new TypeMismatchError(message, { file, path, column: first.name });
  }
  const compiled = compileDerived(features);
  const inputs = compiled.inputs
    .map((name) => columns.find((c) => c.name === name))
    .filter((c) => c !== undefined);
  order.forEach((r, i) => {
    const row: Record<string, FeatureValue> = Object.create(null);
    for (const c of inputs) row[c.name] = cellValue(c, r);
    // The view's own features win over a source column of the same name, as they are served.
    Object.assign(row, records[i].values);
    compiled.apply(row);
    for (const f of features) records[i].values[f.name] = row[f.name];
  });
}
