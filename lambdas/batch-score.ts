/**
 * Batch scoring as a Lambda, four ways:
 *
 * - the BatchScore state after Promote: the whole run state in, `batchScoreStep` (whether and
 *   with which version the run input's `batchUri` is scored, and the listing to score);
 * - a child execution of the ScoreFiles Distributed Map: `{ Items, BatchInput }` in,
 *   `scoreFiles` (a batch of listed keys scored, `{ fileCount, rowCount }` out; with the
 *   spec's `monitor.capture`, its predictions captured as one object under
 *   `<pipeline>/capture/<date>/<hour>/`);
 * - the BatchResults state after it: the run state again, now with ScoreFiles' Map Run, in;
 *   `batchResults` (the children's totals, read from the ResultWriter's export) out;
 * - invoked by hand: `{ "inputUri": "s3://bucket/prefix/", "pipeline"?, "version"? }` → the
 *   predictions files next to the inputs and `{ modelVersion, files, fileCount, rowCount }`.
 *
 * Objects are S3 over the process's storage client (any bucket the function's role may read
 * and write), or the file system for a `file:///dir/` URI (local runs only).
 */
import { mkdir, readdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import {
  GetObjectCommand,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { SourceNotFoundError, TypeMismatchError } from "../pipeline/errors.ts";
import {
  type BatchFilesEvent,
  type BatchFilesOutput,
  type BatchObjects,
  type BatchScoreOutput,
  type BatchScoreStepOutput,
  type BatchTotals,
  batchCaptureOf,
  batchResults,
  batchScore,
  batchScoreStep,
  scoreFiles,
  uriOfKey,
} from "../pipeline/steps/batch-score.ts";
import { loadSpec } from "../pipeline/steps/context.ts";
import type { RunState } from "../pipeline/steps/types.ts";
import { formatS3Uri } from "../pipeline/store.ts";
import { storageClients } from "./io/clients.ts";
import { withStorageErrors } from "./io/errors.ts";
import { stepHandler } from "./step-handler.ts";

export interface BatchScoreEvent {
  inputUri: string;
  /** Default: the ORCHARD_PIPELINE environment variable. */
  pipeline?: string;
  /** Default: the champion. */
  version?: string;
}

function split(uri: string): { bucket: string; key: string } {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri);
  if (!m) throw new TypeMismatchError(`"${uri}" is not an S3 URI; pass s3://bucket/prefix/`);
  return { bucket: m[1], key: m[2] };
}

/** `BatchObjects` over an S3 client. */
export function s3BatchObjects(client: S3Client): BatchObjects {
  return {
    async list(prefixUri) {
      const { bucket, key } = split(prefixUri);
      const uris: string[] = [];
      let token: string | undefined;
      do {
        const page: ListObjectsV2CommandOutput = await withStorageErrors(
          { operation: "S3 ListObjectsV2", resource: prefixUri },
          () =>
            client.send(
              new ListObjectsV2Command({ Bucket: bucket, Prefix: key, ContinuationToken: token }),
            ),
        );
        for (const object of page.Contents ?? []) {
          if (object.Key && !object.Key.endsWith("/")) uris.push(formatS3Uri(bucket, object.Key));
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      return uris;
    },
    async get(uri) {
      const { bucket, key } = split(uri);
      return withStorageErrors({ operation: "S3 GetObject", uri }, async () => {
        const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        return out.Body!.transformToByteArray();
      });
    },
    async put(uri, bytes, contentType) {
      const { bucket, key } = split(uri);
      await withStorageErrors({ operation: "S3 PutObject", resource: uri }, () =>
        client.send(
          new PutObjectCommand({ Bucket: bucket, Key: key, Body: bytes, ContentType: contentType }),
        ),
      );
    },
  };
}

/**
 * `BatchObjects` over a local directory (`file:///dir/`), for `orchard run`: every file below
 * it, recursively; a missing directory lists nothing, as an empty S3 prefix does.
 */
export function fileBatchObjects(): BatchObjects {
  return {
    async list(prefixUri) {
      const dir = fileURLToPath(prefixUri);
      let names: string[];
      try {
        names = await readdir(dir, { recursive: true });
      } catch (cause) {
        const code = (cause as NodeJS.ErrnoException).code;
        // Like an S3 prefix with no objects: nothing to score (the caller decides if that fails).
        if (code === "ENOENT") return [];
        throw new SourceNotFoundError(
          `batch input directory ${dir} cannot be read (${code}); check deploy.batch.inputUri in the spec and the directory's permissions`,
          { file: dir },
          { cause },
        );
      }
      return names.map((name) => pathToFileURL(join(dir, name)).href);
    },
    async get(uri) {
      return new Uint8Array(await readFile(fileURLToPath(uri)));
    },
    async put(uri, bytes) {
      // Written whole or not at all: a crash never leaves half a predictions file.
      const path = fileURLToPath(uri);
      const partial = `${path}.${process.pid}.partial`;
      await mkdir(dirname(path), { recursive: true });
      await writeFile(partial, bytes);
      await rename(partial, path);
    },
  };
}

/** The objects behind `uri`: the file system for `file://`, S3 otherwise. */
export function batchObjectsFor(uri: string): BatchObjects {
  return uri.startsWith("file:") ? fileBatchObjects() : s3BatchObjects(storageClients().s3);
}

export const handler = stepHandler(
  "batchScore",
  async (
    event: BatchScoreEvent | RunState | BatchFilesEvent,
    deps,
  ): Promise<BatchScoreOutput | BatchScoreStepOutput | BatchFilesOutput | BatchTotals> => {
    if ("run" in event) {
      // The state's whole input either way (a container step could take no Parameters): after
      // ScoreFiles it carries the Map Run, and this is the BatchResults state.
      const mapRun = event.batchScore?.enabled ? event.batchScore.mapRun : undefined;
      return mapRun
        ? batchResults({ manifest: mapRun.ResultWriterDetails }, deps.artifacts)
        : batchScoreStep(
            event,
            deps.artifacts,
            // The plan carries the spec's capture settings to the ScoreFiles children.
            async () => batchCaptureOf(await loadSpec(deps, event)),
          );
    }
    if ("Items" in event) {
      const { bucket } = event.BatchInput;
      const objects = batchObjectsFor(uriOfKey(bucket, ""));
      return scoreFiles(event, { ...deps, objects });
    }
    const pipeline = event.pipeline ?? process.env.ORCHARD_PIPELINE;
    if (!pipeline) {
      throw new TypeMismatchError("no pipeline: pass event.pipeline or set ORCHARD_PIPELINE");
    }
    const { inputUri, version } = event;
    return batchScore(
      { pipeline, inputUri, version },
      { ...deps, objects: batchObjectsFor(inputUri) },
    );
  },
);
