/**
 * Where `source.uri` points, worked out from text alone (nothing on disk is touched): a path
 * relative to the spec file, an absolute path, a `file:///` URL or `s3://bucket/key`. A spec
 * that itself lives in S3 resolves relative URIs against its own key.
 */

import path from "node:path";
import { fileURLToPath } from "node:url";
import { SpecError } from "../errors.ts";
import type { SourceFormat } from "./types.ts";

export type ResolvedSource =
  | { scheme: "file"; path: string }
  | { scheme: "s3"; bucket: string; key: string };

const SCHEME = /^([a-z][a-z0-9+.-]*):\/\//i;
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** Thrown inside this file only; the exported functions turn it into a message or SpecError. */
class UriProblem extends Error {}

function fail(uri: string, why: string): never {
  throw new UriProblem(`source.uri "${uri}" ${why}`);
}

function parseS3(uri: string): { bucket: string; key: string } {
  const rest = uri.slice("s3://".length);
  const slash = rest.indexOf("/");
  const bucket = slash < 0 ? rest : rest.slice(0, slash);
  const key = slash < 0 ? "" : rest.slice(slash + 1);
  if (!BUCKET.test(bucket)) {
    fail(uri, `has an invalid bucket name "${bucket}"; write s3://bucket/key.`);
  }
  if (key === "" || key.endsWith("/")) {
    fail(uri, "names no object; write s3://bucket/path/to/file.csv.");
  }
  return { bucket, key };
}

function fromFileUrl(uri: string): string {
  try {
    return fileURLToPath(uri);
  } catch (cause) {
    return fail(uri, `is not a valid absolute file URL (${String(cause)}).`);
  }
}

/**
 * Resolves `uri` as written in the spec at `specFile`. Throws SpecError (path `source.uri`)
 * for unsupported schemes, bad S3 URIs and relative paths that climb out of an S3 spec's bucket.
 */
export function resolveSourceUri(uri: string, specFile: string): ResolvedSource {
  try {
    return resolve(uri, specFile);
  } catch (err) {
    if (!(err instanceof UriProblem)) throw err;
    throw new SpecError(`${specFile}: ${err.message}`, { file: specFile, path: "source.uri" });
  }
}

/** What is wrong with `uri` (a sentence starting with `source.uri`), or undefined if nothing. */
export function sourceUriProblem(uri: string, specFile: string): string | undefined {
  try {
    resolve(uri, specFile);
    return undefined;
  } catch (err) {
    if (!(err instanceof UriProblem)) throw err;
    return err.message;
  }
}

function resolve(uri: string, specFile: string): ResolvedSource {
  const scheme = SCHEME.exec(uri)?.[1].toLowerCase();
  if (scheme === "s3") return { scheme: "s3", ...parseS3(uri) };
  if (scheme === "file") return { scheme: "file", path: fromFileUrl(uri) };
  if (scheme !== undefined) {
    fail(uri, `uses the unsupported scheme "${scheme}://"; use a path, file:// or s3://.`);
  }
  if (uri.startsWith("file:")) return { scheme: "file", path: fromFileUrl(uri) };
  if (path.isAbsolute(uri)) return { scheme: "file", path: path.normalize(uri) };

  const specScheme = SCHEME.exec(specFile)?.[1].toLowerCase();
  if (specScheme === "s3") {
    const spec = parseS3(specFile);
    const key = path.posix.normalize(path.posix.join(path.posix.dirname(spec.key), uri));
    if (key.startsWith("../") || key === "..") {
      fail(uri, `climbs above the root of bucket "${spec.bucket}".`);
    }
    return { scheme: "s3", bucket: spec.bucket, key };
  }
  const specPath = specScheme === "file" ? fromFileUrl(specFile) : specFile;
  return { scheme: "file", path: path.join(path.dirname(specPath), uri) };
}

/**
 * The format (and CSV delimiter) implied by the URI's extension, case-insensitively:
 * `.csv` → csv, `.tsv` → csv with a tab, `.parquet` → parquet, `.jsonl`/`.ndjson` → jsonl.
 * Undefined for anything else.
 */
export function formatFromUri(
  uri: string,
): { format: SourceFormat; delimiter?: string } | undefined {
  const ext = path.posix.extname(uri).toLowerCase();
  switch (ext) {
    case ".csv":
      return { format: "csv" };
    case ".tsv":
      return { format: "csv", delimiter: "\t" };
    case ".parquet":
      return { format: "parquet" };
    case ".jsonl":
    case ".ndjson":
      return { format: "jsonl" };
    default:
      return undefined;
  }
}
