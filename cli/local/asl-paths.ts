/**
 * ASL reference paths (`$`, `$.a.b`, `$.a[0]`, `$['a b']`, and `$$.…` into the context object):
 * the only JSONPath Orchard's definitions use (pipeline/workflow/asl.ts). Reading follows the
 * States Language's rules: a path that selects nothing is `undefined` here, and the caller
 * decides which States error that is. Writing (ResultPath) builds the missing objects, and
 * fails with `States.ResultPathMatchFailure` where the path runs into a non-object.
 */

import type { JsonValue } from "../../pipeline/workflow/asl.ts";

export type PathSegment = string | number;

export interface ParsedPath {
  /** `$$`: the context object; `$`: the state's input. */
  context: boolean;
  segments: PathSegment[];
}

const SEGMENT = /^(?:\.([A-Za-z_][\w-]*)|\['((?:[^'\\]|\\.)*)'\]|\[(\d+)\])/;

/** Parses a reference path; throws a plain Error naming the path when it is not one. */
export function parsePath(path: string): ParsedPath {
  const context = path.startsWith("$$");
  if (!path.startsWith("$")) throw new Error(`"${path}" is not a JSONPath (it must start with $)`);
  let rest = path.slice(context ? 2 : 1);
  const segments: PathSegment[] = [];
  while (rest.length > 0) {
    const match = SEGMENT.exec(rest);
    if (!match) {
      throw new Error(
        `"${path}" is not a reference path Orchard's local executor reads: use $.field, $['field'] or $.field[0] (no filters, wildcards or functions)`,
      );
    }
    if (match[1] !== undefined) segments.push(match[1]);
    else if (match[2] !== undefined) segments.push(match[2].replace(/\\(.)/g, "$1"));
    else segments.push(Number(match[3]));
    rest = rest.slice(match[0].length);
  }
  return { context, segments };
}

/** The value the path selects, or undefined when it selects nothing. */
export function readPath(
  path: string,
  input: JsonValue,
  context: JsonValue,
): JsonValue | undefined {
  const parsed = parsePath(path);
  let value: JsonValue | undefined = parsed.context ? context : input;
  for (const segment of parsed.segments) {
    if (value === null || typeof value !== "object") return undefined;
    if (Array.isArray(value)) {
      if (typeof segment !== "number") return undefined;
      value = value[segment];
    } else {
      if (typeof segment !== "string" || !Object.hasOwn(value, segment)) return undefined;
      value = value[segment];
    }
  }
  return value;
}

/** Thrown when a ResultPath cannot be written into the input (a catchable States error). */
export class ResultPathMatchFailure extends Error {
  override readonly name = "States.ResultPathMatchFailure";
}

/**
 * The input with `value` placed at `path` (a new object: the input is not modified). `$`
 * replaces the whole input.
 */
export function writePath(path: string, input: JsonValue, value: JsonValue): JsonValue {
  const { context, segments } = parsePath(path);
  if (context) throw new Error(`"${path}": a ResultPath cannot write into the context object`);
  if (segments.length === 0) return value;
  const place = (target: JsonValue | undefined, depth: number): JsonValue => {
    const segment = segments[depth] as PathSegment;
    const base: JsonValue = target === undefined ? {} : target;
    if (
      typeof segment === "number" ||
      base === null ||
      typeof base !== "object" ||
      Array.isArray(base)
    ) {
      throw new ResultPathMatchFailure(
        `Unable to apply ResultPath "${path}" to the input: ${segments.slice(0, depth).join(".") || "$"} is not an object`,
      );
    }
    const child = depth === segments.length - 1 ? value : place(base[segment], depth + 1);
    return { ...base, [segment]: child };
  };
  return place(input, 0);
}
