import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { batchGetAll, batchWriteAll, chunk } from "../../lambdas/io/batch.ts";
import { StorageUnavailableError } from "../../lambdas/io/errors.ts";

type Item = Record<string, unknown>;

/**
 * A fake document client: keeps items by `pk`, and for the first `throttledCalls` calls
 * processes only the first `processPerCall` requests, returning the rest as unprocessed
 * (what DynamoDB does under throttling).
 */
function fakeDocuments(options: { throttledCalls: number; processPerCall: number }) {
  const table = new Map<unknown, Item>();
  const calls: { op: string; size: number }[] = [];
  const client = {
    async send(command: { constructor: { name: string }; input: { RequestItems: Item } }) {
      const op = command.constructor.name;
      const [name, request] = Object.entries(command.input.RequestItems)[0];
      const throttled = calls.length < options.throttledCalls;
      if (op === "BatchWriteCommand") {
        const requests = request as { PutRequest: { Item: Item } }[];
        calls.push({ op, size: requests.length });
        const done = throttled ? requests.slice(0, options.processPerCall) : requests;
        for (const r of done) table.set(r.PutRequest.Item.pk, r.PutRequest.Item);
        const rest = requests.slice(done.length);
        return { UnprocessedItems: rest.length ? { [name]: rest } : {} };
      }
      const keys = (request as { Keys: Item[] }).Keys;
      calls.push({ op, size: keys.length });
      const done = throttled ? keys.slice(0, options.processPerCall) : keys;
      const rest = keys.slice(done.length);
      return {
        Responses: { [name]: done.map((k) => table.get(k.pk)).filter(Boolean) },
        UnprocessedKeys: rest.length ? { [name]: { Keys: rest } } : {},
      };
    },
  };
  return { documents: client as unknown as DynamoDBDocumentClient, table, calls };
}

const puts = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ PutRequest: { Item: { pk: `k${i}`, v: i } } }));

describe("chunk", () => {
  it("splits into pieces of at most the size that concatenate back to the input", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer(), { maxLength: 300 }),
        fc.integer({ min: 1, max: 120 }),
        (xs, size) => {
          const pieces = chunk(xs, size);
          expect(pieces.flat()).toEqual(xs);
          expect(pieces.every((p) => p.length >= 1 && p.length <= size)).toBe(true);
          expect(pieces.slice(0, -1).every((p) => p.length === size)).toBe(true);
        },
      ),
    );
  });
});

describe("batchWriteAll", () => {
  it("sends unprocessed items again until every item is written", async () => {
    const fake = fakeDocuments({ throttledCalls: 3, processPerCall: 10 });
    const delays: number[] = [];
    await batchWriteAll(fake.documents, "t", puts(25), {
      sleep: async (ms) => {
        delays.push(ms);
      },
    });
    expect(fake.table.size).toBe(25);
    expect(fake.calls.map((c) => c.size)).toEqual([25, 15, 5]);
    expect(delays).toEqual([50, 100]);
  });

  it("gives up with StorageUnavailableError naming the table after maxAttempts", async () => {
    const fake = fakeDocuments({ throttledCalls: 100, processPerCall: 0 });
    const err = await batchWriteAll(fake.documents, "features-table", puts(3), {
      maxAttempts: 4,
      sleep: async () => {},
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StorageUnavailableError);
    expect((err as Error).message).toContain("features-table");
    expect(fake.calls.length).toBe(4);
  });

  it.each([
    [0, []],
    [25, [25]],
    [26, [25, 1]],
    [60, [25, 25, 10]],
  ])("splits %i writes into batches of %j", async (n, sizes) => {
    const fake = fakeDocuments({ throttledCalls: 0, processPerCall: 0 });
    await batchWriteAll(fake.documents, "t", puts(n));
    expect(fake.calls.map((c) => c.size).sort((a, b) => b - a)).toEqual(sizes);
  });
});

describe("batchGetAll", () => {
  it("sends unprocessed keys again and returns every item once", async () => {
    const fake = fakeDocuments({ throttledCalls: 0, processPerCall: 0 });
    await batchWriteAll(fake.documents, "t", puts(150));
    const reading = fakeDocuments({ throttledCalls: 2, processPerCall: 30 });
    for (const [k, v] of fake.table) reading.table.set(k, v);
    const keys = Array.from({ length: 150 }, (_, i) => ({ pk: `k${i}` }));
    const items = await batchGetAll(reading.documents, "t", keys, {
      concurrency: 1,
      sleep: async () => {},
    });
    expect(items.map((i) => i.pk).sort()).toEqual(keys.map((k) => k.pk).sort());
    expect(reading.calls.map((c) => c.size)).toEqual([100, 70, 40, 50]);
  });
});
