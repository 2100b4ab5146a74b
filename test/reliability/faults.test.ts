/**
 * Injected storage faults (lambdas/io/faults.ts): the options read from the environment, the
 * errors the SDK makes of them against real local S3 and DynamoDB, and whole runs — at 20 %
 * the example still succeeds through the SDK's and the state machine's retries and trains the
 * same model; at 100 % it fails cleanly in Ingest, the first step that needs storage.
 */
import { copyFile, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { resetRunCounters, runCounters } from "../../cli/local/run-counters.ts";
import { type LocalRun, runLocally } from "../../cli/local/run-pipeline.ts";
import { createStorageClients, destroyStorageClients } from "../../lambdas/io/clients.ts";
import { ConfigError, toStorageError } from "../../lambdas/io/errors.ts";
import {
  FAULT_ENV,
  faultOptionsFromEnv,
  resetStorageCallStats,
  storageCallStats,
} from "../../lambdas/io/faults.ts";
import { buildDefinition } from "../../pipeline/workflow/definition.ts";
import { localResources } from "../../pipeline/workflow/steps.ts";
import { startTestServices, type TestServices } from "../support/local-services.ts";
import { orchard, REPO } from "./support.ts";

describe("fault options from the environment", () => {
  it.each([
    [undefined, undefined, null],
    ["0", undefined, null],
    ["0.2", undefined, { rate: 0.2, seed: 1 }],
    ["20%", "7", { rate: 0.2, seed: 7 }],
    ["1", "0", { rate: 1, seed: 0 }],
  ])("rate %s, seed %s → %j", (rate, seed, expected) => {
    expect(faultOptionsFromEnv({ [FAULT_ENV.rate]: rate, [FAULT_ENV.seed]: seed })).toEqual(
      expected,
    );
  });

  it.each([
    ["1.5", undefined, /ORCHARD_FAULT_RATE is "1.5": use a share from 0 to 1/],
    ["lots", undefined, /ORCHARD_FAULT_RATE is "lots"/],
    ["0.2", "-3", /ORCHARD_FAULT_SEED is "-3": use an integer/],
  ])("rate %s, seed %s → ConfigError", (rate, seed, message) => {
    expect(() => faultOptionsFromEnv({ [FAULT_ENV.rate]: rate, [FAULT_ENV.seed]: seed })).toThrow(
      ConfigError,
    );
    expect(() => faultOptionsFromEnv({ [FAULT_ENV.rate]: rate, [FAULT_ENV.seed]: seed })).toThrow(
      message,
    );
  });
});

describe("the fault layer against local S3 and DynamoDB", () => {
  let services: TestServices;

  beforeAll(async () => {
    services = await startTestServices();
  });
  afterAll(async () => {
    await services.close();
  });
  afterEach(() => {
    resetStorageCallStats();
  });

  const faulty = (rate: number, seed = 1) => createStorageClients(services.config, { rate, seed });

  it("at 100 %: every attempt fails with a service error, the SDK tries 3 times, nothing is written", async () => {
    const clients = faulty(1);
    const bucket = services.config.buckets.artifacts;
    const names = new Set<string>();
    try {
      for (let i = 0; i < 6; i++) {
        const err = await clients.s3
          .send(new PutObjectCommand({ Bucket: bucket, Key: `f/${i}`, Body: "x" }))
          .catch((e) => e);
        names.add(err.name);
        expect(err.$metadata).toMatchObject({ attempts: 3 });
        expect(toStorageError(err, { operation: "S3 PutObject" })).toMatchObject({
          name: "StorageUnavailableError",
        });
      }
      const err = await clients.documents
        .send(
          new GetCommand({
            TableName: services.config.registryTable,
            Key: { pipeline: "p", sk: "x" },
          }),
        )
        .catch((e) => e);
      expect([
        "InternalServerError",
        "ServiceUnavailableException",
        "ThrottlingException",
      ]).toContain(err.name);
      // DynamoDB's SDK default allows more attempts than S3's 3.
      expect(err.$metadata.attempts).toBeGreaterThanOrEqual(3);
    } finally {
      destroyStorageClients(clients);
    }
    for (const name of names)
      expect(["InternalError", "ServiceUnavailable", "SlowDown"]).toContain(name);
    const stats = storageCallStats();
    expect(stats).toMatchObject({ calls: 7, failedCalls: 7, faultsInjected: stats.attempts });
    expect(stats.sdkRetries).toBe(stats.attempts - 7);
    const check = await services.clients.s3
      .send(new GetObjectCommand({ Bucket: bucket, Key: "f/0" }))
      .catch((e) => e);
    expect(check.name).toBe("NoSuchKey");
  });

  it.concurrent("at 30 %: the same seed meets the same faults, and the SDK's retries carry the calls", async ({
    expect,
  }) => {
    const pattern = async (seed: number) => {
      resetStorageCallStats();
      const clients = faulty(0.3, seed);
      const bucket = services.config.buckets.artifacts;
      const outcome: string[] = [];
      try {
        for (let i = 0; i < 12; i++) {
          const r = await clients.s3
            .send(new PutObjectCommand({ Bucket: bucket, Key: `s/${seed}/${i}`, Body: `v${i}` }))
            .then((o) => `ok${o.$metadata.attempts}`)
            .catch((e) => `failed${e.$metadata?.attempts}`);
          outcome.push(r);
        }
      } finally {
        destroyStorageClients(clients);
      }
      return { outcome, stats: storageCallStats() };
    };
    const a = await pattern(5);
    const b = await pattern(5);
    expect(b.outcome).toEqual(a.outcome);
    expect(a.stats.faultsInjected).toBeGreaterThan(0);
    expect(a.stats.attempts).toBe(a.stats.calls + a.stats.sdkRetries);
    expect(a.outcome.filter((o) => o.startsWith("ok")).length).toBeGreaterThanOrEqual(10);
  });

  // A spawned process: its counters are its own, so it may overlap the test above.
  it.concurrent("orchard run with ORCHARD_FAULT_RATE=0.2 says how many retries were needed", async ({
    expect,
  }) => {
    const work = await mkdtemp(join(tmpdir(), "orchard-faults-cli-"));
    await exampleProject(work);
    const r = await orchard(["run", "pipeline.yaml", "--state-dir", "cli-state", "--no-progress"], {
      cwd: work,
      env: { [FAULT_ENV.rate]: "0.2", [FAULT_ENV.seed]: "5" },
    });
    expect(r.code, r.stderr).toBe(0);
    const line = r.stdout.split("\n").find((l) => l.startsWith("  retries"));
    expect(line).toMatch(
      /^ {2}retries {5}(\d+) by the AWS SDK \((\d+) storage calls, (\d+) injected faults\), (\d+) by the state machine/,
    );
    const [, sdk, , faults] = /(\d+) by the AWS SDK \((\d+) storage calls, (\d+) injected/.exec(
      line as string,
    ) as RegExpExecArray;
    expect(Number(faults)).toBeGreaterThan(0);
    expect(Number(sdk)).toBeGreaterThan(0);
    await rm(work, { recursive: true, force: true });
  });
});

/** A small copy of the example: same data, fewer trees, so a run takes about a second. */
async function exampleProject(dir: string): Promise<string> {
  const spec = join(REPO, "examples", "penguins", "pipeline.yaml");
  const text = (await import("node:fs/promises")).readFile(spec, "utf8");
  await writeFile(join(dir, "pipeline.yaml"), (await text).replace("trees: 100", "trees: 20"));
  await copyFile(join(REPO, "examples", "penguins", "penguins.csv"), join(dir, "penguins.csv"));
  return join(dir, "pipeline.yaml");
}

/** Zero waits between the state machine's retries, for every state of the definition. */
function noRetryWaits(): Record<string, number> {
  const states = Object.keys(
    buildDefinition({ pipeline: "penguins" }, localResources("penguins")).States,
  );
  return Object.fromEntries([...states, "TrainCandidate"].map((s) => [s, 0]));
}

describe("runs with injected faults", () => {
  let work: string;
  let spec: string;
  let clean: LocalRun;
  const saved = { ...process.env };

  const runWith = async (rate: string | undefined, seed: string, state: string) => {
    if (rate === undefined) delete process.env[FAULT_ENV.rate];
    else process.env[FAULT_ENV.rate] = rate;
    process.env[FAULT_ENV.seed] = seed;
    process.env.ORCHARD_STEP_CACHE = "off";
    resetRunCounters();
    try {
      const run = await runLocally({
        specPath: spec,
        stateDir: join(work, state),
        retryIntervalOverrides: noRetryWaits(),
      });
      return { run, counters: runCounters(run) };
    } finally {
      process.env = { ...saved };
    }
  };

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), "orchard-faults-"));
    spec = await exampleProject(work);
    clean = (await runWith(undefined, "1", "clean")).run;
    expect(clean.result.status).toBe("SUCCEEDED");
  });
  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it.each(["1"])(
    "at 20 percent faults (seed %s) the run succeeds through retries and trains the same model",
    async (seed) => {
      const { run, counters } = await runWith("0.2", seed, `f20-${seed}`);
      expect(run.result.status, JSON.stringify(run.result.error)).toBe("SUCCEEDED");
      expect(run.state?.promote?.promoted).toBe(true);
      expect(run.championAfter?.version).toBe("v1");
      expect(run.state?.select?.metrics).toEqual(clean.state?.select?.metrics);
      expect(run.state?.select?.best).toEqual(clean.state?.select?.best);
      expect(counters.storage.faultsInjected).toBeGreaterThan(0);
      expect(counters.storage.sdkRetries).toBeGreaterThan(0);
      // Every fault was met by a retry: of the SDK, or of the state machine once the SDK gave up.
      expect(counters.storage.sdkRetries + counters.stateRetries.total).toBeGreaterThanOrEqual(
        counters.storage.faultsInjected - counters.storage.failedCalls,
      );
    },
  );

  it("at 100 % the run fails in Ingest with StorageUnavailableError after the state machine's retries", async () => {
    const { run, counters } = await runWith("1", "1", "f100");
    expect(run.result.status).toBe("FAILED");
    expect(run.result.error).toMatchObject({ state: "Ingest", name: "StorageUnavailableError" });
    expect(run.result.error?.message).toMatch(/failed after retries \(\w+, HTTP \d{3}\)/);
    expect(run.result.states.find((s) => s.name === "Ingest")?.attempts).toBe(4);
    expect(counters.stateRetries.where).toContain("Ingest ×3");
    expect(run.championAfter).toBeNull();
    expect(run.result.states.map((s) => s.name)).not.toContain("Validate");
  });
});
