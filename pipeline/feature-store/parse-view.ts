/**
 * YAML text → a FeatureView, or one SpecError listing every problem with its file, line and
 * YAML path, with "did you mean" for unknown keys: the same reporting as pipeline specs
 * (`pipeline/spec/spec-issues.ts`). Pure: nothing on disk is read.
 */

import { LineCounter, parseDocument } from "yaml";
import { checkDerived } from "../derived/derived.ts";
import { SpecError } from "../errors.ts";
import { formatFromUri, sourceUriProblem } from "../spec/source-uri.ts";
import { issuesFromZod, type SpecIssue, specErrorFrom } from "../spec/spec-issues.ts";
import { durationMs } from "./duration.ts";
import type { FeatureView, ViewFeature } from "./types.ts";
import { type RawView, rawViewSchema } from "./view-schema.ts";

const WHAT = "feature view";
const REQUIRED = "name, owner, entities, timestamp, source.uri, ttl and features";

function checkView(raw: RawView, file: string): SpecIssue[] {
  const issues: SpecIssue[] = [];
  if (raw.source.format === undefined && formatFromUri(raw.source.uri) === undefined) {
    issues.push({
      path: ["source", "uri"],
      message:
        "has no known extension (.csv, .tsv, .parquet, .jsonl, .ndjson); set source.format to csv, parquet or jsonl.",
    });
  }
  const problem = sourceUriProblem(raw.source.uri, file);
  if (problem)
    issues.push({ path: ["source", "uri"], message: problem.replace(/^source\.uri /, "") });
  const keys = new Set<string>();
  raw.entities.forEach((key, i) => {
    if (keys.has(key)) {
      issues.push({ path: ["entities", i], message: `"${key}" is listed twice; list it once.` });
    }
    keys.add(key);
  });
  if (keys.has(raw.timestamp)) {
    issues.push({
      path: ["timestamp"],
      message: `"${raw.timestamp}" is also a join key (entities); the event time needs its own column.`,
    });
  }
  const names = new Map<string, number>();
  raw.features.forEach((f, i) => {
    const earlier = names.get(f.name);
    if (earlier !== undefined) {
      issues.push({
        path: ["features", i, "name"],
        message: `"${f.name}" is already the name of features[${earlier}]; give each feature its own name.`,
      });
    } else names.set(f.name, i);
    if (keys.has(f.name)) {
      issues.push({
        path: ["features", i, "name"],
        message: `"${f.name}" is a join key; entity keys come with every row, do not list them as features.`,
      });
    }
    if (f.aggregate !== undefined && f.window === undefined) {
      issues.push({
        path: ["features", i, "aggregate"],
        message: `${f.aggregate} needs a window, e.g. window: 7d.`,
      });
    }
    if (f.window !== undefined && f.aggregate === undefined) {
      issues.push({
        path: ["features", i, "window"],
        message: `is only used with an aggregate (${["count", "sum", "mean", "min", "max"].join(", ")}); add one or remove the window.`,
      });
    }
    if (f.expression !== undefined) {
      for (const key of ["column", "aggregate", "window"] as const) {
        if (f[key] !== undefined) {
          issues.push({
            path: ["features", i, key],
            message:
              "is not used with an expression (the expression names its columns); remove it.",
          });
        }
      }
      return;
    }
    const column = f.column ?? f.name;
    if (column === raw.timestamp) {
      issues.push({
        path: ["features", i, f.column === undefined ? "name" : "column"],
        message: `"${column}" is the event-time column; it orders the rows and is not a feature.`,
      });
    }
  });
  issues.push(...checkExpressions(raw));
  return issues;
}

/**
 * What can be judged of the expressions without the source: they parse, call known functions
 * rightly, read only features listed above them, and do arithmetic on window aggregates
 * (numbers). Source columns and their kinds are checked when the source is read (compute.ts).
 */
function checkExpressions(raw: RawView): SpecIssue[] {
  const features = raw.features.map((f, i) => ({ ...f, i }));
  const derived = features.filter((f) => f.expression !== undefined);
  if (derived.length === 0) return [];
  const issues: SpecIssue[] = [];
  const kinds = new Map<string, "numeric" | "unknown">();
  for (const f of features) {
    if (f.expression !== undefined) continue;
    kinds.set(f.name, f.aggregate ? "numeric" : "unknown");
  }
  const derivedNames = new Set(derived.map((f) => f.name));
  const { issues: found } = checkDerived(
    derived.map((f) => ({ name: f.name, expression: f.expression as string })),
    (name) => (derivedNames.has(name) ? undefined : (kinds.get(name) ?? "unknown")),
    [],
  );
  for (const issue of found) {
    const i = derived.find((f) => f.name === issue.name)?.i ?? 0;
    issues.push({ path: ["features", i, "expression"], message: `${issue.message}.` });
  }
  return issues;
}

function featureOf(f: RawView["features"][number]): ViewFeature {
  if (f.expression !== undefined)
    return { kind: "derived", name: f.name, expression: f.expression };
  const column = f.column ?? f.name;
  if (f.aggregate !== undefined && f.window !== undefined) {
    return {
      kind: "window",
      name: f.name,
      column,
      aggregate: f.aggregate,
      window: f.window,
      windowMs: durationMs(f.window) as number,
    };
  }
  return { kind: "column", name: f.name, column };
}

function viewOf(raw: RawView): FeatureView {
  const fromExt = formatFromUri(raw.source.uri);
  return {
    name: raw.name,
    description: raw.description ?? "",
    owner: raw.owner,
    tags: { ...(raw.tags ?? {}) },
    entities: [...raw.entities],
    timestamp: raw.timestamp,
    source: {
      uri: raw.source.uri,
      format: raw.source.format ?? fromExt?.format ?? "csv",
      delimiter: raw.source.delimiter ?? fromExt?.delimiter ?? ",",
      missing: [...(raw.source.missing ?? [])],
      decimal: raw.source.decimal ?? ".",
      expectedRows: raw.source.expectedRows ?? null,
    },
    ttl: raw.ttl,
    ttlMs: durationMs(raw.ttl) as number,
    features: raw.features.map(featureOf),
  };
}

/** Parses and validates a feature view; `file` is shown in every message. */
export function parseView(yamlText: string, options: { file: string }): FeatureView {
  const { file } = options;
  const lineCounter = new LineCounter();
  const doc = parseDocument(yamlText, { lineCounter, prettyErrors: true, uniqueKeys: true });
  const syntax = doc.errors[0];
  if (syntax) {
    const line = syntax.linePos?.[0].line;
    const where = line === undefined ? file : `${file}:${line}`;
    const why = syntax.message.split("\n")[0].replace(/:\s*$/, "");
    throw new SpecError(
      `${where}: the feature view is not valid YAML: ${why}; fix the YAML there (indentation, quoting, a repeated key).`,
      { file },
      { cause: syntax },
    );
  }
  const raw: unknown = doc.toJS({ maxAliasCount: 100 });
  if (raw === null || raw === undefined || typeof raw !== "object" || Array.isArray(raw)) {
    throw new SpecError(
      `${file}: the feature view must be a YAML mapping with at least ${REQUIRED}.`,
      { file },
    );
  }
  const parsed = rawViewSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = issuesFromZod(parsed.error.issues, raw, rawViewSchema);
    throw specErrorFrom(file, issues, doc, lineCounter, WHAT);
  }
  const issues = checkView(parsed.data, file);
  if (issues.length > 0) throw specErrorFrom(file, issues, doc, lineCounter, WHAT);
  return viewOf(parsed.data);
}
