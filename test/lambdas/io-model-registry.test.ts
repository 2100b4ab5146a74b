import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DynamoModelRegistry } from "../../lambdas/io/dynamo-model-registry.ts";
import type { ModelRegistry } from "../../pipeline/store.ts";
import { MemoryModelRegistry } from "../../pipeline/store-memory.ts";
import { startTestServices, type TestServices } from "../support/local-services.ts";
import { modelRegistryCases, sampleRecord } from "../support/model-registry-cases.ts";

let services: TestServices;
let dynamo: ModelRegistry;
beforeAll(async () => {
  services = await startTestServices();
  // Pages of 3 so that listing 7 versions crosses pages.
  dynamo = new DynamoModelRegistry({
    documents: services.clients.documents,
    tableName: services.config.registryTable,
    pageSize: 3,
  });
});
afterAll(async () => {
  await services?.close();
});

const memory = new MemoryModelRegistry();
const implementations: [string, () => ModelRegistry][] = [
  ["in-memory", () => memory],
  ["DynamoDB (dynalite)", () => dynamo],
];

describe.each(implementations)("%s model registry", (_name, registry) => {
  it.each(modelRegistryCases)("$name", ({ run }) => run(registry()));
});

describe("DynamoModelRegistry against dynalite", () => {
  it("pages through Query results to list every version", async () => {
    const pages: number[] = [];
    const real = services.clients.documents;
    const registry = new DynamoModelRegistry({
      documents: {
        async send(command: { constructor: { name: string } }) {
          const out = await real.send(command as never);
          if (command.constructor.name === "QueryCommand") {
            pages.push((out as { Items?: unknown[] }).Items?.length ?? 0);
          }
          return out;
        },
      } as unknown as DynamoDBDocumentClient,
      tableName: services.config.registryTable,
      pageSize: 2,
    });
    for (let i = 0; i < 5; i++) await registry.registerVersion("paged", sampleRecord(i));
    const listed = await registry.listVersions("paged");
    expect(listed.map((v) => v.sequence)).toEqual([5, 4, 3, 2, 1]);
    expect(pages.slice(0, 3)).toEqual([2, 2, 1]);
  });
});
