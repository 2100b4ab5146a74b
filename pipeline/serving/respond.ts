/**
 * HTTP responses of the serving API as plain values, so the Lambda function URL and
 * `orchard serve` send byte-identical answers. Errors are `{"error": {name, message, row?,
 * column?}}`; a model or storage failure is a 500 whose message does not leak internals.
 */
import { MissingColumnError, OrchardError, TransformError, TypeMismatchError } from "../errors.ts";
import type { Prediction } from "../model/bundle.ts";
import { MethodNotAllowedError, RequestError } from "./errors.ts";

export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface ErrorBody {
  error: { name: string; message: string; row?: number; column?: string };
}

export interface PredictBody {
  modelVersion: string;
  predictions: Prediction[];
}

const JSON_HEADERS = {
  "content-type": "application/json; charset=utf-8",
  "cache-control": "no-store",
  "x-content-type-options": "nosniff",
} as const;

export function jsonResponse(
  status: number,
  value: unknown,
  headers: Record<string, string> = {},
): HttpResponse {
  return { status, headers: { ...JSON_HEADERS, ...headers }, body: JSON.stringify(value) };
}

/** The status an error is answered with: its own for request errors, 400 for row errors. */
export function statusOf(err: unknown): number {
  if (err instanceof RequestError) return err.status;
  // The bundle's own row checks (a schema the request check did not cover) are the caller's,
  // and so is a row the model's row transform refuses (its message names the row and column).
  if (
    err instanceof MissingColumnError ||
    err instanceof TypeMismatchError ||
    err instanceof TransformError
  ) {
    return 400;
  }
  return 500;
}

export function errorResponse(err: unknown): HttpResponse {
  const status = statusOf(err);
  const headers: Record<string, string> = {};
  if (err instanceof MethodNotAllowedError) headers.allow = err.allow;
  if (status === 500) {
    const name = err instanceof OrchardError ? err.name : "InternalError";
    return jsonResponse(
      status,
      {
        error: {
          name,
          message: "the model could not answer this request; it was logged, try again",
        },
      } satisfies ErrorBody,
      headers,
    );
  }
  const e = err as OrchardError;
  const body: ErrorBody = { error: { name: e.name, message: e.message } };
  if (e.location?.row !== undefined) body.error.row = e.location.row;
  if (e.location?.column !== undefined) body.error.column = e.location.column;
  return jsonResponse(status, body, headers);
}
