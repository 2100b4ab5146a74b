import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DynamoFeatureStore } from "../../lambdas/io/dynamo-feature-store.ts";
import type { FeatureStore } from "../../pipeline/store.ts";
import { MemoryFeatureStore } from "../../pipeline/store-memory.ts";
import { featureStoreCases } from "../support/feature-store-cases.ts";
import { startTestServices, type TestServices } from "../support/local-services.ts";

let services: TestServices;
beforeAll(async () => {
  services = await startTestServices();
});
afterAll(async () => {
  await services?.close();
});

const memory = new MemoryFeatureStore();
const implementations: [string, () => FeatureStore][] = [
  ["in-memory", () => memory],
  ["DynamoDB (dynalite)", () => services.stores.features],
];

describe.each(implementations)("%s feature store", (_name, store) => {
  it.each(featureStoreCases)("$name", ({ run }) => run(store()));
});

/** A document client that records each batch request's size before sending it on. */
function countingClient(sizes: { op: string; n: number }[]): DynamoDBDocumentClient {
  const real = services.clients.documents;
  return {
    send(command: { input: { RequestItems: Record<string, unknown[] | { Keys: unknown[] }> } }) {
      for (const value of Object.values(command.input.RequestItems)) {
        const n = Array.isArray(value) ? value.length : value.Keys.length;
        sizes.push({ op: command.constructor.name, n });
      }
      return real.send(command as never);
    },
  } as unknown as DynamoDBDocumentClient;
}

describe("DynamoFeatureStore against dynalite", () => {
  it("writes 25 items per BatchWriteItem and reads 100 keys per BatchGetItem", async () => {
    const sizes: { op: string; n: number }[] = [];
    const store = new DynamoFeatureStore({
      documents: countingClient(sizes),
      tableName: services.config.featureTable,
    });
    const rows = Array.from({ length: 230 }, (_, i) => ({ id: `e${i}`, values: { i } }));
    await store.putLatest("chunks", rows, { version: "f1" });
    const got = await store.getLatest(
      "chunks",
      rows.map((r) => r.id),
    );
    expect(got.size).toBe(230);
    const writes = sizes.filter((s) => s.op === "BatchWriteCommand").map((s) => s.n);
    const reads = sizes.filter((s) => s.op === "BatchGetCommand").map((s) => s.n);
    expect(writes.sort((a, b) => b - a)).toEqual([25, 25, 25, 25, 25, 25, 25, 25, 25, 5]);
    expect(reads.sort((a, b) => b - a)).toEqual([100, 100, 30]);
  });
});
