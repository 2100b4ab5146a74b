/**
 * A first pipeline spec inferred from a data set (`orchard new pipeline`): the task from the
 * target's type, an id and a time column when they are obvious, and each feature's kind.
 * Pure: the caller reads the table. The result is a plain object ready to be written as YAML
 * and is checked by `parseSpec` before anything is written.
 *
 * The rules, chosen to be predictable rather than clever:
 * - task: a categorical target, or a numeric one holding at most 10 distinct integers, is
 *   classification; any other numeric target is regression;
 * - id: a column named `id` or ending in `_id`/`Id` whose values are all present and unique;
 * - time: a column named like `date`, `time`, `timestamp`, `*_at`, `*_date` whose present
 *   values all parse as dates; it orders a time split (and is then not a feature);
 * - features: numeric and categorical as read; a categorical column whose every value is
 *   different (free text, names) is dropped, since it cannot generalize.
 */
import type { Frame } from "../data/frame.ts";
import { defaultMetric, type Task } from "./metric-names.ts";

export const MAX_CLASSES_FOR_NUMERIC_TARGET = 10;

export interface InferSpecOptions {
  name: string;
  target: string;
  /** The source URI as the spec should name it (relative to the spec file). */
  sourceUri: string;
  seed?: number;
}

export interface InferredSpec {
  /** The spec as YAML-ready data. */
  spec: Record<string, unknown>;
  task: Task;
  id: string | null;
  timeColumn: string | null;
  numeric: string[];
  categorical: string[];
  dropped: string[];
}

const ID_NAME = /^(id|.+_id|.+Id|.+ID)$/;
const TIME_NAME = /^(date|time|timestamp|datetime|.+_at|.+_date|.+_time|.+Date)$/i;

function presentCount(frame: Frame, name: string): { present: number; distinct: number } {
  const col = frame.columns.find((c) => c.name === name)!;
  const seen = new Set<number | string>();
  let present = 0;
  if (col.kind === "numeric") {
    for (const v of col.values) {
      if (Number.isNaN(v)) continue;
      present++;
      seen.add(v);
    }
  } else {
    for (const c of col.codes) {
      if (c < 0) continue;
      present++;
      seen.add(c);
    }
  }
  return { present, distinct: seen.size };
}

function taskOf(frame: Frame, target: string): Task {
  const col = frame.columns.find((c) => c.name === target)!;
  if (col.kind === "categorical") return "classification";
  const values = new Set<number>();
  for (const v of col.values) {
    if (Number.isNaN(v)) continue;
    if (!Number.isInteger(v)) return "regression";
    values.add(v);
    if (values.size > MAX_CLASSES_FOR_NUMERIC_TARGET) return "regression";
  }
  return "classification";
}

function isIdColumn(frame: Frame, name: string): boolean {
  if (!ID_NAME.test(name)) return false;
  const { present, distinct } = presentCount(frame, name);
  return present === frame.rowCount && distinct === present;
}

function isTimeColumn(frame: Frame, name: string): boolean {
  if (!TIME_NAME.test(name)) return false;
  const col = frame.columns.find((c) => c.name === name)!;
  if (col.kind !== "categorical" || col.levels.length === 0) return false;
  return col.levels.every((level) => !Number.isNaN(Date.parse(level)));
}

export function inferSpec(frame: Frame, options: InferSpecOptions): InferredSpec {
  const { target } = options;
  const task = taskOf(frame, target);
  const others = frame.columns.filter((c) => c.name !== target);
  const id = others.find((c) => isIdColumn(frame, c.name))?.name ?? null;
  const timeColumn = others.find((c) => c.name !== id && isTimeColumn(frame, c.name))?.name ?? null;
  const numeric: string[] = [];
  const categorical: string[] = [];
  const dropped: string[] = [];
  for (const col of others) {
    if (col.name === id || col.name === timeColumn) continue;
    if (col.kind === "numeric") numeric.push(col.name);
    else if (frame.rowCount > 20 && presentCount(frame, col.name).distinct === frame.rowCount) {
      dropped.push(col.name);
    } else categorical.push(col.name);
  }
  const metric = defaultMetric(task);
  const spec: Record<string, unknown> = {
    name: options.name,
    seed: options.seed ?? 42,
    source: { uri: options.sourceUri },
    target,
    task,
    ...(id ? { id } : {}),
    features: {
      ...(numeric.length ? { numeric } : {}),
      ...(categorical.length ? { categorical } : {}),
      ...(dropped.length ? { drop: dropped } : {}),
    },
    split: timeColumn
      ? { strategy: "time", timeColumn, testFraction: 0.2 }
      : { strategy: task === "classification" ? "stratified" : "random", testFraction: 0.2 },
    model: { trees: 100, maxFeatures: task === "classification" ? "sqrt" : "all" },
    search: {
      strategy: "grid",
      folds: 3,
      metric,
      grid: { maxDepth: [6, null], minSamplesLeaf: [1, 5] },
    },
    gate: { margin: 0 },
  };
  return { spec, task, id, timeColumn, numeric, categorical, dropped };
}
