/**
 * `ArtifactStore` over S3. Content keys are checked with HeadObject before the write, so an
 * existing object is never rewritten; writes go through lib-storage `Upload`, which sends one
 * PutObject for small bodies and a multipart upload for bodies above `partSize`.
 *
 * Content writes carry `If-None-Match: *`: S3 never replaces an existing content key, and the
 * raw bucket's grant (`grantCreateContent`) admits no write without it, so a raw snapshot
 * cannot be overwritten by the role that creates it. Two concurrent writers of the same new
 * bytes: on AWS the second gets 412 PreconditionFailed (or 409 while the first is still in
 * flight), read here as "already there"; s3rver ignores the header and both write identical
 * bytes to the identical key, only `created` may be true for both.
 *
 * On AWS, HeadObject of a missing key answers 403 instead of 404 unless the caller may
 * `s3:ListBucket` the prefix: grant it, or `exists` and `putContent` fail with AccessDenied.
 */

import {
  GetObjectCommand,
  HeadObjectCommand,
  type PutObjectCommandInput,
  type S3Client,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import {
  type ArtifactStore,
  type BucketNames,
  contentKey,
  formatS3Uri,
  notFound,
  type PutContentResult,
  parseS3Uri,
  type StorageArea,
  type StoredObject,
  sha256Hex,
  verifyContentAddress,
} from "../../pipeline/store.ts";
import { httpStatusOf, isNotFound, withStorageErrors } from "./errors.ts";

export interface S3ArtifactStoreOptions {
  client: S3Client;
  buckets: BucketNames;
  /** Multipart part size in bytes (S3 minimum and default: 5 MiB). */
  partSize?: number;
  /** Parts uploaded in parallel. */
  queueSize?: number;
}

const CONTENT_TYPES: Record<string, string> = {
  csv: "text/csv",
  json: "application/json",
  jsonl: "application/x-ndjson",
  parquet: "application/vnd.apache.parquet",
  html: "text/html; charset=utf-8",
  md: "text/markdown; charset=utf-8",
  txt: "text/plain; charset=utf-8",
};

function contentTypeOf(key: string): string {
  const ext = /\.([^./]+)$/.exec(key)?.[1]?.toLowerCase() ?? "";
  return CONTENT_TYPES[ext] ?? "application/octet-stream";
}

export class S3ArtifactStore implements ArtifactStore {
  private readonly client: S3Client;
  private readonly buckets: BucketNames;
  private readonly partSize: number;
  private readonly queueSize: number;

  constructor(options: S3ArtifactStoreOptions) {
    this.client = options.client;
    this.buckets = options.buckets;
    this.partSize = options.partSize ?? 5 * 1024 * 1024;
    this.queueSize = options.queueSize ?? 4;
  }

  uriFor(area: StorageArea, key: string): string {
    return formatS3Uri(this.buckets[area], key);
  }

  async putContent(
    area: StorageArea,
    prefix: string,
    bytes: Uint8Array,
    ext: string,
  ): Promise<PutContentResult> {
    const sha256 = sha256Hex(bytes);
    const key = contentKey(prefix, sha256, ext);
    const uri = this.uriFor(area, key);
    const stored = { uri, key, sha256, size: bytes.byteLength };
    if (await this.exists(uri)) return { ...stored, created: false };
    try {
      await this.upload(uri, bytes, sha256, { createOnly: true });
    } catch (err) {
      if (lostCreateRace(err)) return { ...stored, created: false };
      throw err;
    }
    return { ...stored, created: true };
  }

  async put(area: StorageArea, key: string, bytes: Uint8Array): Promise<StoredObject> {
    const uri = this.uriFor(area, key);
    const sha256 = sha256Hex(bytes);
    await this.upload(uri, bytes, sha256);
    return { uri, key: parseS3Uri(uri).key, sha256, size: bytes.byteLength };
  }

  async get(uri: string): Promise<Uint8Array> {
    const { bucket, key } = parseS3Uri(uri);
    const bytes = await withStorageErrors({ operation: "S3 GetObject", uri }, async () => {
      const out = await this.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      if (!out.Body) throw notFound(uri);
      return out.Body.transformToByteArray();
    });
    verifyContentAddress(uri, bytes);
    return bytes;
  }

  async exists(uri: string): Promise<boolean> {
    const { bucket, key } = parseS3Uri(uri);
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      return withStorageErrors({ operation: "S3 HeadObject", resource: uri }, () =>
        Promise.reject(err),
      );
    }
  }

  private async upload(
    uri: string,
    bytes: Uint8Array,
    sha256: string,
    options: { createOnly?: boolean } = {},
  ): Promise<void> {
    const { bucket, key } = parseS3Uri(uri);
    const params: PutObjectCommandInput = {
      Bucket: bucket,
      Key: key,
      Body: bytes,
      ContentType: contentTypeOf(key),
      Metadata: { sha256 },
      // lib-storage sends it on PutObject, or on CompleteMultipartUpload for a multipart body.
      ...(options.createOnly ? { IfNoneMatch: "*" } : {}),
    };
    await withStorageErrors({ operation: "S3 upload", resource: uri }, () =>
      new Upload({
        client: this.client,
        params,
        partSize: this.partSize,
        queueSize: this.queueSize,
        leavePartsOnError: false,
      }).done(),
    );
  }
}

/**
 * A create-only write found the key already there (412), or another create-only write of it
 * in flight (409 ConditionalRequestConflict): for a content key, the same bytes are stored.
 */
function lostCreateRace(err: unknown): boolean {
  const name = (err as { name?: string } | null)?.name;
  const status = httpStatusOf(err);
  return (
    name === "PreconditionFailed" ||
    name === "ConditionalRequestConflict" ||
    status === 412 ||
    status === 409
  );
}
