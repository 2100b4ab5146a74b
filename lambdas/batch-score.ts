/**
 * Batch scoring as a Lambda (a Task in a state machine, or invoked by hand):
 * `{ "inputUri": "s3://bucket/prefix/", "pipeline"? }` → the predictions files next to the
 * inputs and `{ modelVersion, files, fileCount, rowCount }`. The object access is S3 over the
 * process's storage client, so any bucket the function's role may read and write works.
 */
import {
  GetObjectCommand,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { TypeMismatchError } from "../pipeline/errors.ts";
import {
  type BatchObjects,
  type BatchScoreOutput,
  batchScore,
} from "../pipeline/steps/batch-score.ts";
import { formatS3Uri } from "../pipeline/store.ts";
import { storageClients } from "./io/clients.ts";
import { withStorageErrors } from "./io/errors.ts";
import { stepHandler } from "./step-handler.ts";

export interface BatchScoreEvent {
  inputUri: string;
  /** Default: the ORCHARD_PIPELINE environment variable. */
  pipeline?: string;
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

export const handler = stepHandler(
  "batchScore",
  async (event: BatchScoreEvent, deps): Promise<BatchScoreOutput> => {
    const pipeline = event.pipeline ?? process.env.ORCHARD_PIPELINE;
    if (!pipeline) {
      throw new TypeMismatchError("no pipeline: pass event.pipeline or set ORCHARD_PIPELINE");
    }
    return batchScore(
      { pipeline, inputUri: event.inputUri },
      { ...deps, objects: s3BatchObjects(storageClients().s3) },
    );
  },
);
