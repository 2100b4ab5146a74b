/**
 * One Monitor run over storage: read the window's captures and labels, the champion and its
 * training baseline, compute the report (monitor.ts), store it (JSON and HTML) and decide
 * whether to start a retrain: only on an alarm, and only when no retrain was started within
 * `monitor.coolDownMinutes` (recorded in `<pipeline>/monitor/state.json`, written before the
 * retrain starts, so two Monitor runs racing cannot both start one within the cool-down
 * window of this store's last write). `orchard monitor` runs it locally; the cloud's Monitor
 * state machine runs the same function in its Lambda.
 */
import { baselineKey, type DriftBaseline } from "../drift/baseline.ts";
import { compareWithBaseline, type DriftComparison } from "../drift/compare.ts";
import { ArtifactNotFoundError } from "../errors.ts";
import { loadBundle } from "../model/bundle.ts";
import { type RawRow, rowsToFrame } from "../model/schema.ts";
import type { PipelineSpec } from "../spec/types.ts";
import { featureColumns } from "../steps/drift.ts";
import type { ArtifactStore, ModelRegistry } from "../store.ts";
import { type CaptureRecord, parseCaptureLines } from "./capture.ts";
import { type LabelRecord, parseLabelLines } from "./labels.ts";
import { coolDownLeft, inWindow, type MonitorReport, monitor } from "./monitor.ts";
import { monitorReportHtml } from "./report-html.ts";
import { dayPrefixes, type ListKeys, monitorReportKey, monitorStateKey } from "./store.ts";

export interface MonitorDeps {
  artifacts: ArtifactStore;
  registry: ModelRegistry;
  listKeys: ListKeys;
}

export interface MonitorState {
  /** ISO-8601: when the Monitor last started a retrain. */
  lastRetrainAt: string | null;
  lastReason: string | null;
}

export interface RetrainDecision {
  start: boolean;
  /** Why it starts (the alarm's reason) or why not. */
  reason: string;
  coolDownLeftMinutes: number;
}

export interface MonitorRun {
  report: MonitorReport;
  reportUri: string;
  htmlUri: string;
  retrain: RetrainDecision;
}

export async function runMonitor(
  spec: PipelineSpec,
  deps: MonitorDeps,
  options: { now: Date; retrain: boolean },
): Promise<MonitorRun> {
  const { now } = options;
  const since = new Date(now.getTime() - spec.monitor.windowHours * 3_600_000);
  const [captures, labels, champion] = await Promise.all([
    readLines(deps, dayPrefixes(spec.name, "capture", since, now), parseCaptureLines),
    readLines(
      deps,
      dayPrefixes(spec.name, "labels", since, now),
      (b) => parseLabelLines(b, now).labels,
    ),
    deps.registry.getChampion(spec.name),
  ]);
  const drift = champion
    ? await liveDrift(
        spec,
        deps,
        champion.lineage.dataSha256,
        champion.modelUri,
        captures,
        champion.version,
        now,
      )
    : null;
  const report = monitor({
    spec,
    captures,
    labels,
    champion: champion ? { version: champion.version, metrics: champion.metrics } : null,
    drift,
    now,
  });
  const json = await deps.artifacts.put(
    "artifacts",
    monitorReportKey(spec.name, now, "json"),
    Buffer.from(JSON.stringify(report, null, 2)),
  );
  const html = await deps.artifacts.put(
    "artifacts",
    monitorReportKey(spec.name, now, "html"),
    Buffer.from(await monitorReportHtml(report)),
  );
  const retrain = await decideRetrain(spec, deps, report, options);
  return { report, reportUri: json.uri, htmlUri: html.uri, retrain };
}

async function decideRetrain(
  spec: PipelineSpec,
  deps: MonitorDeps,
  report: MonitorReport,
  options: { now: Date; retrain: boolean },
): Promise<RetrainDecision> {
  if (!report.alarm) return { start: false, reason: report.gate.reason, coolDownLeftMinutes: 0 };
  const stateUri = deps.artifacts.uriFor("artifacts", monitorStateKey(spec.name));
  let state: MonitorState = { lastRetrainAt: null, lastReason: null };
  try {
    state = JSON.parse(new TextDecoder().decode(await deps.artifacts.get(stateUri)));
  } catch (err) {
    if (!(err instanceof ArtifactNotFoundError)) throw err;
  }
  const left = coolDownLeft(state.lastRetrainAt, spec.monitor.coolDownMinutes, options.now);
  const reason = `monitor alarm: ${report.gate.reason}`;
  if (left > 0) {
    return {
      start: false,
      reason: `${reason}; no retrain: the last one started at ${state.lastRetrainAt}, within monitor.coolDownMinutes ${spec.monitor.coolDownMinutes} (${left} min left)`,
      coolDownLeftMinutes: left,
    };
  }
  if (!options.retrain)
    return { start: false, reason: `${reason}; retrain not asked for`, coolDownLeftMinutes: 0 };
  const next: MonitorState = { lastRetrainAt: options.now.toISOString(), lastReason: reason };
  await deps.artifacts.put(
    "artifacts",
    monitorStateKey(spec.name),
    Buffer.from(JSON.stringify(next)),
  );
  return { start: true, reason, coolDownLeftMinutes: 0 };
}

async function readLines<T>(
  deps: MonitorDeps,
  prefixes: string[],
  parse: (bytes: Uint8Array) => T[],
): Promise<T[]> {
  const keys = (await Promise.all(prefixes.map((p) => deps.listKeys(p)))).flat().sort();
  const out: T[] = [];
  for (const key of keys) {
    // Orchard's and Firehose's objects (its FileExtension set to .jsonl) are JSON lines.
    if (!key.endsWith(".jsonl")) continue;
    out.push(...parse(await deps.artifacts.get(deps.artifacts.uriFor("artifacts", key))));
  }
  return out;
}

/** PSI/KS of the champion's captured inputs in the window against its training data. */
async function liveDrift(
  spec: PipelineSpec,
  deps: MonitorDeps,
  dataSha256: string,
  modelUri: string,
  captures: CaptureRecord[],
  version: string,
  now: Date,
): Promise<DriftComparison | null> {
  const rows = inWindow(captures, now, spec.monitor.windowHours)
    .filter((c) => c.modelVersion === version)
    .map((c) => c.inputs as RawRow);
  if (rows.length === 0) return null;
  let baseline: DriftBaseline;
  try {
    const bytes = await deps.artifacts.get(
      deps.artifacts.uriFor("artifacts", baselineKey(spec.name, dataSha256)),
    );
    baseline = JSON.parse(new TextDecoder().decode(bytes));
  } catch (err) {
    if (err instanceof ArtifactNotFoundError) return null;
    throw err;
  }
  const bundle = loadBundle(await deps.artifacts.get(modelUri), modelUri);
  // A row the model could not read (an excluded or renamed column) is left out of drift.
  const readable = rows.filter((row) => {
    try {
      rowsToFrame(bundle.header.schema, [row]);
      return true;
    } catch {
      return false;
    }
  });
  if (readable.length === 0) return null;
  const frame = rowsToFrame(bundle.header.schema, readable);
  return compareWithBaseline(
    baseline,
    frame,
    featureColumns(spec, frame),
    spec.retrain.psiThreshold,
  );
}

export type { CaptureRecord, LabelRecord };
