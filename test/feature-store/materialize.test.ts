import { describe, expect, it } from "vitest";
import { readParquet } from "../../pipeline/data/read-parquet.ts";
import { materializeView } from "../../pipeline/feature-store/materialize.ts";
import {
  manifestKey,
  onlineFeatureSet,
  readManifest,
} from "../../pipeline/feature-store/offline.ts";
import { parseView } from "../../pipeline/feature-store/parse-view.ts";
import { indexRecords, pointInTimeJoin } from "../../pipeline/feature-store/point-in-time.ts";
import { loadViewRecords } from "../../pipeline/feature-store/training-set.ts";
import { lookupOnlineFeatures } from "../../pipeline/serving/online-features.ts";
import { MemoryArtifactStore, MemoryFeatureStore } from "../../pipeline/store-memory.ts";

const VIEW = parseView(
  `name: spend
owner: team-a
entities: [customer]
timestamp: at
source: { uri: spend.csv }
ttl: 2d
features:
  - name: amount
  - name: amount_sum_7d
    column: amount
    aggregate: sum
    window: 7d
  - name: share_7d
    expression: ratio(amount, amount_sum_7d)
  - name: size
    expression: bin(amount, [5])
`,
  { file: "features/spend.yaml" },
);

const HEADER = "customer,at,amount\n";
const FIRST = "c1,2024-01-01T10:00:00Z,5\nc2,2024-01-01T11:00:00Z,7\nc1,2024-01-02T09:00:00Z,3\n";
const LATER = "c1,2024-01-03T09:00:00Z,10\nc3,2024-01-04T00:00:00Z,1\n";

function setup(now = "2024-01-05T00:00:00Z") {
  const artifacts = new MemoryArtifactStore();
  const features = new MemoryFeatureStore();
  let source = HEADER + FIRST;
  let writes = 0;
  const countingArtifacts = new Proxy(artifacts, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver);
      if (prop === "put" || prop === "putContent") {
        return (...args: unknown[]) => {
          writes++;
          return (v as (...a: unknown[]) => unknown).apply(target, args);
        };
      }
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
  const putLatest = features.putLatest.bind(features);
  features.putLatest = async (...args) => {
    writes++;
    return putLatest(...args);
  };
  const deps = {
    artifacts: countingArtifacts,
    features,
    readSource: async () => new TextEncoder().encode(source),
    now: () => new Date(now),
  };
  const run = () =>
    materializeView(deps, { view: VIEW, sourceUri: "file:///spend.csv", sourceName: "spend.csv" });
  return {
    artifacts,
    features,
    run,
    append: (text: string) => {
      source += text;
    },
    writes: () => writes,
  };
}

describe("materializeView", () => {
  it("appends new rows to Parquet partitioned by event date and moves the watermark", async () => {
    const s = setup();
    const first = await s.run();
    expect(first).toMatchObject({
      changed: true,
      rows: 3,
      entities: 2,
      watermarkBefore: null,
      watermark: "2024-01-02T09:00:00.000Z",
    });
    expect(first.files.map((f) => [f.eventDate, f.rows])).toEqual([
      ["2024-01-01", 2],
      ["2024-01-02", 1],
    ]);
    expect(first.files[0].uri).toMatch(
      /^s3:\/\/orchard-features\/views\/spend\/event_date=2024-01-01\/[0-9a-f]{64}\.parquet$/,
    );
    const table = await readParquet(await s.artifacts.get(first.files[0].uri), "f");
    expect(table.names).toEqual([
      "customer",
      "event_time",
      "amount",
      "amount_sum_7d",
      "share_7d",
      "size",
    ]);

    s.append(LATER);
    const second = await s.run();
    expect(second).toMatchObject({
      changed: true,
      rows: 2,
      watermarkBefore: "2024-01-02T09:00:00.000Z",
      watermark: "2024-01-04T00:00:00.000Z",
    });
    const manifest = await readManifest(s.artifacts, "spend");
    expect(manifest?.files).toHaveLength(4);
    expect(manifest?.rows).toBe(5);
    expect(manifest?.entities).toBe(3);
    // The window saw the rows before the watermark: 5 + 3 + 10.
    const { records } = await loadViewRecords(s.artifacts, "spend");
    expect(
      records.find((r) => r.eventTime === Date.parse("2024-01-03T09:00:00Z"))?.values.amount_sum_7d,
    ).toBe(18);
  });

  it("changes nothing when run again with nothing new", async () => {
    const s = setup();
    await s.run();
    const writes = s.writes();
    const before = await s.artifacts.get(s.artifacts.uriFor("features", manifestKey("spend")));
    const again = await s.run();
    expect(again).toMatchObject({ changed: false, rows: 0, watermark: "2024-01-02T09:00:00.000Z" });
    expect(s.writes()).toBe(writes);
    expect(await s.artifacts.get(s.artifacts.uriFor("features", manifestKey("spend")))).toEqual(
      before,
    );
  });

  it("upserts each entity's latest row online, expiring on read after the TTL", async () => {
    const s = setup();
    s.append(LATER);
    await s.run();
    const at = (iso: string) => ({ now: new Date(iso) });
    const rows = await s.features.getLatest(
      onlineFeatureSet("spend"),
      ["c1", "c2", "c3"],
      at("2024-01-04T12:00:00Z"),
    );
    expect(rows.get("c1")?.values).toEqual({
      amount: 10,
      amount_sum_7d: 18,
      share_7d: 10 / 18,
      size: ">=5",
      __event_time: "2024-01-03T09:00:00.000Z",
    });
    // c2's latest is 2024-01-01T11:00Z: past its 2-day TTL at 2024-01-04.
    expect(rows.has("c2")).toBe(false);
    expect(rows.get("c3")?.values.amount).toBe(1);
  });

  it("gives online the value the point-in-time join gives offline, for the same entity and time", async () => {
    const s = setup();
    s.append(LATER);
    await s.run();
    const { records } = await loadViewRecords(s.artifacts, "spend");
    const index = indexRecords(records);
    const names = ["amount", "amount_sum_7d", "share_7d", "size"];
    for (const [key, iso] of [
      ["c1", "2024-01-04T12:00:00Z"],
      ["c3", "2024-01-05T23:59:59Z"],
      ["c3", "2024-01-06T00:00:00Z"], // exactly the TTL: still joined
      ["c3", "2024-01-06T00:00:01Z"], // past it: missing on both sides
      ["c2", "2024-01-02T00:00:00Z"],
    ] as const) {
      const now = new Date(iso);
      const [offline] = pointInTimeJoin(
        index,
        [{ entityKey: key, time: now.getTime() }],
        names,
        VIEW.ttlMs,
      );
      // Online holds only the latest row: compare where the latest is what a join at `now` would use.
      const latest = records.filter((r) => r.entityKey === key).at(-1);
      if (latest && latest.eventTime > now.getTime()) continue;
      const online = await lookupOnlineFeatures(
        [{ customer: key }],
        [
          {
            view: "spend",
            version: "x",
            watermark: null,
            features: names,
            entities: ["customer"],
            ttl: "2d",
            ttlMs: VIEW.ttlMs,
            timeColumn: "at",
            unmatchedRows: 0,
          },
        ],
        s.features,
        now,
      );
      const row = online.rows[0] as Record<string, unknown>;
      expect(Object.fromEntries(names.map((n) => [n, row[n]]))).toEqual(offline.values);
      expect(online.missing[0] === null).toBe(offline.eventTime !== null);
    }
  });

  it("rebuilds from the start when the definition changes", async () => {
    const s = setup();
    await s.run();
    const changed = { ...VIEW, ttl: "3d", ttlMs: 3 * 86_400_000 };
    const deps = {
      artifacts: s.artifacts,
      features: s.features,
      readSource: async () => new TextEncoder().encode(HEADER + FIRST),
      now: () => new Date("2024-01-05T00:00:00Z"),
    };
    const rebuilt = await materializeView(deps, { view: changed, sourceUri: "file:///spend.csv" });
    expect(rebuilt).toMatchObject({ changed: true, rebuilt: true, rows: 3, watermarkBefore: null });
    expect((await readManifest(s.artifacts, "spend"))?.files).toHaveLength(2);
  });
});
