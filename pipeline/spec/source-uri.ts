/**
 * Where `source.uri` (one object) and `deploy.batch.inputUri` (a prefix: a directory or an
 * S3 key prefix) point, worked out from text alone (nothing on disk is touched): a path
 * relative to the spec file, an absolute path, a `file:///` URL or `s3://bucket/key`. A spec
 * that itself lives in S3 resolves relative URIs against its own key.
 */

import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { SpecError } from "../errors.ts";
import type { SourceFormat } from "./types.ts";

export type ResolvedSource =
  | { scheme: "file"; path: string }
  | { scheme: "s3"; bucket: string; key: string };

const SCHEME = /^([a-z][a-z0-9+.-]*):\/\//i;
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** Thrown inside this file only; the exported functions turn it into a message or SpecError. */
class UriProblem extends Error {}

/** What is resolved: the spec key (for messages) and whether it names one object or a prefix. */
interface Wanted {
  key: "source.uri" | "deploy.batch.inputUri";
  prefix: boolean;
}

const SOURCE: Wanted = { key: "source.uri", prefix: false };
const BATCH: Wanted = { key: "deploy.batch.inputUri", prefix: true };

function fail(wanted: Wanted, uri: string, why: string): never {
  throw new UriProblem(`${wanted.key} "${uri}" ${why}`);
}

function parseS3(uri: string, wanted: Wanted): { bucket: string; key: string } {
  const rest = uri.slice("s3://".length);
  const slash = rest.indexOf("/");
  const bucket = slash < 0 ? rest : rest.slice(0, slash);
  const key = slash < 0 ? "" : rest.slice(slash + 1);
  if (!BUCKET.test(bucket)) {
    fail(wanted, uri, `has an invalid bucket name "${bucket}"; write s3://bucket/key.`);
  }
  if (!wanted.prefix && (key === "" || key.endsWith("/"))) {
    fail(wanted, uri, "names no object; write s3://bucket/path/to/file.csv.");
  }
  return { bucket, key };
}

function fromFileUrl(uri: string, wanted: Wanted): string {
  try {
    return fileURLToPath(uri);
  } catch (cause) {
    return fail(wanted, uri, `is not a valid absolute file URL (${String(cause)}).`);
  }
}

/**
 * Resolves `uri` as written in the spec at `specFile`. Throws SpecError (path `source.uri`)
 * for unsupported schemes, bad S3 URIs and relative paths that climb out of an S3 spec's bucket.
 */
export function resolveSourceUri(uri: string, specFile: string): ResolvedSource {
  return resolveOrThrow(uri, specFile, SOURCE);
}

/**
 * Resolves `deploy.batch.inputUri` like `resolveSourceUri`, as a prefix: `s3://bucket/` and
 * `s3://bucket/scores/` are valid (the key may be empty), a path names a directory.
 */
export function resolveBatchUri(uri: string, specFile: string): ResolvedSource {
  return resolveOrThrow(uri, specFile, BATCH);
}

/** `resolveBatchUri` as the URI a run's input carries: `s3://bucket/prefix` or `file:///dir/`. */
export function batchInputUri(uri: string, specFile: string): string {
  const resolved = resolveBatchUri(uri, specFile);
  if (resolved.scheme === "s3") return `s3://${resolved.bucket}/${resolved.key}`;
  const href = pathToFileURL(resolved.path).href;
  return href.endsWith("/") ? href : `${href}/`;
}

function resolveOrThrow(uri: string, specFile: string, wanted: Wanted): ResolvedSource {
  try {
    return resolve(uri, specFile, wanted);
  } catch (err) {
    if (!(err instanceof UriProblem)) throw err;
    throw new SpecError(`${specFile}: ${err.message}`, { file: specFile, path: wanted.key });
  }
}

/** What is wrong with `uri` (a sentence starting with `source.uri`), or undefined if nothing. */
export function sourceUriProblem(uri: string, specFile: string): string | undefined {
  return problemOf(uri, specFile, SOURCE);
}

/** What is wrong with a batch `uri` (starting with `deploy.batch.inputUri`), or undefined. */
export function batchUriProblem(uri: string, specFile: string): string | undefined {
  return problemOf(uri, specFile, BATCH);
}

function problemOf(uri: string, specFile: string, wanted: Wanted): string | undefined {
  try {
    resolve(uri, specFile, wanted);
    return undefined;
  } catch (err) {
    if (!(err instanceof UriProblem)) throw err;
    return err.message;
  }
}

function resolve(uri: string, specFile: string, wanted: Wanted): ResolvedSource {
  const scheme = SCHEME.exec(uri)?.[1].toLowerCase();
  if (scheme === "s3") return { scheme: "s3", ...parseS3(uri, wanted) };
  if (scheme === "file") return { scheme: "file", path: fromFileUrl(uri, wanted) };
  if (scheme !== undefined) {
    fail(wanted, uri, `uses the unsupported scheme "${scheme}://"; use a path, file:// or s3://.`);
  }
  if (uri.startsWith("file:")) return { scheme: "file", path: fromFileUrl(uri, wanted) };
  if (path.isAbsolute(uri)) return { scheme: "file", path: path.normalize(uri) };

  const specScheme = SCHEME.exec(specFile)?.[1].toLowerCase();
  if (specScheme === "s3") {
    const spec = parseS3(specFile, SOURCE);
    // posix.join keeps a trailing slash: `scores/` must not also match `scores-old/`.
    const key = path.posix.join(path.posix.dirname(spec.key), uri);
    if (key.startsWith("../") || key === "..") {
      fail(wanted, uri, `climbs above the root of bucket "${spec.bucket}".`);
    }
    return { scheme: "s3", bucket: spec.bucket, key: key === "./" || key === "." ? "" : key };
  }
  const specPath = specScheme === "file" ? fromFileUrl(specFile, SOURCE) : specFile;
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
