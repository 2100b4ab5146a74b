/**
 * The predict request body, judged before the model sees it: declared as JSON, at most
 * `maxBodyBytes`, valid UTF-8, nested no deeper than `{"rows": [{"col": value}]}`, then every
 * row read by the model's own row reader (`readModelRows` in pipeline/model/schema.ts, the
 * same as `orchard predict` and batch scoring: trimming, missing tokens, numbers written as
 * text, columns the model does not use ignored), no prototype-polluting keys, at most
 * `maxRows` rows. Every refusal is a `RequestError` whose message names the row (from 1) and
 * the column and says what to send instead.
 *
 * The rows handed on are fresh null-prototype objects holding only the model's columns, so
 * nothing a caller sends can reach `Object.prototype` or the model as an extra field.
 */
import { MissingColumnError, TransformError, TypeMismatchError } from "../errors.ts";
import { type ModelSchema, type RawRow, readModelRows } from "../model/schema.ts";
import { BadRequestError, BodyTooLargeError, UnsupportedMediaTypeError } from "./errors.ts";
import { DEFAULT_LIMITS, type ServingLimits } from "./limits.ts";

/** Keys that mean something to JavaScript objects; never accepted as column names. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set([
  "__proto__",
  "constructor",
  "prototype",
]);

const EXAMPLE = '{"rows": [{"column": value, …}]}';

/** 415 unless the media type is application/json (charset, if given, utf-8). */
export function checkContentType(contentType: string | undefined): void {
  const [type, ...params] = (contentType ?? "").split(";").map((part) => part.trim().toLowerCase());
  if (type !== "application/json") {
    throw new UnsupportedMediaTypeError(
      `Content-Type is ${contentType ? `"${clip(contentType)}"` : "missing"}; send the body as JSON with "Content-Type: application/json"`,
    );
  }
  const charset = params.find((p) => p.startsWith("charset="))?.slice("charset=".length);
  if (charset !== undefined && charset.replace(/"/g, "") !== "utf-8") {
    throw new UnsupportedMediaTypeError(
      `Content-Type charset is "${clip(charset)}"; send the JSON body as UTF-8 (charset=utf-8)`,
    );
  }
}

/** 413 when the body is over the limit. */
export function checkBodySize(bytes: number, limits: ServingLimits = DEFAULT_LIMITS): void {
  if (bytes > limits.maxBodyBytes) {
    throw new BodyTooLargeError(
      `the body is ${bytes} bytes, over the limit of ${limits.maxBodyBytes} bytes (1 MiB); split the rows into smaller requests`,
    );
  }
}

/**
 * 400 when objects and arrays nest deeper than `maxDepth`. Scans bytes (strings skipped), so a
 * body like `[[[[…` a million levels deep is refused in one pass without building anything.
 */
export function checkDepth(body: Uint8Array, maxDepth: number): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > maxDepth) {
        throw new BadRequestError(
          `the JSON nests deeper than ${maxDepth} levels (at byte ${i}); send ${EXAMPLE} with plain values (numbers, text or null) in the rows`,
        );
      }
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    }
  }
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** The body's JSON value; 400 for bad UTF-8 or bad JSON. */
export function parseJsonBody(body: Uint8Array, limits: ServingLimits = DEFAULT_LIMITS): unknown {
  checkBodySize(body.length, limits);
  checkDepth(body, limits.maxDepth);
  let text: string;
  try {
    text = utf8.decode(body);
  } catch {
    throw new BadRequestError(`the body is not valid UTF-8; send ${EXAMPLE} encoded as UTF-8`);
  }
  if (text.trim() === "") throw new BadRequestError(`the body is empty; send ${EXAMPLE}`);
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new BadRequestError(
      `the body is not valid JSON (${(err as Error).message}); send ${EXAMPLE}`,
    );
  }
}

/** The model's input rows from a parsed body `{"rows": [...]}`, checked against `schema`. */
export function rowsOfBody(
  value: unknown,
  schema: ModelSchema,
  limits: ServingLimits = DEFAULT_LIMITS,
): RawRow[] {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new BadRequestError(`the body must be a JSON object like ${EXAMPLE}`);
  }
  for (const key of Object.keys(value)) {
    if (key !== "rows" && key !== "explain") {
      throw new BadRequestError(
        `the body has an unknown field "${clip(key)}"; the fields are "rows" and the optional "explain": ${EXAMPLE}`,
      );
    }
  }
  const rows = (value as { rows?: unknown }).rows;
  if (!Array.isArray(rows)) {
    throw new BadRequestError(
      `the body needs "rows": an array of objects, one per row: ${EXAMPLE}`,
    );
  }
  if (rows.length === 0) throw new BadRequestError(`"rows" is empty; send at least one row`);
  if (rows.length > limits.maxRows) {
    throw new BadRequestError(
      `"rows" has ${rows.length} rows, over the limit of ${limits.maxRows} per request; split them into several requests`,
    );
  }
  return rows.map((row, i) => checkRow(row, i + 1, schema));
}

/** Parses and checks a whole request body (size, depth, JSON, schema). */
export function parsePredictBody(
  body: Uint8Array,
  schema: ModelSchema,
  limits: ServingLimits = DEFAULT_LIMITS,
): RawRow[] {
  return parsePredictRequest(body, schema, limits).rows;
}

export interface PredictRequest {
  rows: RawRow[];
  /** `"explain": true` asks for each prediction's TreeSHAP explanation. Default false. */
  explain: boolean;
}

/** The rows and the `explain` flag of a whole request body, checked like `parsePredictBody`. */
export function parsePredictRequest(
  body: Uint8Array,
  schema: ModelSchema,
  limits: ServingLimits = DEFAULT_LIMITS,
): PredictRequest {
  const value = parseJsonBody(body, limits);
  const rows = rowsOfBody(value, schema, limits);
  return { rows, explain: explainOfBody(value) };
}

/** The `explain` flag of a parsed body whose rows were checked (`rowsOfBody`). */
export function explainOfBody(value: unknown): boolean {
  const explain = (value as { explain?: unknown }).explain;
  if (explain !== undefined && typeof explain !== "boolean") {
    throw new BadRequestError(
      `the field "explain" is ${describe(explain)}; send true or false (or leave it out): {"rows": [...], "explain": true}`,
      { path: "explain" },
    );
  }
  return explain === true;
}

function checkRow(row: unknown, n: number, schema: ModelSchema): RawRow {
  if (row === null || typeof row !== "object" || Array.isArray(row)) {
    throw new BadRequestError(
      `row ${n} is ${describe(row)}, not an object; send one object of column values per row`,
      { row: n },
    );
  }
  for (const key of Object.keys(row)) {
    if (FORBIDDEN_KEYS.has(key)) {
      throw new BadRequestError(
        `row ${n}, column "${key}": this name is not allowed as a column; remove it`,
        { row: n, column: key },
      );
    }
  }
  try {
    const [clean] = readModelRows(schema, [row as RawRow]);
    return clean;
  } catch (err) {
    if (err instanceof TransformError) {
      // "./features.ts threw on row 1: …": the transform ran on this one row.
      const message = err.message.replace(/ on row 1\b/, ` on row ${n}`);
      throw new BadRequestError(message, { row: n, column: err.location.column });
    }
    if (!(err instanceof MissingColumnError || err instanceof TypeMismatchError)) throw err;
    // The reader numbers rows within what it was given: one row, so "row 1".
    const message = err.message.replace(/^row 1\b/, `row ${n}`);
    throw new BadRequestError(message, { row: n, column: err.location.column });
  }
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  if (typeof value === "number" && !Number.isFinite(value)) return "a number out of range";
  return clip(JSON.stringify(value) ?? String(value));
}

function clip(text: string, max = 60): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
