/**
 * The stocks example end to end, as a user runs it: materialize the stock_prices view
 * incrementally (watermark), train two pipelines that share it with point-in-time features,
 * and serve one with online lookup over HTTP.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { getFeatures, materializeLocal } from "../../cli/features.ts";
import { runLocally, withLocalStores } from "../../cli/local/run-pipeline.ts";
import { startHttpServer } from "../../cli/serve/http-server.ts";
import { stepDeps } from "../../lambdas/step-handler.ts";
import { loadViewRecords } from "../../pipeline/feature-store/training-set.ts";
import { ServedModels } from "../../pipeline/serving/served-models.ts";

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

describe("the stocks example", () => {
  it("materializes incrementally: a watermark, new rows only, then nothing", async () => {
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
  });

  it("serves with online lookup: entity keys in, the view's features from the online store", async () => {
    await withLocalStores(stateDir, async () => {
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
    });
  });
});
