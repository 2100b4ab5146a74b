import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { writeViewRecord } from "../../cli/ui/feature-views.ts";
import { route } from "../../cli/ui/server.ts";
import type { FeatureRecord } from "../../pipeline/feature-store/compute.ts";
import type { ViewManifest } from "../../pipeline/feature-store/offline.ts";
import { parseView } from "../../pipeline/feature-store/parse-view.ts";

const dir = mkdtempSync(join(tmpdir(), "orchard-ui-views-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const view = parseView(
  "name: spend\nowner: team-a\ndescription: Spend per customer\nentities: [customer]\ntimestamp: at\nsource: { uri: s.csv }\nttl: 2d\nfeatures:\n  - name: amount\n  - name: tier\n",
  { file: "features/spend.yaml" },
);
const records: FeatureRecord[] = [1, 2, 3, null].map((amount, i) => ({
  entityKey: `c${i % 2}`,
  entities: { customer: `c${i % 2}` },
  eventTime: Date.parse("2024-01-01") + i * 86_400_000,
  values: { amount, tier: i < 2 ? "gold" : "silver" },
}));
const manifest: ViewManifest = {
  view: "spend",
  version: "abc123",
  definition: view,
  watermark: "2024-01-04T00:00:00.000Z",
  files: [],
  rows: 4,
  entities: 2,
  history: [
    { at: "2024-01-05T00:00:00.000Z", rows: 4, entities: 2, watermark: "2024-01-04T00:00:00.000Z" },
  ],
};

describe("orchard ui feature view pages", () => {
  it("lists materialized views and shows one's freshness, rows, entities and distributions", async () => {
    await writeViewRecord(dir, manifest, records, new Date("2024-01-05T00:00:00Z"));
    const list = await route(dir, "/features");
    expect(list.status).toBe(200);
    expect(String(list.body)).toContain('<a href="/features/spend">spend</a>');
    const page = String((await route(dir, "/features/spend")).body);
    expect(page).toContain("watermark 2024-01-04T00:00:00.000Z");
    expect(page).toContain("4 rows, 2 entities");
    // amount: 3 values, 1 missing, 1 … 3, mean 2; tier: its levels with counts.
    expect(page).toMatch(
      /<th scope="row">amount<\/th><td class="num">3<\/td><td class="num">1<\/td>/,
    );
    expect(page).toContain("mean 2");
    expect(page).toContain("gold 2, silver 2");
  });

  it("answers 404 for a view never materialized or a name that is not one", async () => {
    expect((await route(dir, "/features/other")).status).toBe(404);
    expect((await route(dir, "/features/..%2Fx")).status).toBe(404);
  });
});
