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
import {
  activeArms,
  decodeTraffic,
  encodeTraffic,
  type TrafficRecord,
  trafficKey,
} from "../serving/traffic.ts";
import type { PipelineSpec } from "../spec/types.ts";
import { featureColumns } from "../steps/drift.ts";
import type { ArtifactStore, ModelRegistry } from "../store.ts";
import { type CaptureRecord, parseCaptureLines } from "./capture.ts";
import { type ExperimentReport, judgeExperiment } from "./experiment.ts";
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
  report.experiment = champion
    ? await runExperiment(spec, deps, champion.version, { since, captures, labels, now })
    : null;
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

/**
 * The A/B test or bandit serving runs against `champion`, judged on its labeled captures
 * since it started (experiment.ts), and acted on: an A/B's promotion (a conditional write
 * against the champion it was tested against) or rollback, recorded on the challenger's
 * version in the registry with its numbers, or a bandit's new weights.
 */
async function runExperiment(
  spec: PipelineSpec,
  deps: MonitorDeps,
  champion: string,
  seen: { since: Date; captures: CaptureRecord[]; labels: LabelRecord[]; now: Date },
): Promise<ExperimentReport | null> {
  const uri = deps.artifacts.uriFor("artifacts", trafficKey(spec.name));
  let record: TrafficRecord;
  try {
    record = decodeTraffic(await deps.artifacts.get(uri), uri);
  } catch (err) {
    if (err instanceof ArtifactNotFoundError) return null;
    throw err;
  }
  const arms = activeArms(record, champion);
  if (!arms || (record.strategy !== "ab" && record.strategy !== "bandit")) return null;
  const { now } = seen;
  const started = new Date(record.startedAt);
  // An experiment older than the window needs its earlier days too.
  const earlier =
    started < seen.since
      ? await readLines(
          deps,
          dayPrefixes(spec.name, "capture", started, seen.since).filter(
            (p) => !dayPrefixes(spec.name, "capture", seen.since, now).includes(p),
          ),
          parseCaptureLines,
        )
      : [];
  const step = judgeExperiment(
    spec,
    { ...record, arms },
    [...earlier, ...seen.captures],
    seen.labels,
    now,
  );
  if (!step) return null;
  const { report } = step;
  const decided = report.decision;
  const numbers: Record<string, number | null> = decided
    ? {
        championLabeled: decided.champion.n,
        challengerLabeled: decided.challenger.n,
        championValue: finite(decided.champion.value),
        challengerValue: finite(decided.challenger.value),
        difference: finite(decided.difference),
        confidence: decided.confidence,
        z: decided.z ?? null,
        pValue: decided.pValue ?? null,
        lowerBound: decided.lowerBound ?? null,
      }
    : {};
  if (step.promote) {
    const result = await deps.registry.promote(spec.name, step.promote, {
      expectedChampion: champion,
      by: `orchard:${spec.name}:monitor`,
      now,
    });
    if (!result.promoted) {
      report.action = "continue";
      report.reason = `${report.reason}; not promoted: ${result.reason ?? "another promotion won"}`;
      return report;
    }
  }
  const decidedVersion = step.promote ?? step.rollback;
  if (decidedVersion) {
    await deps.registry.recordCanary(spec.name, decidedVersion, {
      outcome: step.promote ? "promoted" : "rolled-back",
      strategy: "ab",
      at: now.toISOString(),
      reason: report.reason,
      metrics: { ...numbers },
    });
  }
  if (step.next) {
    await deps.artifacts.put("artifacts", trafficKey(spec.name), encodeTraffic(step.next));
  }
  return report;
}

function finite(x: number): number | null {
  return Number.isFinite(x) ? x : null;
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
