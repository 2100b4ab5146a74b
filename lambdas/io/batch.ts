/**
 * BatchWriteItem / BatchGetItem over any number of items: chunks of 25 writes and 100 keys
 * (the DynamoDB limits), a few chunks in flight, and unprocessed items/keys sent again with
 * exponential backoff. DynamoDB returns unprocessed items when a partition is throttled, so
 * running out of attempts is a `StorageUnavailableError` (the state machine retries it).
 * No jitter: the SDK already jitters its own retries, and the schedule stays reproducible.
 */

import {
  BatchGetCommand,
  type BatchGetCommandOutput,
  BatchWriteCommand,
  type BatchWriteCommandOutput,
  type DynamoDBDocumentClient,
} from "@aws-sdk/lib-dynamodb";
import { StorageUnavailableError, withStorageErrors } from "./errors.ts";

export const MAX_BATCH_WRITE = 25;
export const MAX_BATCH_GET = 100;

type Item = Record<string, unknown>;
type WriteRequest = { PutRequest?: { Item: Item }; DeleteRequest?: { Key: Item } };

export interface BatchOptions {
  /** Sends of one chunk, the first included. */
  maxAttempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Chunks in flight at once. */
  concurrency?: number;
  sleep?: (ms: number) => Promise<void>;
}

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

async function runPool<T>(tasks: T[], limit: number, run: (task: T) => Promise<void>) {
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const task = tasks[next++];
      await run(task);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
}

function settings(options: BatchOptions) {
  return {
    maxAttempts: options.maxAttempts ?? 8,
    baseDelayMs: options.baseDelayMs ?? 50,
    maxDelayMs: options.maxDelayMs ?? 2000,
    concurrency: options.concurrency ?? 4,
    sleep: options.sleep ?? defaultSleep,
  };
}

function exhausted(operation: string, table: string, left: number, attempts: number) {
  return new StorageUnavailableError(
    `DynamoDB ${operation} on table ${table}: ${left} item(s) still unprocessed after ${attempts} ` +
      "attempts (the table is throttled). The step will be retried.",
  );
}

/** Writes every request, retrying unprocessed ones. */
export async function batchWriteAll(
  documents: DynamoDBDocumentClient,
  table: string,
  requests: WriteRequest[],
  options: BatchOptions = {},
): Promise<void> {
  const s = settings(options);
  await runPool(chunk(requests, MAX_BATCH_WRITE), s.concurrency, async (batch) => {
    let pending = batch;
    for (let attempt = 1; pending.length > 0; attempt++) {
      if (attempt > s.maxAttempts) {
        throw exhausted("BatchWriteItem", table, pending.length, s.maxAttempts);
      }
      if (attempt > 1) {
        await s.sleep(Math.min(s.maxDelayMs, s.baseDelayMs * 2 ** (attempt - 2)));
      }
      const out: BatchWriteCommandOutput = await withStorageErrors(
        { operation: "DynamoDB BatchWriteItem", resource: table },
        () => documents.send(new BatchWriteCommand({ RequestItems: { [table]: pending } })),
      );
      pending = (out.UnprocessedItems?.[table] as WriteRequest[] | undefined) ?? [];
    }
  });
}

/** Reads every key (missing items are simply absent), retrying unprocessed keys. */
export async function batchGetAll(
  documents: DynamoDBDocumentClient,
  table: string,
  keys: Item[],
  options: BatchOptions & { consistentRead?: boolean } = {},
): Promise<Item[]> {
  const s = settings(options);
  const items: Item[] = [];
  await runPool(chunk(keys, MAX_BATCH_GET), s.concurrency, async (batch) => {
    let pending = batch;
    for (let attempt = 1; pending.length > 0; attempt++) {
      if (attempt > s.maxAttempts) {
        throw exhausted("BatchGetItem", table, pending.length, s.maxAttempts);
      }
      if (attempt > 1) {
        await s.sleep(Math.min(s.maxDelayMs, s.baseDelayMs * 2 ** (attempt - 2)));
      }
      const out: BatchGetCommandOutput = await withStorageErrors(
        { operation: "DynamoDB BatchGetItem", resource: table },
        () =>
          documents.send(
            new BatchGetCommand({
              RequestItems: {
                [table]: { Keys: pending, ConsistentRead: options.consistentRead ?? true },
              },
            }),
          ),
      );
      items.push(...((out.Responses?.[table] as Item[] | undefined) ?? []));
      pending = (out.UnprocessedKeys?.[table]?.Keys as Item[] | undefined) ?? [];
    }
  });
  return items;
}
