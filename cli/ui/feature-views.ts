/**
 * Feature view pages of `orchard ui`: `/features` (every materialized view) and
 * `/features/<view>` (freshness, rows, entities, a distribution per feature). The UI reads
 * records `orchard features materialize` leaves under `<stateDir>/features/<view>.json`, as it
 * reads the run records `orchard run` leaves: the server never opens the stores (that would
 * take the state directory's lock from the runs it shows).
 */
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { FeatureRecord } from "../../pipeline/feature-store/compute.ts";
import type { ViewManifest } from "../../pipeline/feature-store/offline.ts";
import { escapeHtml, fmt } from "../../pipeline/report/html.ts";
import { layout } from "./pages.ts";

const VIEW_NAME = /^[a-z][a-z0-9_]{0,39}$/;
const BINS = 10;
const TOP_LEVELS = 10;

export type FeatureDistribution =
  | {
      feature: string;
      kind: "numeric";
      count: number;
      missing: number;
      min: number;
      max: number;
      mean: number;
      /** Counts of BINS equal-width bins from min to max. */
      bins: number[];
    }
  | { feature: string; kind: "text"; count: number; missing: number; top: [string, number][] };

export interface ViewRecord {
  view: string;
  owner: string;
  description: string;
  tags: Record<string, string>;
  entities: string[];
  ttl: string;
  version: string;
  watermark: string | null;
  rows: number;
  entityCount: number;
  files: number;
  history: ViewManifest["history"];
  distributions: FeatureDistribution[];
  writtenAt: string;
}

export function distributions(
  manifest: ViewManifest,
  records: readonly FeatureRecord[],
): FeatureDistribution[] {
  return manifest.definition.features.map((f): FeatureDistribution => {
    const values = records.map((r) => r.values[f.name] ?? null);
    const present = values.filter((v) => v !== null);
    const missing = values.length - present.length;
    if (present.every((v) => typeof v === "number")) {
      const nums = present as number[];
      const min = nums.length ? Math.min(...nums) : 0;
      const max = nums.length ? Math.max(...nums) : 0;
      const bins = new Array<number>(BINS).fill(0);
      for (const v of nums) {
        const b =
          max === min ? 0 : Math.min(BINS - 1, Math.floor(((v - min) / (max - min)) * BINS));
        bins[b]++;
      }
      const mean = nums.length ? nums.reduce((s, v) => s + v, 0) / nums.length : 0;
      return {
        feature: f.name,
        kind: "numeric",
        count: nums.length,
        missing,
        min,
        max,
        mean,
        bins,
      };
    }
    const counts = new Map<string, number>();
    for (const v of present) counts.set(String(v), (counts.get(String(v)) ?? 0) + 1);
    const top = [...counts.entries()]
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .slice(0, TOP_LEVELS);
    return { feature: f.name, kind: "text", count: present.length, missing, top };
  });
}

function dir(stateDir: string): string {
  return join(stateDir, "features");
}

export async function writeViewRecord(
  stateDir: string,
  manifest: ViewManifest,
  records: readonly FeatureRecord[],
  now: Date,
): Promise<void> {
  const d = manifest.definition;
  const record: ViewRecord = {
    view: d.name,
    owner: d.owner,
    description: d.description,
    tags: d.tags,
    entities: d.entities,
    ttl: d.ttl,
    version: manifest.version,
    watermark: manifest.watermark,
    rows: manifest.rows,
    entityCount: manifest.entities,
    files: manifest.files.length,
    history: manifest.history,
    distributions: distributions(manifest, records),
    writtenAt: now.toISOString(),
  };
  await mkdir(dir(stateDir), { recursive: true });
  await writeFile(join(dir(stateDir), `${d.name}.json`), `${JSON.stringify(record, null, 2)}\n`);
}

export async function listViewRecords(stateDir: string): Promise<ViewRecord[]> {
  if (!existsSync(dir(stateDir))) return [];
  const names = (await readdir(dir(stateDir)))
    .filter((f) => f.endsWith(".json"))
    .map((f) => f.slice(0, -5))
    .filter((n) => VIEW_NAME.test(n))
    .sort();
  return Promise.all(names.map(async (n) => (await readViewRecord(stateDir, n)) as ViewRecord));
}

export async function readViewRecord(stateDir: string, name: string): Promise<ViewRecord | null> {
  if (!VIEW_NAME.test(name)) return null;
  const file = join(dir(stateDir), `${name}.json`);
  if (!existsSync(file)) return null;
  return JSON.parse(await readFile(file, "utf8")) as ViewRecord;
}

/** "3 days" between the watermark and now: how stale the freshest feature is. */
function age(watermark: string | null, now: Date): string {
  if (!watermark) return "never materialized";
  const days = (now.getTime() - Date.parse(watermark)) / 86_400_000;
  return days < 1 ? `${(days * 24).toFixed(1)} hours` : `${days.toFixed(1)} days`;
}

export function viewsPage(records: ViewRecord[], now: Date): string {
  const body =
    records.length === 0
      ? "<p>No feature view materialized yet. Run <code>orchard features materialize &lt;view&gt;</code> first.</p>"
      : `<div class="table-wrap"><table><caption>Materialized feature views</caption>
<thead><tr><th scope="col">view</th><th scope="col">owner</th><th scope="col">entities</th><th scope="col">watermark (UTC)</th><th scope="col">age</th><th scope="col" class="num">rows</th><th scope="col" class="num">entities</th></tr></thead>
<tbody>${records
          .map(
            (r) =>
              `<tr><th scope="row"><a href="/features/${encodeURIComponent(r.view)}">${escapeHtml(r.view)}</a></th><td>${escapeHtml(r.owner)}</td><td>${escapeHtml(r.entities.join(", "))}</td><td>${escapeHtml(r.watermark ?? "—")}</td><td>${escapeHtml(age(r.watermark, now))}</td><td class="num">${r.rows}</td><td class="num">${r.entityCount}</td></tr>`,
          )
          .join("\n")}</tbody></table></div>`;
  return layout(
    "Feature views",
    [{ href: "/", label: "Pipelines" }, { label: "Feature views" }],
    body,
  );
}

function distributionCell(d: FeatureDistribution): string {
  if (d.kind === "text") {
    return d.top.map(([level, n]) => `${escapeHtml(level)} ${n}`).join(", ");
  }
  const top = Math.max(1, ...d.bins);
  const bars = d.bins
    .map(
      (n) =>
        `<span class="bar" style="width:6px;height:${Math.max(1, Math.round((24 * n) / top))}px;vertical-align:bottom;margin-right:1px"></span>`,
    )
    .join("");
  return `<span aria-label="histogram of ${escapeHtml(d.feature)} from ${fmt(d.min)} to ${fmt(d.max)}">${bars}</span> ${fmt(d.min)} … ${fmt(d.max)}, mean ${fmt(d.mean)}`;
}

export function viewPage(r: ViewRecord, now: Date): string {
  const rows = r.distributions
    .map(
      (d) =>
        `<tr><th scope="row">${escapeHtml(d.feature)}</th><td class="num">${d.count}</td><td class="num">${d.missing}</td><td>${distributionCell(d)}</td></tr>`,
    )
    .join("\n");
  const history = r.history
    .map(
      (h) =>
        `<tr><th scope="row">${escapeHtml(h.at)}</th><td class="num">${h.rows}</td><td class="num">${h.entities}</td><td>${escapeHtml(h.watermark ?? "—")}</td></tr>`,
    )
    .join("\n");
  return layout(
    `Feature view ${r.view}`,
    [
      { href: "/", label: "Pipelines" },
      { href: "/features", label: "Feature views" },
      { label: r.view },
    ],
    `<p>${escapeHtml(r.description || "No description.")} Owner <strong>${escapeHtml(r.owner)}</strong>; keyed by ${escapeHtml(r.entities.join(", "))}; TTL ${escapeHtml(r.ttl)}; version <code>${escapeHtml(r.version)}</code>.</p>
<p>Freshness: watermark ${escapeHtml(r.watermark ?? "—")} (${escapeHtml(age(r.watermark, now))} old); ${r.rows} rows, ${r.entityCount} entities, ${r.files} offline files.</p>
<section aria-labelledby="dist-h"><h2 id="dist-h">Distributions</h2>
<div class="table-wrap"><table><caption>Each feature over the offline store</caption>
<thead><tr><th scope="col">feature</th><th scope="col" class="num">values</th><th scope="col" class="num">missing</th><th scope="col">distribution</th></tr></thead>
<tbody>${rows}</tbody></table></div></section>
<section aria-labelledby="hist-h"><h2 id="hist-h">Materializations</h2>
<div class="table-wrap"><table><caption>Materialization runs, oldest first</caption>
<thead><tr><th scope="col">at (UTC)</th><th scope="col" class="num">rows</th><th scope="col" class="num">entities</th><th scope="col">watermark after</th></tr></thead>
<tbody>${history}</tbody></table></div></section>`,
  );
}
