/**
 * The Monitor's computation, pure: captured predictions of a window joined with their labels
 * (last label wins), the task's metrics per model version with the same code the run's
 * held-out evaluation uses (pipeline/metrics), label coverage and delay, capture volume per
 * day, and the alarm verdict on the champion's live gate metric.
 *
 * The alarm's bound is the gate's own (`gate.minimum` for a higher-is-better metric,
 * `gate.maximum` for a lower-is-better one); a gate without one is judged against the
 * champion's held-out value worsened by `monitor.tolerance`. Fewer than `monitor.minLabels`
 * labeled champion predictions in the window give no verdict: an alarm on five labels would
 * retrain on noise.
 */
import type { DriftComparison } from "../drift/compare.ts";
import { computeMetrics, metricDirection } from "../metrics/compute.ts";
import type { PipelineSpec } from "../spec/types.ts";
import type { CaptureRecord } from "./capture.ts";
import type { ExperimentReport } from "./experiment.ts";
import { type LabelRecord, type LatestLabels, latestLabels } from "./labels.ts";

export interface VersionLive {
  version: string;
  captured: number;
  labeled: number;
  /** labeled / captured. */
  coverage: number;
  /** The task's metrics on the labeled predictions; empty without labels. */
  metrics: Record<string, number>;
}

export interface DayLive extends VersionLive {
  /** `yyyy-mm-dd` (UTC) of the predictions. */
  day: string;
}

export type Verdict = "alarm" | "ok" | "insufficient-labels" | "no-champion";

export interface GateCheck {
  metric: string;
  direction: "higher" | "lower";
  /** null when there is no champion, or no bound could be set. */
  bound: number | null;
  boundSource: "gate" | "tolerance" | null;
  /** The champion's live value in the window; null without labels. */
  value: number | null;
  /** The champion's held-out value, from the registry. */
  heldOut: number | null;
  labeled: number;
  minLabels: number;
  verdict: Verdict;
  reason: string;
}

export interface MonitorReport {
  pipeline: string;
  /** ISO-8601: when it ran. */
  at: string;
  window: { from: string; to: string; hours: number };
  champion: string | null;
  captured: number;
  labeled: number;
  labelsReceived: number;
  /** Labels replaced by a later label for the same prediction. */
  duplicateLabels: number;
  /** Labels that named no captured prediction in the window (late for it, or unknown). */
  unmatchedLabels: number;
  /** Seconds from prediction to label, over the joined ones; null without labels. */
  labelDelaySeconds: { median: number; p90: number } | null;
  versions: VersionLive[];
  days: DayLive[];
  gate: GateCheck;
  drift: DriftComparison | null;
  alarm: boolean;
  /** The A/B test or bandit that ran, and what this Monitor run did about it (experiment.ts). */
  experiment?: ExperimentReport | null;
}

export interface MonitorInput {
  spec: PipelineSpec;
  captures: readonly CaptureRecord[];
  labels: readonly LabelRecord[];
  /** The champion's version and held-out metrics; null without one. */
  champion: { version: string; metrics: Record<string, number> } | null;
  drift?: DriftComparison | null;
  now: Date;
}

export interface Joined {
  capture: CaptureRecord;
  label: LabelRecord | undefined;
}

/** The captures of the window `[now - windowHours, now]`. */
export function inWindow(
  captures: readonly CaptureRecord[],
  now: Date,
  windowHours: number,
): CaptureRecord[] {
  const from = now.getTime() - windowHours * 3_600_000;
  return captures.filter((c) => {
    const t = Date.parse(c.at);
    return t >= from && t <= now.getTime();
  });
}

export function monitor(input: MonitorInput): MonitorReport {
  const { spec, now } = input;
  const hours = spec.monitor.windowHours;
  const captures = inWindow(input.captures, now, hours);
  const latest = latestLabels(input.labels);
  const { joined, used, replacedAcrossKeys } = joinLabels(captures, latest);
  const kept = new Set([...latest.byRequestId.values(), ...latest.byId.values()]);
  const unmatched = [...kept].filter((l) => !used.has(l)).length;

  const byVersion = groupBy(joined, (j) => j.capture.modelVersion);
  const versions = [...byVersion.entries()]
    .map(([version, rows]) => live(spec, version, rows))
    .sort((a, b) => versionOrder(a.version) - versionOrder(b.version));
  const days = [...groupBy(joined, (j) => `${j.capture.at.slice(0, 10)} ${j.capture.modelVersion}`)]
    .map(([key, rows]) => ({ day: key.slice(0, 10), ...live(spec, key.slice(11), rows) }))
    .sort(
      (a, b) => a.day.localeCompare(b.day) || versionOrder(a.version) - versionOrder(b.version),
    );

  const delays = joined
    .filter((j) => j.label)
    .map((j) => (Date.parse(j.label?.at ?? "") - Date.parse(j.capture.at)) / 1000)
    .filter((d) => Number.isFinite(d))
    .sort((a, b) => a - b);
  const gate = gateCheck(
    spec,
    input.champion,
    versions.find((v) => v.version === input.champion?.version),
  );
  return {
    pipeline: spec.name,
    at: now.toISOString(),
    window: {
      from: new Date(now.getTime() - hours * 3_600_000).toISOString(),
      to: now.toISOString(),
      hours,
    },
    champion: input.champion?.version ?? null,
    captured: captures.length,
    labeled: joined.filter((j) => j.label).length,
    labelsReceived: latest.received,
    duplicateLabels: latest.duplicates + replacedAcrossKeys,
    unmatchedLabels: unmatched,
    labelDelaySeconds:
      delays.length === 0 ? null : { median: quantile(delays, 0.5), p90: quantile(delays, 0.9) },
    versions,
    days,
    gate,
    drift: input.drift ?? null,
    alarm: gate.verdict === "alarm",
  };
}

/** Each capture with its label (last wins; by request id, else by entity id, the later of both). */
export function joinLabels(
  captures: readonly CaptureRecord[],
  latest: LatestLabels,
): { joined: Joined[]; used: Set<LabelRecord>; replacedAcrossKeys: number } {
  const used = new Set<LabelRecord>();
  let replacedAcrossKeys = 0;
  const joined: Joined[] = captures.map((capture) => {
    const byRequest = latest.byRequestId.get(capture.requestId);
    const byId = capture.id !== undefined ? latest.byId.get(capture.id) : undefined;
    // Labelled both by request id and by entity id: the later one wins here too.
    let label = byRequest ?? byId;
    if (byRequest && byId && byRequest !== byId) {
      replacedAcrossKeys++;
      label = Date.parse(byId.at) > Date.parse(byRequest.at) ? byId : byRequest;
    }
    for (const l of [byRequest, byId]) if (l) used.add(l);
    return { capture, label };
  });
  return { joined, used, replacedAcrossKeys };
}

function live(spec: PipelineSpec, version: string, rows: Joined[]): VersionLive {
  const labeled = rows.filter((r): r is { capture: CaptureRecord; label: LabelRecord } =>
    Boolean(r.label),
  );
  return {
    version,
    captured: rows.length,
    labeled: labeled.length,
    coverage: rows.length === 0 ? 0 : labeled.length / rows.length,
    metrics: labeled.length === 0 ? {} : liveMetrics(spec, labeled),
  };
}

/** The task's metrics over labeled predictions, as pipeline/metrics computes them. */
export function liveMetrics(
  spec: PipelineSpec,
  rows: { capture: CaptureRecord; label: LabelRecord }[],
): Record<string, number> {
  if (spec.task === "regression") {
    const t = Float64Array.from(rows.map((r) => Number(r.label.label)));
    const p = Float64Array.from(rows.map((r) => Number(r.capture.prediction)));
    return { ...computeMetrics("regression", t, p) };
  }
  // Classes in the order of the model's probabilities, then any label it never predicts.
  const classes: string[] = [];
  const index = new Map<string, number>();
  const add = (c: string) => {
    if (!index.has(c)) index.set(c, classes.push(c) - 1);
  };
  for (const r of rows) for (const c of Object.keys(r.capture.probabilities ?? {})) add(c);
  const modelClasses = classes.length;
  for (const r of rows) {
    add(String(r.capture.prediction));
    add(String(r.label.label));
  }
  const t = Int32Array.from(rows.map((r) => index.get(String(r.label.label)) ?? 0));
  const p = Int32Array.from(rows.map((r) => index.get(String(r.capture.prediction)) ?? 0));
  // Probabilities only when every row has them over the same classes (log loss and ROC AUC
  // are undefined for a label the model has no probability for).
  const withProba =
    modelClasses > 0 &&
    classes.length === modelClasses &&
    rows.every((r) => Object.keys(r.capture.probabilities ?? {}).length === modelClasses);
  let proba: Float64Array | undefined;
  if (withProba) {
    proba = new Float64Array(rows.length * modelClasses);
    rows.forEach((r, i) => {
      for (const [c, v] of Object.entries(r.capture.probabilities ?? {})) {
        proba![i * modelClasses + (index.get(c) ?? 0)] = v;
      }
    });
  }
  const m = computeMetrics("classification", t, p, proba, classes.length);
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(m)) if (Number.isFinite(v)) out[k] = v as number;
  return out;
}

function gateCheck(
  spec: PipelineSpec,
  champion: MonitorInput["champion"],
  current: VersionLive | undefined,
): GateCheck {
  const metric = spec.gate.metric;
  const direction = metricDirection(metric);
  const heldOut = champion?.metrics[metric] ?? null;
  const base = { metric, direction, heldOut, minLabels: spec.monitor.minLabels };
  if (!champion) {
    return {
      ...base,
      bound: null,
      boundSource: null,
      value: null,
      labeled: 0,
      verdict: "no-champion",
      reason: "no champion: nothing is served",
    };
  }
  const gateBound = direction === "higher" ? spec.gate.minimum : spec.gate.maximum;
  const bound =
    gateBound ??
    (heldOut === null
      ? null
      : direction === "higher"
        ? heldOut - spec.monitor.tolerance
        : heldOut + spec.monitor.tolerance);
  const boundSource = gateBound !== null ? "gate" : bound !== null ? "tolerance" : null;
  const value = current?.metrics[metric] ?? null;
  const labeled = current?.labeled ?? 0;
  const check = { ...base, bound, boundSource, value, labeled } as const;
  if (labeled < spec.monitor.minLabels || value === null) {
    return {
      ...check,
      verdict: "insufficient-labels",
      reason: `${labeled} labeled predictions of ${champion.version} in the window, fewer than monitor.minLabels ${spec.monitor.minLabels}`,
    };
  }
  if (bound === null) {
    return {
      ...check,
      verdict: "ok",
      reason: `no bound: the gate sets none and ${champion.version} has no held-out ${metric}`,
    };
  }
  const worse = direction === "higher" ? value < bound : value > bound;
  const where =
    boundSource === "gate"
      ? `the gate's ${direction === "higher" ? "minimum" : "maximum"} ${round(bound)}`
      : `${round(bound)} (held-out ${round(heldOut ?? 0)} ${direction === "higher" ? "−" : "+"} monitor.tolerance ${spec.monitor.tolerance})`;
  return {
    ...check,
    verdict: worse ? "alarm" : "ok",
    reason: worse
      ? `live ${metric} of ${champion.version} is ${round(value)} on ${labeled} labeled predictions, ${direction === "higher" ? "below" : "above"} ${where}`
      : `live ${metric} of ${champion.version} is ${round(value)} on ${labeled} labeled predictions, within ${where}`,
  };
}

function round(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = out.get(k);
    if (list) list.push(item);
    else out.set(k, [item]);
  }
  return out;
}

function versionOrder(version: string): number {
  const m = /^v(\d+)$/.exec(version);
  return m ? Number(m[1]) : Number.MAX_SAFE_INTEGER;
}

function quantile(sorted: number[], q: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i];
}

/** Whether a retrain may start: none started within `coolDownMinutes` before `now`. */
export function coolDownLeft(
  lastRetrainAt: string | null,
  coolDownMinutes: number,
  now: Date,
): number {
  if (!lastRetrainAt) return 0;
  const until = Date.parse(lastRetrainAt) + coolDownMinutes * 60_000;
  return Math.max(0, Math.ceil((until - now.getTime()) / 60_000));
}
