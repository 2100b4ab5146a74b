/**
 * The local engine's Distributed Map S3 calls, made as the state machine's role. The
 * ItemReader (`arn:aws:states:::s3:listObjectsV2`): what
 * Step Functions lists with the state machine's role, listed here from the embedded S3 with
 * the same caller, or, for a local batch directory (`LOCAL_DIRECTORY_BUCKET`, `orchard run`
 * only), from the disk. Items have the shape Step Functions gives them: `{ Key, Etag,
 * LastModified, Size, StorageClass }`, in key order, folders (`…/`) left out. The ResultWriter
 * (`arn:aws:states:::s3:putObject`): its manifest and result files, put into the embedded S3.
 */
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import {
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { runAs } from "../../lambdas/io/caller.ts";
import { withStorageErrors } from "../../lambdas/io/errors.ts";
import { LOCAL_DIRECTORY_BUCKET } from "../../pipeline/steps/batch-score.ts";
import type { JsonValue } from "../../pipeline/workflow/asl.ts";

export type ListObjects = (request: { Bucket: string; Prefix: string }) => Promise<JsonValue[]>;

/** The role name the state machine's own calls are made as (test/support/iam-enforcement.ts). */
export const STATE_MACHINE_ROLE = "stateMachine";

export function localListObjects(s3: () => S3Client, pipeline: string): ListObjects {
  return ({ Bucket, Prefix }) =>
    Bucket === LOCAL_DIRECTORY_BUCKET
      ? listDirectory(Prefix)
      : runAs({ role: STATE_MACHINE_ROLE, pipeline }, () => listBucket(s3(), Bucket, Prefix));
}

export type PutObject = (request: { Bucket: string; Key: string; Body: string }) => Promise<void>;

export function localPutObject(s3: () => S3Client, pipeline: string): PutObject {
  return ({ Bucket, Key, Body }) =>
    runAs({ role: STATE_MACHINE_ROLE, pipeline }, async () => {
      await withStorageErrors(
        { operation: "S3 PutObject", resource: `s3://${Bucket}/${Key}` },
        () =>
          s3().send(new PutObjectCommand({ Bucket, Key, Body, ContentType: "application/json" })),
      );
    });
}

async function listBucket(client: S3Client, bucket: string, prefix: string): Promise<JsonValue[]> {
  const items: JsonValue[] = [];
  let token: string | undefined;
  do {
    const page: ListObjectsV2CommandOutput = await withStorageErrors(
      { operation: "S3 ListObjectsV2", resource: `s3://${bucket}/${prefix}` },
      () =>
        client.send(
          new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
        ),
    );
    for (const o of page.Contents ?? []) {
      if (!o.Key || o.Key.endsWith("/")) continue;
      items.push({
        Key: o.Key,
        Etag: o.ETag ?? "",
        LastModified: Math.floor((o.LastModified?.getTime() ?? 0) / 1000),
        Size: o.Size ?? 0,
        StorageClass: o.StorageClass ?? "STANDARD",
      });
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return items;
}

/** Every file below `/<prefix>`; a missing directory lists nothing, as an empty prefix does. */
async function listDirectory(prefix: string): Promise<JsonValue[]> {
  const dir = `/${prefix}`;
  let names: string[];
  try {
    names = await readdir(dir, { recursive: true });
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw cause;
  }
  const items: {
    Key: string;
    Etag: string;
    LastModified: number;
    Size: number;
    StorageClass: string;
  }[] = [];
  for (const name of names) {
    const path = join(dir, name);
    const info = await stat(path);
    if (!info.isFile()) continue;
    items.push({
      Key: path.slice(1),
      Etag: "",
      LastModified: Math.floor(info.mtimeMs / 1000),
      Size: info.size,
      StorageClass: "STANDARD",
    });
  }
  // S3 lists keys in UTF-8 byte order
  return items.sort((a, b) => Buffer.compare(Buffer.from(a.Key), Buffer.from(b.Key)));
}
