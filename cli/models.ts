/**
 * Usage: orchard models <spec.yaml> [--state-dir DIR] [--json]
 *
 * Lists the pipeline's model registry versions, newest first: version, status, the gate
 * metric and a few other held-out metrics, lineage (data SHA-256 prefix, seed, created at)
 * and a `*` on the champion.
 *
 *     version  status    f1_macro  accuracy  log_loss  data          seed  created
 *   * v1       approved    0.9829    0.9855    0.0751  63b03bea7665    42  2025-01-01T10:00:00Z
 *
 * --json prints one JSON array instead, newest first; each element is the registry record
 * with a `champion` flag: {pipeline, version, sequence, champion, status, metrics, params, lineage,
 * modelUri, registeredAt, promotions} (all metrics, the full lineage). An empty registry
 * prints a friendly line (`[]` with --json). Exit 0, 1 on a bad spec or storage error,
 * 2 usage error.
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { runAs } from "../lambdas/io/caller.ts";
import { stepDeps } from "../lambdas/step-handler.ts";
import type { PipelineSpec } from "../pipeline/spec/types.ts";
import type { ModelVersion } from "../pipeline/store.ts";
import { parse, UsageError } from "./args.ts";
import { DEFAULT_STATE_DIR, loadSpecFile, withLocalStores } from "./local/run-pipeline.ts";
import { fail } from "./report-error.ts";

const USAGE = `Usage: orchard models <spec.yaml> [--state-dir DIR] [--json]

Lists the pipeline's registered model versions, newest first, with metrics, status,
lineage and a * on the champion.

  --state-dir DIR  the local storage "orchard run" wrote (default .orchard)
  --json           print one JSON array on stdout`;

/** Metrics the table shows after the gate metric, in this order, when a version has them. */
const SHOWN_METRICS = {
  classification: ["accuracy", "f1_macro", "roc_auc", "log_loss"],
  regression: ["rmse", "mae", "r2"],
} as const;
const MAX_METRIC_COLUMNS = 4;

export type ModelListing = ModelVersion & { champion: boolean };

export async function main(argv: string[]): Promise<number> {
  try {
    const { values, positionals } = parse(
      argv,
      {
        "state-dir": { type: "string" },
        json: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
      USAGE,
    );
    if (values.help) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    if (positionals.length !== 1) throw new UsageError(`expected one spec file\n\n${USAGE}`);
    const { spec } = await loadSpecFile(positionals[0]);
    const listing = await listModels(spec.name, values["state-dir"]);
    if (values.json) process.stdout.write(`${JSON.stringify(listing)}\n`);
    else process.stdout.write(modelsTable(spec, listing, positionals[0]));
    return 0;
  } catch (err) {
    return fail("models", err);
  }
}

/** The pipeline's versions, newest first, each marked whether it is the champion. */
export async function listModels(pipeline: string, stateDir?: string): Promise<ModelListing[]> {
  const dir = resolve(stateDir ?? DEFAULT_STATE_DIR);
  // No state directory means nothing was ever registered: do not create one to say so.
  if (!existsSync(dir)) return [];
  return withLocalStores(dir, () =>
    runAs({ role: "data-scientist", pipeline }, async () => {
      const { registry } = stepDeps();
      const [versions, champion] = await Promise.all([
        registry.listVersions(pipeline),
        registry.getChampion(pipeline),
      ]);
      return markChampion(versions, champion?.version ?? null);
    }),
  );
}

/** Newest first (by sequence, whatever order the store returned), champion marked. */
export function markChampion(versions: ModelVersion[], champion: string | null): ModelListing[] {
  return [...versions]
    .sort((a, b) => b.sequence - a.sequence)
    .map((v) => ({
      pipeline: v.pipeline,
      version: v.version,
      sequence: v.sequence,
      champion: v.version === champion,
      status: v.status,
      metrics: v.metrics,
      params: v.params,
      lineage: v.lineage,
      modelUri: v.modelUri,
      registeredAt: v.registeredAt,
      promotions: v.promotions,
    }));
}

/** The metric columns: the gate metric first, then the task's usual metrics present in any row. */
export function metricColumns(spec: PipelineSpec, listing: ModelListing[]): string[] {
  const gate = spec.gate.metric;
  const others = SHOWN_METRICS[spec.task].filter(
    (m) => m !== gate && listing.some((v) => v.metrics[m] !== undefined),
  );
  return [gate, ...others].slice(0, MAX_METRIC_COLUMNS);
}

/** The human listing (ends with a newline). */
export function modelsTable(spec: PipelineSpec, listing: ModelListing[], specPath: string): string {
  if (listing.length === 0) {
    return `No model versions for pipeline "${spec.name}" yet; run "orchard run ${specPath}" to train one.\n`;
  }
  const metrics = metricColumns(spec, listing);
  // Models trained with feature views say which view versions and watermarks fed them.
  const views = listing.some((v) => (v.lineage.featureViews ?? []).length > 0);
  const header = ["", "version", "status", ...metrics, "data", "seed", "created"];
  if (views) header.push("feature views");
  const rows = listing.map((v) => [
    v.champion ? "*" : "",
    v.version,
    v.status,
    ...metrics.map((m) => formatMetric(v.metrics[m])),
    v.lineage.dataSha256.slice(0, 12),
    String(v.lineage.seed),
    v.lineage.createdAt.replace(/\.\d+Z$/, "Z"),
    ...(views
      ? [
          (v.lineage.featureViews ?? [])
            .map((f) => `${f.view}@${f.version.slice(0, 8)} to ${f.watermark ?? "-"}`)
            .join(", ") || "-",
        ]
      : []),
  ]);
  // Metric and seed columns are right-aligned numbers; the rest left-aligned text.
  const right = new Set([...metrics.map((_, i) => 3 + i), 4 + metrics.length]);
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, c) => (right.has(c) ? cell.padStart(widths[c]) : cell.padEnd(widths[c])))
      .join("  ")
      .trimEnd();
  const champion = listing.find((v) => v.champion);
  const title = `Model versions of pipeline "${spec.name}", newest first (* champion: ${champion?.version ?? "none"})`;
  return `${[title, "", line(header), ...rows.map(line)].join("\n")}\n`;
}

function formatMetric(value: number | undefined): string {
  return value === undefined ? "-" : value.toFixed(4);
}
