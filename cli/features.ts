/**
 * Usage: orchard features list | show <view> | materialize <view> | get <view> --entity k=v [--at TIME]
 *
 * Feature views are `<dir>/<view>.yaml` (default `features/`). `list` and `show` read the
 * definitions and what the local stores hold for them (version, watermark, rows, entities,
 * files); `materialize` runs one materialization against the local S3 and DynamoDB (the same
 * function the deployed state machine runs); `get` reads an entity's values from the online
 * store (now), or with `--at` from the offline store as a point-in-time lookup, the value a
 * training row at that time would have been joined with.
 * Exit 0 success (an entity without values is `"found": false`), 1 failure, 2 usage error.
 */
import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { basename, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { runAs } from "../lambdas/io/caller.ts";
import { stepDeps } from "../lambdas/step-handler.ts";
import { SpecError } from "../pipeline/errors.ts";
import { entityKey, keyReader, parseEventTime } from "../pipeline/feature-store/keys.ts";
import { materializeView } from "../pipeline/feature-store/materialize.ts";
import {
  ONLINE_EVENT_TIME,
  onlineFeatureSet,
  readManifest,
  type ViewManifest,
  viewVersion,
} from "../pipeline/feature-store/offline.ts";
import { parseView } from "../pipeline/feature-store/parse-view.ts";
import { indexRecords, recordAsOf, withinTtl } from "../pipeline/feature-store/point-in-time.ts";
import { loadViewRecords } from "../pipeline/feature-store/training-set.ts";
import type { FeatureView } from "../pipeline/feature-store/types.ts";
import { closestMatch } from "../pipeline/spec/did-you-mean.ts";
import { resolveSourceUri } from "../pipeline/spec/source-uri.ts";
import type { FeatureValue } from "../pipeline/store.ts";
import { parse, UsageError, unknownName } from "./args.ts";
import { DEFAULT_STATE_DIR, withLocalStores } from "./local/run-pipeline.ts";
import { fail } from "./report-error.ts";
import { writeViewRecord } from "./ui/feature-views.ts";

const USAGE = `Usage: orchard features list [--dir DIR] [--state-dir DIR] [--json]
       orchard features show <view> [--dir DIR] [--state-dir DIR] [--json]
       orchard features materialize <view> [--dir DIR] [--state-dir DIR] [--json]
       orchard features get <view> --entity KEY=VALUE… [--at TIME] [--state-dir DIR]

Feature views are <dir>/<view>.yaml. materialize appends new source rows (after the
watermark) to the offline store and upserts each entity's latest row into the online
store; get reads the online store, or with --at the offline store as of that time.

  --dir DIR        where the view files are (default features)
  --state-dir DIR  the local storage (default .orchard)
  --entity K=V     a join key and its value (repeat for each key of the view)
  --at TIME        ISO-8601 time for a point-in-time lookup in the offline store
  --json           print JSON`;

const SUBCOMMANDS = ["list", "show", "materialize", "get"] as const;

/** The role materialization runs as in the stack; people read as data scientists. */
export const MATERIALIZE_ROLE = "materialize";

export async function main(argv: string[]): Promise<number> {
  try {
    const { values, positionals } = parse(
      argv,
      {
        dir: { type: "string", default: "features" },
        "state-dir": { type: "string" },
        entity: { type: "string", multiple: true },
        at: { type: "string" },
        json: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
      USAGE,
    );
    if (values.help) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    const [sub, name, ...extra] = positionals;
    if (!sub) throw new UsageError(`expected a subcommand\n\n${USAGE}`);
    if (!(SUBCOMMANDS as readonly string[]).includes(sub)) {
      throw unknownName("subcommand", sub, SUBCOMMANDS);
    }
    if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"\n\n${USAGE}`);
    const stateDir = resolve(values["state-dir"] ?? DEFAULT_STATE_DIR);
    const dir = values.dir;
    const out = (text: string) => process.stdout.write(text.endsWith("\n") ? text : `${text}\n`);
    if (sub === "list") {
      if (name) throw new UsageError(`list takes no view name\n\n${USAGE}`);
      const listing = await listViews(dir, stateDir);
      out(values.json ? JSON.stringify(listing) : listTable(listing, dir));
      return 0;
    }
    if (!name) throw new UsageError(`${sub} needs a view name\n\n${USAGE}`);
    if (sub === "show") {
      const shown = await showView(dir, name, stateDir);
      out(values.json ? JSON.stringify(shown) : showText(shown));
      return 0;
    }
    if (sub === "materialize") {
      const result = await materializeLocal(dir, name, stateDir);
      out(
        values.json
          ? JSON.stringify(result)
          : result.changed
            ? `materialized ${result.view} (version ${result.version}${result.rebuilt ? ", rebuilt: the definition changed" : ""}): ${result.rows} rows, ${result.entities} entities, ${result.files.length} offline files; watermark ${result.watermarkBefore ?? "none"} → ${result.watermark}`
            : `${result.view}: nothing new after the watermark ${result.watermark ?? "none"}; nothing written`,
      );
      return 0;
    }
    const entity = parseEntityArgs(values.entity ?? []);
    const got = await getFeatures(dir, name, entity, values.at, stateDir);
    out(JSON.stringify(got));
    return 0;
  } catch (err) {
    return fail("features", err);
  }
}

/** `["symbol=AAPL"]` → `{symbol: "AAPL"}`. */
export function parseEntityArgs(args: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const arg of args) {
    const eq = arg.indexOf("=");
    if (eq <= 0)
      throw new UsageError(`--entity "${arg}" is not KEY=VALUE, e.g. --entity symbol=AAPL`);
    out[arg.slice(0, eq)] = arg.slice(eq + 1);
  }
  return out;
}

async function viewNames(dir: string): Promise<string[]> {
  if (!existsSync(dir)) return [];
  return (await readdir(dir))
    .filter((f) => f.endsWith(".yaml") || f.endsWith(".yml"))
    .map((f) => basename(f).replace(/\.ya?ml$/, ""))
    .sort();
}

/** The view `<dir>/<name>.yaml`, checked; a SpecError with a did-you-mean when there is none. */
export async function loadViewFile(
  dir: string,
  name: string,
): Promise<{ view: FeatureView; file: string }> {
  const file = [join(dir, `${name}.yaml`), join(dir, `${name}.yml`)].find((f) => existsSync(f));
  if (!file) {
    const names = await viewNames(dir);
    const match = closestMatch(name, names);
    throw new SpecError(
      `no feature view "${name}" in ${dir}/ (expected ${join(dir, `${name}.yaml`)}).${match ? ` Did you mean "${match}"?` : ""} Views there: ${names.join(", ") || "none"}.`,
      { file: join(dir, `${name}.yaml`) },
    );
  }
  const view = parseView(await readFile(file, "utf8"), { file });
  if (view.name !== name) {
    throw new SpecError(
      `${file}: the view is named "${view.name}" but its file "${name}"; name the file ${view.name}.yaml.`,
      { file, path: "name" },
    );
  }
  return { view, file };
}

export interface ViewListing {
  view: string;
  owner: string;
  description: string;
  tags: Record<string, string>;
  entities: string[];
  features: string[];
  ttl: string;
  version: string;
  materialized: {
    version: string;
    watermark: string | null;
    rows: number;
    entities: number;
    files: number;
    /** False when the file's definition differs from what was materialized. */
    current: boolean;
    lastRun: string | null;
  } | null;
}

function listingOf(view: FeatureView, manifest: ViewManifest | null): ViewListing {
  const version = viewVersion(view);
  return {
    view: view.name,
    owner: view.owner,
    description: view.description,
    tags: view.tags,
    entities: view.entities,
    features: view.features.map((f) => f.name),
    ttl: view.ttl,
    version,
    materialized: manifest && {
      version: manifest.version,
      watermark: manifest.watermark,
      rows: manifest.rows,
      entities: manifest.entities,
      files: manifest.files.length,
      current: manifest.version === version,
      lastRun: manifest.history.at(-1)?.at ?? null,
    },
  };
}

async function manifests(
  names: string[],
  stateDir: string,
): Promise<Map<string, ViewManifest | null>> {
  const out = new Map<string, ViewManifest | null>(names.map((n) => [n, null]));
  // No state directory: nothing was materialized; do not create one to say so.
  if (!existsSync(stateDir) || names.length === 0) return out;
  return withLocalStores(stateDir, async () => {
    const { artifacts } = stepDeps();
    for (const n of names) {
      out.set(
        n,
        await runAs({ role: "data-scientist", view: n }, () => readManifest(artifacts, n)),
      );
    }
    return out;
  });
}

export async function listViews(dir: string, stateDir: string): Promise<ViewListing[]> {
  const views = await Promise.all(
    (await viewNames(dir)).map(async (n) => (await loadViewFile(dir, n)).view),
  );
  const found = await manifests(
    views.map((v) => v.name),
    stateDir,
  );
  return views.map((v) => listingOf(v, found.get(v.name) ?? null));
}

function listTable(listing: ViewListing[], dir: string): string {
  if (listing.length === 0) return `No feature views in ${dir}/ (write ${dir}/<view>.yaml).`;
  const header = ["view", "owner", "entities", "features", "ttl", "watermark", "rows"];
  const rows = listing.map((v) => [
    v.view,
    v.owner,
    v.entities.join(","),
    String(v.features.length),
    v.ttl,
    v.materialized
      ? `${v.materialized.watermark ?? "-"}${v.materialized.current ? "" : " (stale definition)"}`
      : "never materialized",
    v.materialized ? String(v.materialized.rows) : "0",
  ]);
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (cells: string[]) =>
    cells
      .map((x, c) => x.padEnd(widths[c]))
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)].join("\n");
}

export interface ShownView extends ViewListing {
  definition: FeatureView;
  history: ViewManifest["history"];
  offlineFiles: ViewManifest["files"];
}

export async function showView(dir: string, name: string, stateDir: string): Promise<ShownView> {
  const { view } = await loadViewFile(dir, name);
  const manifest = (await manifests([name], stateDir)).get(name) ?? null;
  return {
    ...listingOf(view, manifest),
    definition: view,
    history: manifest?.history ?? [],
    offlineFiles: manifest?.files ?? [],
  };
}

function showText(v: ShownView): string {
  const lines = [
    `${v.view} (version ${v.version}), owner ${v.owner}${v.description ? `: ${v.description}` : ""}`,
    `  entities   ${v.entities.join(", ")}; event time ${v.definition.timestamp}; ttl ${v.ttl}`,
    `  source     ${v.definition.source.uri} (${v.definition.source.format})`,
    `  tags       ${
      Object.entries(v.tags)
        .map(([k, x]) => `${k}=${x}`)
        .join(", ") || "-"
    }`,
    "  features",
    ...v.definition.features.map((f) =>
      f.kind === "column"
        ? `    ${f.name} = ${f.column}`
        : f.kind === "derived"
          ? `    ${f.name} = ${f.expression}`
          : `    ${f.name} = ${f.aggregate}(${f.column}) over ${f.window}`,
    ),
  ];
  const m = v.materialized;
  lines.push(
    m
      ? `  materialized version ${m.version}${m.current ? "" : " (the file changed since: materialize again)"}, watermark ${m.watermark ?? "-"}, ${m.rows} rows, ${m.entities} entities, ${m.files} offline files, last run ${m.lastRun ?? "-"}`
      : "  never materialized",
  );
  return lines.join("\n");
}

/** Materializes a view against the local stores, as the deployed state machine's role does. */
export async function materializeLocal(dir: string, name: string, stateDir: string) {
  const { view, file } = await loadViewFile(dir, name);
  const source = resolveSourceUri(view.source.uri, file);
  const sourceUri =
    source.scheme === "s3"
      ? `s3://${source.bucket}/${source.key}`
      : pathToFileURL(source.path).href;
  const sourceName = source.scheme === "s3" ? sourceUri : source.path;
  return withLocalStores(stateDir, async () => {
    // As the view's own role in the stack: its source, its offline prefix, its online items.
    return runAs({ role: MATERIALIZE_ROLE, view: name }, async () => {
      const result = await materializeView(stepDeps(), { view, sourceUri, sourceName });
      // The UI's record of the view (freshness, distributions), from what was just written;
      // the UI reads no store itself.
      if (result.changed) {
        const { manifest, records } = await loadViewRecords(stepDeps().artifacts, name);
        await writeViewRecord(stateDir, manifest, records, new Date());
      }
      return result;
    });
  });
}

export interface GotFeatures {
  view: string;
  entity: Record<string, string>;
  /** `online` (now) or `offline` (point in time, `--at`). */
  store: "online" | "offline";
  at: string;
  found: boolean;
  /** Why nothing was found: never materialized for this entity, or older than the TTL. */
  reason?: "unknown-entity" | "expired";
  eventTime: string | null;
  values: Record<string, FeatureValue>;
}

export async function getFeatures(
  dir: string,
  name: string,
  entity: Record<string, string>,
  at: string | undefined,
  stateDir: string,
  now: () => Date = () => new Date(),
): Promise<GotFeatures> {
  const { view } = await loadViewFile(dir, name);
  const missing = view.entities.filter((k) => entity[k] === undefined);
  const unknown = Object.keys(entity).filter((k) => !view.entities.includes(k));
  if (missing.length > 0 || unknown.length > 0) {
    throw new UsageError(
      `view ${name} is keyed by ${view.entities.join(", ")}: pass --entity ${view.entities.map((k) => `${k}=…`).join(" --entity ")}${unknown.length ? ` (not keys: ${unknown.join(", ")})` : ""}`,
    );
  }
  const atMs = at === undefined ? now().getTime() : parseEventTime(at);
  if (atMs === undefined)
    throw new UsageError(`--at "${at}" is not an ISO-8601 time, e.g. 2024-05-01T00:00:00Z`);
  const readKey = keyReader({ missing: view.source.missing, decimal: view.source.decimal });
  const key = entityKey(view.entities.map((k) => readKey(entity[k]) ?? ""));
  const base = { view: name, entity, at: new Date(atMs).toISOString() };
  if (!existsSync(stateDir)) {
    return {
      ...base,
      store: at ? "offline" : "online",
      found: false,
      reason: "unknown-entity",
      eventTime: null,
      values: {},
    };
  }
  return withLocalStores(stateDir, () =>
    runAs({ role: "data-scientist", view: name }, async () => {
      const deps = stepDeps();
      if (at !== undefined) {
        const { manifest, records } = await loadViewRecords(deps.artifacts, name);
        const ttlMs = manifest.definition.ttlMs;
        const index = indexRecords(records);
        const record = recordAsOf(index, { entityKey: key, time: atMs }, ttlMs);
        if (!record) {
          const known = index.has(key);
          return {
            ...base,
            store: "offline" as const,
            found: false,
            reason: known ? ("expired" as const) : ("unknown-entity" as const),
            eventTime: null,
            values: {},
          };
        }
        return {
          ...base,
          store: "offline" as const,
          found: true,
          eventTime: new Date(record.eventTime).toISOString(),
          values: record.values,
        };
      }
      const rows = await deps.features.getLatest(onlineFeatureSet(name), [key], {
        now: new Date(atMs),
        // Expired rows too: the view's TTL rule decides, and tells expired from unknown.
        includeExpired: true,
      });
      const row = rows.get(key);
      const eventTime = row ? parseEventTime(row.values[ONLINE_EVENT_TIME]) : undefined;
      if (!row || eventTime === undefined || !withinTtl(eventTime, atMs, view.ttlMs)) {
        return {
          ...base,
          store: "online" as const,
          found: false,
          reason: row ? ("expired" as const) : ("unknown-entity" as const),
          eventTime: null,
          values: {},
        };
      }
      const { [ONLINE_EVENT_TIME]: _, ...values } = row.values;
      return {
        ...base,
        store: "online" as const,
        found: true,
        eventTime: new Date(eventTime).toISOString(),
        values,
      };
    }),
  );
}
