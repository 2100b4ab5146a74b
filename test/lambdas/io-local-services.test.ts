import { rm } from "node:fs/promises";
import { ListTablesCommand } from "@aws-sdk/client-dynamodb";
import { ListBucketsCommand } from "@aws-sdk/client-s3";
import { afterEach, describe, expect, it } from "vitest";
import { LOCAL_NAMES, LocalServicesError, startLocalServices } from "../../cli/local/servers.ts";
import { readStorageConfig, STORAGE_ENV } from "../../lambdas/io/env.ts";
import { makeStateDir, startTestServices, type TestServices } from "../support/local-services.ts";
import { sampleRecord } from "../support/model-registry-cases.ts";

const open: TestServices[] = [];
const dirs: string[] = [];

async function start(stateDir?: string): Promise<TestServices> {
  const s = await startTestServices(stateDir);
  open.push(s);
  return s;
}

async function stop(s: TestServices): Promise<void> {
  open.splice(open.indexOf(s), 1);
  await s.close({ keep: true });
}

async function freshDir(): Promise<string> {
  const dir = await makeStateDir();
  dirs.push(dir);
  return dir;
}

afterEach(async () => {
  for (const s of open.splice(0)) await s.close({ keep: true });
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function inventory(s: TestServices) {
  const buckets = await s.clients.s3.send(new ListBucketsCommand({}));
  const tables = await s.clients.dynamodb.send(new ListTablesCommand({}));
  return {
    buckets: (buckets.Buckets ?? []).map((b) => b.Name).sort(),
    tables: (tables.TableNames ?? []).sort(),
  };
}

const EXPECTED_INVENTORY = {
  buckets: [LOCAL_NAMES.artifactsBucket, LOCAL_NAMES.featuresBucket, LOCAL_NAMES.rawBucket],
  tables: [LOCAL_NAMES.featureTable, LOCAL_NAMES.registryTable],
};

describe("startLocalServices", () => {
  it("returns every ORCHARD_* variable, pointing at loopback servers on free ports", async () => {
    const s = await start(await freshDir());
    for (const name of Object.values(STORAGE_ENV)) expect(s.services.env[name]).toBeTruthy();
    const config = readStorageConfig(s.services.env);
    for (const url of [config.s3Endpoint, config.dynamodbEndpoint]) {
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(url).not.toMatch(/:0$/);
    }
    expect(s.services.env.AWS_REGION).toBeTruthy();
  });

  it("creates the three buckets and two tables", async () => {
    const s = await start(await freshDir());
    expect(await inventory(s)).toEqual(EXPECTED_INVENTORY);
  });

  it("starts again on the same state directory without error or duplicates", async () => {
    const dir = await freshDir();
    await stop(await start(dir));
    await stop(await start(dir));
    const third = await start(dir);
    expect(await inventory(third)).toEqual(EXPECTED_INVENTORY);
  });

  it("keeps artifacts, feature rows and the registry across a stop and start", async () => {
    const dir = await freshDir();
    const first = await start(dir);
    const bytes = new TextEncoder().encode("persisted");
    const put = await first.stores.artifacts.putContent("raw", "keep", bytes, "txt");
    await first.stores.features.putLatest("keep", [{ id: "e1", values: { x: 1 } }], {
      version: "f1",
    });
    await first.stores.registry.registerVersion("keep", sampleRecord(0.9));
    await first.stores.registry.promote("keep", "v1", { expectedChampion: null });
    await stop(first);

    const second = await start(dir);
    expect(await second.stores.artifacts.get(put.uri)).toEqual(bytes);
    expect((await second.stores.artifacts.putContent("raw", "keep", bytes, "txt")).created).toBe(
      false,
    );
    expect((await second.stores.features.getLatest("keep", ["e1"])).get("e1")?.values).toEqual({
      x: 1,
    });
    expect((await second.stores.registry.getChampion("keep"))?.version).toBe("v1");
    expect((await second.stores.registry.registerVersion("keep", sampleRecord(0.8))).version).toBe(
      "v2",
    );
  });

  it("runs two instances on different state directories side by side", async () => {
    const a = await start(await freshDir());
    const b = await start(await freshDir());
    expect(a.services.endpoints.s3).not.toBe(b.services.endpoints.s3);
    expect(a.services.endpoints.dynamodb).not.toBe(b.services.endpoints.dynamodb);
    await a.stores.registry.registerVersion("side", sampleRecord(0.5));
    expect(await b.stores.registry.listVersions("side")).toEqual([]);
  });

  it("refuses a state directory another running instance holds, with LocalServicesError", async () => {
    const dir = await freshDir();
    await start(dir);
    const err = await startLocalServices({ stateDir: dir }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LocalServicesError);
    expect((err as Error).message).toContain("in use");
  });

  it("stop can be called twice", async () => {
    const services = await startLocalServices({ stateDir: await freshDir() });
    await services.stop();
    await expect(services.stop()).resolves.toBeUndefined();
  });
});
