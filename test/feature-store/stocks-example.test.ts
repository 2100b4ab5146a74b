/**
 * The stocks example end to end, as a user runs it: materialize the stock_prices view
 * incrementally (watermark), train two pipelines that share it with point-in-time features,
 * and serve one with online lookup at every door (HTTP, `orchard predict`, batch scoring).
 *
 * Under the deployed IAM (vitest.config.ts, iam-enforced): materialization runs as the view's
 * role, each step, predict and batch scoring as theirs, with the views the stack grants the
 * pipelines from their specs' `features.from`.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { getFeatures, MATERIALIZE_ROLE, materializeLocal } from "../../cli/features.ts";
import { runLocally, withLocalStores } from "../../cli/local/run-pipeline.ts";
import { predictFile } from "../../cli/predict.ts";
import { predictBatch } from "../../cli/predict-batch.ts";
import { startHttpServer } from "../../cli/serve/http-server.ts";
import { STEP_ACCESS } from "../../infra/access/declarations.ts";
import { runAs } from "../../lambdas/io/caller.ts";
import { StorageAccessDeniedError } from "../../lambdas/io/errors.ts";
import { stepDeps } from "../../lambdas/step-handler.ts";
import { readCsv } from "../../pipeline/data/read-csv.ts";
import { onlineFeatureSet } from "../../pipeline/feature-store/offline.ts";
import { loadViewRecords } from "../../pipeline/feature-store/training-set.ts";
import { ServedModels } from "../../pipeline/serving/served-models.ts";
import { activeEnforcement, type Enforcement } from "../support/iam-enforcement.ts";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "orchard-stocks-"));
  dirs.push(dir);
  return dir;
}

const work = tempDir();
cpSync(new URL("../../examples/stocks/", import.meta.url), work, { recursive: true });
const stateDir = join(work, ".orchard");
const viewsDir = join(work, "features");
const prices = readFileSync(join(work, "prices.csv"), "utf8");

function enforcement(): Enforcement {
  const active = activeEnforcement();
  if (!active) throw new Error("this suite runs under the IAM-enforced project (vitest.config.ts)");
  return active;
}
// What the stack grants from the specs' `features.from` (infra/platform.ts).
enforcement().grantViews("stock-direction", ["stock_prices"]);
enforcement().grantViews("stock-next-return", ["stock_prices"]);

/** The features bucket's and feature table's requests of a role, as `s3://…` / item keys. */
function dataReached(role: string): string[] {
  return enforcement()
    .decisions.filter((d) => d.role === role)
    .flatMap((d) => {
      if (/:s3:::orchard-features/.test(d.resource)) {
        const prefix = d.context["s3:prefix"];
        return [prefix === undefined ? d.resource : `${d.resource}/${String(prefix)}`];
      }
      if (/:table\/orchard-features/.test(d.resource)) {
        return [d.context["dynamodb:LeadingKeys"] ?? []].flat().map((k) => `item ${k}`);
      }
      return [];
    });
}

describe("the stocks example", () => {
  it("materializes incrementally: a watermark, new rows only, then nothing", async () => {
    enforcement().reset();
    // First only the rows up to 2008, as if the later ones had not arrived yet.
    const [head, ...rows] = prices.trim().split("\n");
    const early = rows.filter((r) => r.split(",")[1] < "2009-01-01");
    writeFileSync(join(work, "prices.csv"), `${[head, ...early].join("\n")}\n`);
    const first = await materializeLocal(viewsDir, "stock_prices", stateDir);
    expect(first).toMatchObject({
      changed: true,
      rows: early.length,
      entities: 5,
      watermark: "2008-12-01T00:00:00.000Z",
    });

    writeFileSync(join(work, "prices.csv"), prices);
    const second = await materializeLocal(viewsDir, "stock_prices", stateDir);
    expect(second).toMatchObject({
      changed: true,
      rows: rows.length - early.length,
      watermarkBefore: "2008-12-01T00:00:00.000Z",
      watermark: "2010-03-01T00:00:00.000Z",
    });
    const third = await materializeLocal(viewsDir, "stock_prices", stateDir);
    expect(third).toMatchObject({ changed: false, rows: 0, watermark: "2010-03-01T00:00:00.000Z" });

    // As the view's materialization role: its own offline prefix and online items, nothing else.
    const reached = dataReached("materialize");
    expect(reached.some((r) => r.startsWith("item view:stock_prices#"))).toBe(true);
    expect(reached.some((r) => r.includes("/views/stock_prices/event_date="))).toBe(true);
    for (const r of reached) expect(r).toMatch(/\/views\/stock_prices\/|^item view:stock_prices#/);

    // The windows of the second batch saw the first batch's rows: the same values as one run.
    const records = await withLocalStores(
      stateDir,
      async () => (await loadViewRecords(stepDeps().artifacts, "stock_prices")).records,
    );
    expect(records).toHaveLength(rows.length);
    const aapl = records.filter((r) => r.entityKey === "AAPL");
    const jan09 = aapl.find((r) => r.eventTime === Date.parse("2009-01-01"));
    const last3 = aapl.filter(
      (r) => r.eventTime > Date.parse("2008-10-01") && r.eventTime <= Date.parse("2009-01-01"),
    );
    expect(last3).toHaveLength(3);
    // The 365d window holds exactly twelve monthly rows, whatever the month lengths.
    expect(jan09?.values.months_1y).toBe(12);
    expect(aapl.find((r) => r.eventTime === Date.parse("2008-03-01"))?.values.months_1y).toBe(12);
    expect(jan09?.values.price_mean_3m).toBeCloseTo(
      last3.reduce((s, r) => s + (r.values.price as number), 0) / 3,
      10,
    );
  });

  it("a view's materialization role may not write another view's items", async () => {
    const iam = enforcement();
    iam.reset();
    const write = withLocalStores(stateDir, () =>
      runAs({ role: MATERIALIZE_ROLE, view: "other_view" }, () =>
        stepDeps().features.putLatest(
          onlineFeatureSet("stock_prices"),
          [{ id: "AAPL", values: { price: 0 } }],
          { version: "x", now: new Date() },
        ),
      ),
    );
    await expect(write).rejects.toBeInstanceOf(StorageAccessDeniedError);
    expect(iam.denied.map((d) => [d.role, d.pipeline, d.action])).toEqual([
      ["materialize", "view:other_view", "dynamodb:BatchWriteItem"],
    ]);
    iam.reset();
  });

  it("gets an entity online, and as of a time from the offline store", async () => {
    const online = await getFeatures(
      viewsDir,
      "stock_prices",
      { symbol: "IBM" },
      undefined,
      stateDir,
      () => new Date("2010-03-20T00:00:00Z"),
    );
    expect(online).toMatchObject({
      store: "online",
      found: true,
      eventTime: "2010-03-01T00:00:00.000Z",
    });
    const past = await getFeatures(
      viewsDir,
      "stock_prices",
      { symbol: "IBM" },
      "2005-06-15",
      stateDir,
    );
    expect(past).toMatchObject({
      store: "offline",
      found: true,
      eventTime: "2005-06-01T00:00:00.000Z",
    });
    const expired = await getFeatures(
      viewsDir,
      "stock_prices",
      { symbol: "IBM" },
      undefined,
      stateDir,
      () => new Date("2011-01-01T00:00:00Z"),
    );
    expect(expired).toMatchObject({ found: false, reason: "expired" });
  });

  it("trains two pipelines on the shared view with point-in-time features, recording the view in their lineage", async () => {
    enforcement().reset();
    for (const spec of ["direction.yaml", "next-return.yaml"]) {
      const run = await runLocally({ specPath: join(work, spec), stateDir });
      expect(run.result.status).toBe("SUCCEEDED");
      const lineage = run.state?.ingest?.featureViews;
      expect(lineage).toHaveLength(1);
      expect(lineage?.[0]).toMatchObject({
        view: "stock_prices",
        watermark: "2010-03-01T00:00:00.000Z",
        ttl: "45d",
      });
      // Every label row has a price row the same month: nothing left unmatched.
      expect(lineage?.[0].unmatchedRows).toBe(0);
      expect(run.championAfter?.lineage.featureViews?.[0].version).toBe(lineage?.[0].version);
    }
    // Ingest read the view's offline files (as its own role), and nothing else of the features
    // bucket or table.
    const read = dataReached("ingest");
    expect(read.some((r) => r.endsWith("/views/stock_prices/manifest.json"))).toBe(true);
    for (const r of read) expect(r).toMatch(/\/views\/stock_prices\//);
  });

  it("a pipeline whose Ingest may not read its view fails there, as on AWS", async () => {
    const iam = enforcement();
    const declared = STEP_ACCESS.ingest;
    STEP_ACCESS.ingest = declared.filter((a) => !("views" in a));
    iam.reset();
    try {
      const run = await runLocally({ specPath: join(work, "direction.yaml"), stateDir });
      expect(run.result.status).toBe("FAILED");
      expect(run.result.error).toMatchObject({ state: "Ingest", name: "StorageAccessDeniedError" });
      expect(run.result.error?.message).toContain("views/stock_prices/");
      expect(iam.denied.length).toBeGreaterThan(0);
    } finally {
      STEP_ACCESS.ingest = declared;
      iam.reset();
    }
  });

  it("serves with online lookup: entity keys in, the view's features from the online store", async () => {
    // As `orchard serve` does: the requests it answers run as the predict role.
    await withLocalStores(stateDir, () =>
      runAs({ role: "predict", pipeline: "stock-direction" }, async () => {
        const deps = stepDeps();
        let clock = Date.parse("2010-03-20T00:00:00Z");
        const service = new ServedModels({
          pipeline: "stock-direction",
          registry: deps.registry,
          artifacts: deps.artifacts,
          features: deps.features,
          now: () => clock,
        });
        const server = await startHttpServer({ service, port: 0 });
        try {
          const post = async (rows: unknown[]) => {
            const res = await fetch(`${server.url}/predict`, {
              method: "POST",
              headers: { "content-type": "application/json" },
              body: JSON.stringify({ rows }),
            });
            return {
              status: res.status,
              body: (await res.json()) as { predictions: Record<string, unknown>[] },
            };
          };
          const ok = await post([{ symbol: "AAPL" }, { symbol: "NOPE" }]);
          expect(ok.status).toBe(200);
          expect(ok.body.predictions[0].prediction).toMatch(/^(up|down)$/);
          expect(ok.body.predictions[0].missingFeatures).toBeUndefined();
          expect(ok.body.predictions[1].missingFeatures).toEqual([
            { view: "stock_prices", reason: "unknown-entity" },
          ]);
          clock = Date.parse("2011-01-01T00:00:00Z");
          const stale = await post([{ symbol: "AAPL" }]);
          expect(stale.body.predictions[0].missingFeatures).toEqual([
            { view: "stock_prices", reason: "expired" },
          ]);
        } finally {
          await server.close();
        }
      }),
    );
  });

  it("looks features up the same way at every door: HTTP, orchard predict (CSV, JSON Lines), batch scoring", async () => {
    enforcement().reset();
    const at = new Date("2010-03-20T00:00:00Z");
    const symbols = ["AAPL", "IBM", "NOPE"];
    const dir = tempDir();
    writeFileSync(join(dir, "rows.csv"), `symbol\n${symbols.join("\n")}\n`);
    writeFileSync(
      join(dir, "rows.jsonl"),
      `${symbols.map((symbol) => JSON.stringify({ symbol })).join("\n")}\n`,
    );
    const spec = join(work, "direction.yaml");
    type Out = { prediction: unknown; probabilities?: unknown; missingFeatures?: unknown };
    const strip = (p: Out) => ({
      prediction: p.prediction,
      probabilities: p.probabilities,
      missingFeatures: p.missingFeatures,
    });

    // The online store's values for each entity at that time, carried in the rows themselves:
    // what every door must have looked up.
    const carried: Record<string, unknown>[] = [];
    for (const symbol of symbols) {
      const got = await getFeatures(
        viewsDir,
        "stock_prices",
        { symbol },
        undefined,
        stateDir,
        () => at,
      );
      carried.push({ symbol, ...got.values });
    }
    writeFileSync(
      join(dir, "carried.jsonl"),
      `${carried.map((r) => JSON.stringify(r)).join("\n")}\n`,
    );
    const expected = (
      await predictFile({
        specPath: spec,
        inputPath: join(dir, "carried.jsonl"),
        stateDir,
        now: () => at,
      })
    ).predictions.map(strip);
    expect(expected[0].probabilities).toBeDefined();
    expect(expected.map((p) => p.missingFeatures)).toEqual([
      undefined,
      undefined,
      [{ view: "stock_prices", reason: "unknown-entity" }],
    ]);

    const viaJsonl = (
      await predictFile({
        specPath: spec,
        inputPath: join(dir, "rows.jsonl"),
        stateDir,
        now: () => at,
      })
    ).predictions.map(strip);
    const viaCsv = (
      await predictFile({
        specPath: spec,
        inputPath: join(dir, "rows.csv"),
        stateDir,
        now: () => at,
      })
    ).predictions.map(strip);

    const batchDir = join(dir, "batch");
    mkdirSync(batchDir);
    writeFileSync(join(batchDir, "day.csv"), `symbol\n${symbols.join("\n")}\n`);
    const batch = await predictBatch({
      specPath: spec,
      inputUri: `${pathToFileURL(batchDir).href}/`,
      stateDir,
      now: () => at,
    });
    expect(batch.rowCount).toBe(3);
    const out = readCsv(readFileSync(join(batchDir, "day.predictions.csv")), "day.predictions.csv");
    const col = (name: string) => out.columns[out.names.indexOf(name)];
    const labels = Object.keys(expected[0].probabilities as object);
    const viaBatch = symbols.map((_, r) => ({
      prediction: col("prediction")[r],
      probabilities: Object.fromEntries(labels.map((l) => [l, Number(col(`probability_${l}`)[r])])),
      missingFeatures: col("_missing_features")[r]
        ? [{ view: "stock_prices", reason: String(col("_missing_features")[r]).split(":")[1] }]
        : undefined,
    }));
    expect(col("_missing_features")[2]).toBe("stock_prices:unknown-entity");

    const viaHttp = await withLocalStores(stateDir, () =>
      runAs({ role: "predict", pipeline: "stock-direction" }, async () => {
        const deps = stepDeps();
        const service = new ServedModels({
          pipeline: "stock-direction",
          registry: deps.registry,
          artifacts: deps.artifacts,
          features: deps.features,
          now: () => at.getTime(),
        });
        const server = await startHttpServer({ service, port: 0 });
        try {
          const res = await fetch(`${server.url}/predict`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ rows: symbols.map((symbol) => ({ symbol })) }),
          });
          return ((await res.json()) as { predictions: Out[] }).predictions.map(strip);
        } finally {
          await server.close();
        }
      }),
    );

    for (const [door, got] of Object.entries({ viaHttp, viaJsonl, viaCsv, viaBatch })) {
      expect(got, door).toEqual(expected);
    }
    // Each door read as its own role: predict and batch scoring, each only the view's items.
    for (const role of ["predict", "batchScore"]) {
      const items = dataReached(role).filter((r) => r.startsWith("item "));
      expect(items.length, role).toBeGreaterThan(0);
      for (const r of items) expect(r).toMatch(/^item view:stock_prices#/);
    }
  });
});
