/**
 * Turns schema and rule violations into messages a user can act on: the YAML path, the line,
 * what was found and what is allowed (the field's `.describe()` text in `schema.ts`), with
 * "did you mean" for unknown keys. All problems of a spec are reported together.
 */

import type { Document, LineCounter } from "yaml";
import { isMap, isScalar } from "yaml";
import type { z } from "zod";
import { SpecError } from "../errors.ts";
import { didYouMean } from "./did-you-mean.ts";

export type YamlPath = (string | number)[];

export interface SpecIssue {
  path: YamlPath;
  /** What is wrong and what to do; the path and line are added when formatting. */
  message: string;
  /** For unknown keys: the key itself, whose own line is reported. */
  key?: string;
}

/** `model.maxDepth`, `search.grid.trees[1]`. */
export function formatPath(path: YamlPath): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out === "" ? part : `.${part}`;
  }
  return out;
}

/** A short rendering of a found value: `"abc"`, `12`, `null`, `a list`, `a mapping`. */
export function renderValue(value: unknown): string {
  if (value === undefined) return "nothing";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object" && value !== null) return "a mapping";
  if (typeof value === "number" && !Number.isFinite(value)) return String(value);
  return JSON.stringify(value);
}

// Zod internals used read-only to find a field's description and its sibling keys.
interface SchemaDef {
  type: string;
  shape?: Record<string, z.ZodType>;
  innerType?: z.ZodType;
  element?: z.ZodType;
  options?: z.ZodType[];
}

function defOf(schema: z.ZodType): SchemaDef {
  return (schema as unknown as { def: SchemaDef }).def;
}

function unwrap(schema: z.ZodType): z.ZodType {
  let s = schema;
  for (let def = defOf(s); def.innerType; def = defOf(s)) s = def.innerType;
  return s;
}

/** The schemas met on the way to `path`, outermost first (each wrapper level included). */
function schemasAt(root: z.ZodType, path: YamlPath): z.ZodType[] | undefined {
  let s: z.ZodType | undefined = root;
  for (const part of path) {
    if (!s) return undefined;
    const inner = unwrap(s);
    const def = defOf(inner);
    if (def.type === "object" && typeof part === "string") s = def.shape?.[part];
    else if (def.type === "array" && typeof part === "number") s = def.element;
    else if (def.type === "union" && typeof part === "string") {
      s = def.options
        ?.map((o) => defOf(unwrap(o)))
        .find((d) => d.type === "object" && d.shape?.[part])?.shape?.[part];
    } else return undefined;
  }
  if (!s) return undefined;
  const chain = [s];
  for (let def = defOf(s); def.innerType; def = defOf(def.innerType)) chain.push(def.innerType);
  return chain;
}

/** The `.describe()` text of the field at `path`, if any. */
export function describeAt(root: z.ZodType, path: YamlPath): string | undefined {
  return schemasAt(root, path)?.find((s) => s.description !== undefined)?.description;
}

/** The keys allowed in the mapping at `path` (for did-you-mean on unknown keys). */
export function allowedKeysAt(root: z.ZodType, path: YamlPath): string[] {
  const chain = schemasAt(root, path);
  if (!chain) return [];
  const def = defOf(unwrap(chain[0]));
  if (def.type === "object") return Object.keys(def.shape ?? {});
  const obj = def.options?.map((o) => defOf(unwrap(o))).find((d) => d.type === "object");
  return Object.keys(obj?.shape ?? {});
}

function valueAt(raw: unknown, path: YamlPath): unknown {
  let v = raw;
  for (const part of path) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<string | number, unknown>)[part];
  }
  return v;
}

/** The only union branch whose problems lie inside the value rather than in its type. */
function matchedBranch(
  branches: readonly (readonly z.core.$ZodIssue[])[],
): readonly z.core.$ZodIssue[] | undefined {
  const typed = branches.filter(
    (b) =>
      !b.some(
        (i) => i.path.length === 0 && (i.code === "invalid_type" || i.code === "invalid_value"),
      ),
  );
  return typed.length === 1 ? typed[0] : undefined;
}

/** Zod issues → spec issues, one per unknown key, with found/allowed wording. */
export function issuesFromZod(
  zodIssues: readonly z.core.$ZodIssue[],
  raw: unknown,
  root: z.ZodType,
): SpecIssue[] {
  const out: SpecIssue[] = [];
  for (const issue of zodIssues) {
    const path = issue.path.filter((p): p is string | number => typeof p !== "symbol");
    const branch = issue.code === "invalid_union" ? matchedBranch(issue.errors) : undefined;
    if (branch) {
      // The value had the right type for one branch (e.g. a mapping for clipOutliers): report
      // that branch's precise problems instead of a generic "found a mapping".
      const nested = branch.map((i) => ({ ...i, path: [...path, ...i.path] }));
      out.push(...issuesFromZod(nested, raw, root));
      continue;
    }
    if (issue.code === "unrecognized_keys") {
      const allowed = allowedKeysAt(root, path);
      for (const key of issue.keys) {
        out.push({
          path: [...path, key],
          key,
          message: `unknown key "${key}".${didYouMean(key, allowed)} Allowed here: ${allowed.join(", ")}.`,
        });
      }
      continue;
    }
    const allowed = describeAt(root, path) ?? issue.message;
    const value = valueAt(raw, path);
    const message =
      value === undefined
        ? `is required; allowed: ${allowed}.`
        : `found ${renderValue(value)}; allowed: ${allowed}.`;
    out.push({ path, message });
  }
  return out;
}

/** 1-based line of the node at `path` (or of `key` inside it), else of its nearest ancestor. */
export function lineOf(
  doc: Document,
  lineCounter: LineCounter,
  issue: Pick<SpecIssue, "path" | "key">,
): number | undefined {
  const { path, key } = issue;
  const parentPath = key === undefined ? path : path.slice(0, -1);
  if (key !== undefined) {
    const parent = parentPath.length === 0 ? doc.contents : doc.getIn(parentPath, true);
    if (isMap(parent)) {
      const pair = parent.items.find((p) => isScalar(p.key) && p.key.value === key);
      const range = isScalar(pair?.key) ? pair.key.range : undefined;
      if (range) return lineCounter.linePos(range[0]).line;
    }
  }
  for (let n = parentPath.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(parentPath.slice(0, n), true);
    const range = (node as { range?: [number, number, number] } | null | undefined)?.range;
    if (range) return lineCounter.linePos(range[0]).line;
  }
  return undefined;
}

/** One SpecError listing every issue as `file:line path: message`, sorted by line. */
export function specErrorFrom(
  file: string,
  issues: SpecIssue[],
  doc: Document,
  lineCounter: LineCounter,
  what = "pipeline spec",
): SpecError {
  const located = issues
    .map((issue) => ({ issue, line: lineOf(doc, lineCounter, issue) }))
    // By line; on one line an unknown key first, as it usually explains the other problems.
    .sort(
      (a, b) =>
        (a.line ?? 0) - (b.line ?? 0) ||
        Number(b.issue.key !== undefined) - Number(a.issue.key !== undefined),
    );
  const lines = located.map(({ issue, line }) => {
    const where = line === undefined ? file : `${file}:${line}`;
    return `${where} ${formatPath(issue.path)}: ${issue.message}`;
  });
  const first = located[0];
  const header = lines.length === 1 ? "" : `${file}: ${lines.length} problems in the ${what}:\n  `;
  return new SpecError(header + lines.join("\n  "), {
    file,
    path: formatPath(first.issue.path),
  });
}
