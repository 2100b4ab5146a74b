import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { FeatureRecord } from "../../pipeline/feature-store/compute.ts";
import {
  indexRecords,
  pointInTimeJoin,
  withinTtl,
} from "../../pipeline/feature-store/point-in-time.ts";

const H = 3_600_000;
const t = (iso: string) => Date.parse(iso);

function record(entityKey: string, iso: string, value: number): FeatureRecord {
  return {
    entityKey,
    entities: { driver: entityKey },
    eventTime: t(iso),
    values: { trips: value },
  };
}

// Feast's documented example shape: hourly driver stats, TTL 2 hours.
const RECORDS = [
  record("1001", "2021-04-12T08:00:00Z", 10),
  record("1001", "2021-04-12T10:00:00Z", 20),
  record("1001", "2021-04-12T12:00:00Z", 30),
  record("1002", "2021-04-12T09:00:00Z", 5),
  // Two records at the same time: the later one in the source wins.
  record("1002", "2021-04-12T11:00:00Z", 6),
  record("1002", "2021-04-12T11:00:00Z", 7),
];

describe("pointInTimeJoin (hand-computed)", () => {
  const index = indexRecords(RECORDS);
  it.each([
    ["before the first record: nothing", "1001", "2021-04-12T07:59:59Z", null, null],
    [
      "exactly at a record's time: that record",
      "1001",
      "2021-04-12T10:00:00Z",
      20,
      "2021-04-12T10:00:00Z",
    ],
    [
      "between records: the earlier one, never the later",
      "1001",
      "2021-04-12T11:59:59Z",
      20,
      "2021-04-12T10:00:00Z",
    ],
    [
      "exactly TTL after the record: still joined",
      "1001",
      "2021-04-12T14:00:00Z",
      30,
      "2021-04-12T12:00:00Z",
    ],
    ["past the TTL: nothing", "1001", "2021-04-12T14:00:01Z", null, null],
    [
      "ties at one event time: the later source row",
      "1002",
      "2021-04-12T11:30:00Z",
      7,
      "2021-04-12T11:00:00Z",
    ],
    ["an unknown entity: nothing", "9999", "2021-04-12T11:00:00Z", null, null],
  ])("%s", (_, key, at, value, eventTime) => {
    const [row] = pointInTimeJoin(index, [{ entityKey: key, time: t(at) }], ["trips"], 2 * H);
    expect(row.values).toEqual({ trips: value });
    expect(row.eventTime).toBe(eventTime === null ? null : t(eventTime));
  });

  it("keeps the query order and joins each row on its own", () => {
    const rows = pointInTimeJoin(
      index,
      [
        { entityKey: "1002", time: t("2021-04-12T09:30:00Z") },
        { entityKey: "1001", time: t("2021-04-12T09:30:00Z") },
        { entityKey: "1002", time: t("2021-04-12T12:00:00Z") },
      ],
      ["trips"],
      2 * H,
    );
    expect(rows.map((r) => r.values.trips)).toEqual([5, 10, 7]);
  });
});

describe("pointInTimeJoin (property)", () => {
  const arbRecords = fc.array(
    fc.record({
      entityKey: fc.constantFrom("a", "b", "c"),
      eventTime: fc.integer({ min: 0, max: 1000 }),
      value: fc.integer({ min: -50, max: 50 }),
    }),
    { maxLength: 40 },
  );
  const arbQueries = fc.array(
    fc.record({
      entityKey: fc.constantFrom("a", "b", "c", "d"),
      time: fc.integer({ min: -10, max: 1100 }),
    }),
    { minLength: 1, maxLength: 20 },
  );

  it("never joins a value newer than its row or older than the TTL, and joins the latest one", () => {
    fc.assert(
      fc.property(arbRecords, arbQueries, fc.integer({ min: 0, max: 300 }), (raw, queries, ttl) => {
        const records: FeatureRecord[] = raw.map((r) => ({
          entityKey: r.entityKey,
          entities: { k: r.entityKey },
          eventTime: r.eventTime,
          values: { v: r.value },
        }));
        const joined = pointInTimeJoin(indexRecords(records), queries, ["v"], ttl);
        joined.forEach((row, i) => {
          const q = queries[i];
          // Brute force: every record of the entity within [time - ttl, time].
          const eligible = records
            .map((r, order) => ({ r, order }))
            .filter(
              ({ r }) =>
                r.entityKey === q.entityKey && r.eventTime <= q.time && r.eventTime >= q.time - ttl,
            );
          if (eligible.length === 0) {
            expect(row.eventTime).toBeNull();
            expect(row.values.v).toBeNull();
            return;
          }
          expect(row.eventTime).not.toBeNull();
          const at = row.eventTime as number;
          expect(at).toBeLessThanOrEqual(q.time);
          expect(at).toBeGreaterThanOrEqual(q.time - ttl);
          expect(withinTtl(at, q.time, ttl)).toBe(true);
          const latest = Math.max(...eligible.map(({ r }) => r.eventTime));
          expect(at).toBe(latest);
          const last = eligible.filter(({ r }) => r.eventTime === latest).at(-1);
          expect(row.values.v).toBe(last?.r.values.v);
        });
      }),
      { numRuns: 300 },
    );
  });
});
