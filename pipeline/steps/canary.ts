/**
 * The canary step (docs/serving.md): one Lambda, two Task states.
 *
 * CanaryStart (the state has no `canary` output yet): with `deploy.canary` in the spec and a
 * champion to compare with, writes the serving traffic record — the candidate (this run's
 * registered version) answers `percent` of predict requests, the champion the rest — and
 * returns how long the Wait state waits. Otherwise `enabled: false` and Promote runs at once.
 *
 * CanaryCheck (after the Wait): reads the pipeline's alarms and each version's traffic since
 * the start (requests, 5xx, predictions) from a `CanaryMetrics` source (CloudWatch in the
 * cloud), and promotes only if no alarm fires, the candidate answered at least `minRequests`
 * requests, its 5xx rate is at most `maxErrorRate`, and its predictions shifted at most
 * `maxShift` from the champion's over the same window. A rollback clears the traffic record
 * at once; a promotion leaves it to go stale (it names the old champion as its baseline, so
 * predict ignores it as soon as Promote moves the champion). Either way the outcome is
 * written to `<pipeline>/canary/<version>.json` beside the model and recorded on the version
 * in the registry (`recordCanary`: a candidate not promoted gets status `rolled-back`).
 */

import { ArtifactError, ArtifactNotFoundError } from "../errors.ts";
import type { ModelBundle } from "../model/bundle.ts";
import { loadBundle } from "../model/bundle.ts";
import { experimentRecord } from "../monitor/experiment.ts";
import {
  decodeTraffic,
  encodeTraffic,
  type TrafficRecord,
  trafficKey,
} from "../serving/traffic.ts";
import type { CanarySpec, PipelineSpec } from "../spec/types.ts";
import type { CanaryOutcome } from "../store.ts";
import { jsonBytes, loadSpec, need, StateContractError } from "./context.ts";
import type { RunState, StepDeps } from "./types.ts";

export interface CanaryStartOutput {
  enabled: boolean;
  /**
   * `deploy.strategy` ab or bandit: the run's version joined serving as an arm of this
   * experiment instead of being promoted; Promote then leaves the champion as it is.
   */
  experiment?: "ab" | "bandit";
  /** Seconds the Wait state waits; 0 when not enabled (the path always exists). */
  waitSeconds: number;
  candidate?: string;
  baseline?: string;
  weight?: number;
  startedAt?: string;
  reason?: string;
}

/** One model version's predict traffic over a window. */
export interface VersionTraffic {
  requests: number;
  serverErrors: number;
  /** Predicted labels (classification). */
  classCounts?: Record<string, number>;
  /** Mean prediction (regression). */
  meanPrediction?: number;
}

export interface CanaryMetrics {
  /** The names of the pipeline's alarms that are in ALARM now. */
  alarmsFiring(pipeline: string): Promise<string[]>;
  traffic(
    pipeline: string,
    version: string,
    window: { since: Date; until: Date; classes: string[] | null },
  ): Promise<VersionTraffic>;
}

export interface CanaryCheckOutput {
  promote: boolean;
  /** Why not (empty when promoted). */
  reasons: string[];
  candidate: string;
  baseline: string;
  errorRate: number | null;
  shift: number | null;
  alarms: string[];
  traffic: { candidate: VersionTraffic; baseline: VersionTraffic };
  recordUri: string;
}

/** CanaryStart's output is under `$.canary` (every step's own key), CanaryCheck's under `$.canaryCheck`. */
export type CanaryRunState = RunState & {
  canary?: CanaryStartOutput;
  canaryCheck?: CanaryCheckOutput;
};

export interface CanaryOptions {
  metrics: CanaryMetrics;
  /** Overrides `minutes · 60` (local runs and tests wait 0). */
  waitSeconds?: number;
}

/** Starts the canary, or checks it when the state already holds its start. */
export async function canary(
  state: CanaryRunState,
  deps: StepDeps,
  options: CanaryOptions,
): Promise<CanaryStartOutput | CanaryCheckOutput> {
  return state.canary ? checkCanary(state, deps, options) : startCanary(state, deps, options);
}

export async function startCanary(
  state: CanaryRunState,
  deps: StepDeps,
  options: Pick<CanaryOptions, "waitSeconds">,
): Promise<CanaryStartOutput> {
  const spec = await loadSpec(deps, state);
  const config = spec.deploy.canary;
  const evaluation = need(state, "evaluate");
  if (spec.deploy.strategy !== "canary") return startExperiment(spec, evaluation, deps);
  if (!config) return { enabled: false, waitSeconds: 0, reason: "no deploy.canary in the spec" };
  const baseline = evaluation.champion?.version;
  if (!baseline) {
    return {
      enabled: false,
      waitSeconds: 0,
      reason: "no champion to compare with: the first model is promoted at once",
    };
  }
  const startedAt = deps.now().toISOString();
  const record: TrafficRecord = {
    pipeline: spec.name,
    baseline,
    candidate: evaluation.version,
    weight: config.percent / 100,
    startedAt,
  };
  await deps.artifacts.put("artifacts", trafficKey(spec.name), encodeTraffic(record));
  return {
    enabled: true,
    waitSeconds: Math.round(options.waitSeconds ?? config.minutes * 60),
    candidate: evaluation.version,
    baseline,
    weight: record.weight,
    startedAt,
  };
}

/**
 * `deploy.strategy` ab or bandit: the candidate becomes an arm of serving's traffic record
 * (pipeline/monitor/experiment.ts) and the Monitor decides from labeled outcomes; the first
 * model of a pipeline has nothing to be tested against and is promoted at once.
 */
async function startExperiment(
  spec: PipelineSpec,
  evaluation: NonNullable<RunState["evaluate"]>,
  deps: StepDeps,
): Promise<CanaryStartOutput> {
  const baseline = evaluation.champion?.version;
  const strategy = spec.deploy.strategy === "ab" ? "ab" : "bandit";
  if (!baseline) {
    return {
      enabled: false,
      waitSeconds: 0,
      reason: `no champion to test against: the first model is promoted at once (deploy.strategy ${strategy})`,
    };
  }
  const uri = deps.artifacts.uriFor("artifacts", trafficKey(spec.name));
  let current: TrafficRecord | null = null;
  try {
    current = decodeTraffic(await deps.artifacts.get(uri), uri);
  } catch (err) {
    // A missing record is the usual case; an unreadable one is replaced by this run's.
    if (!(err instanceof ArtifactNotFoundError) && !(err instanceof ArtifactError)) throw err;
  }
  const record = experimentRecord(spec, baseline, evaluation.version, current, deps.now());
  await deps.artifacts.put("artifacts", trafficKey(spec.name), encodeTraffic(record));
  const arms = (record.arms ?? []).map((a) => `${a.version} ${Math.round(a.weight * 1000) / 10}%`);
  return {
    enabled: false,
    waitSeconds: 0,
    experiment: strategy,
    candidate: evaluation.version,
    baseline,
    weight: record.weight,
    startedAt: record.startedAt,
    reason: `${strategy === "ab" ? "A/B test" : "bandit"} started (${arms.join(", ")}): the Monitor decides from labeled outcomes`,
  };
}

export async function checkCanary(
  state: CanaryRunState,
  deps: StepDeps,
  options: Pick<CanaryOptions, "metrics">,
): Promise<CanaryCheckOutput> {
  const spec = await loadSpec(deps, state);
  const started = state.canary;
  const config = spec.deploy.canary;
  const { candidate, baseline, startedAt } = started ?? {};
  if (!started?.enabled || !candidate || !baseline || !startedAt || !config) {
    throw new StateContractError(
      "CanaryCheck ran without a started canary; the definition is wrong",
    );
  }
  const window = {
    since: new Date(startedAt),
    until: deps.now(),
    classes: await classesOf(deps, spec.name, candidate),
  };
  const [alarms, cand, base] = await Promise.all([
    options.metrics.alarmsFiring(spec.name),
    options.metrics.traffic(spec.name, candidate, window),
    options.metrics.traffic(spec.name, baseline, window),
  ]);
  const judged = judgeCanary(config, { candidate: cand, baseline: base, alarms });
  if (!judged.promote) {
    const cleared: TrafficRecord = {
      pipeline: spec.name,
      baseline,
      candidate: null,
      weight: 0,
      startedAt,
    };
    await deps.artifacts.put("artifacts", trafficKey(spec.name), encodeTraffic(cleared));
  }
  const outcome = {
    pipeline: spec.name,
    candidate,
    baseline,
    decidedAt: window.until.toISOString(),
    startedAt,
    outcome: judged.promote ? "promoted" : "rolled-back",
    ...judged,
    alarms,
    traffic: { candidate: cand, baseline: base },
  };
  const stored = await deps.artifacts.put(
    "artifacts",
    `${spec.name}/canary/${candidate}.json`,
    jsonBytes(outcome),
  );
  await deps.registry.recordCanary(spec.name, candidate, {
    outcome: registryOutcome(judged.promote, alarms, cand, config),
    at: window.until.toISOString(),
    reason: judged.promote ? "all checks passed" : judged.reasons.join("; "),
    metrics: { errorRate: judged.errorRate, shift: judged.shift, requests: cand.requests },
  });
  return {
    promote: judged.promote,
    reasons: judged.reasons,
    candidate,
    baseline,
    errorRate: judged.errorRate,
    shift: judged.shift,
    alarms,
    traffic: { candidate: cand, baseline: base },
    recordUri: stored.uri,
  };
}

/**
 * The outcome the registry records: `inconclusive` when the candidate was not promoted only
 * because it answered too few requests (no alarm, nothing measured against it), else
 * `rolled-back`. Either way the candidate's traffic was withdrawn.
 */
export function registryOutcome(
  promote: boolean,
  alarms: string[],
  candidate: VersionTraffic,
  config: CanarySpec,
): CanaryOutcome {
  if (promote) return "promoted";
  return alarms.length === 0 && candidate.requests < config.minRequests
    ? "inconclusive"
    : "rolled-back";
}

/** The decision, pure: every reason not to promote, and the figures behind them. */
export function judgeCanary(
  config: CanarySpec,
  seen: { candidate: VersionTraffic; baseline: VersionTraffic; alarms: string[] },
): { promote: boolean; reasons: string[]; errorRate: number | null; shift: number | null } {
  const reasons: string[] = [];
  const { candidate, baseline, alarms } = seen;
  if (alarms.length > 0) reasons.push(`alarms firing: ${alarms.join(", ")}`);
  const errorRate = candidate.requests > 0 ? candidate.serverErrors / candidate.requests : null;
  if (candidate.requests < config.minRequests) {
    reasons.push(
      `the candidate answered ${candidate.requests} requests, fewer than minRequests ${config.minRequests}: inconclusive`,
    );
  }
  if (errorRate !== null && errorRate > config.maxErrorRate) {
    reasons.push(
      `the candidate's 5xx rate ${round(errorRate)} is above maxErrorRate ${config.maxErrorRate}`,
    );
  }
  const shift = predictionShift(candidate, baseline);
  if (shift !== null && shift > config.maxShift) {
    reasons.push(
      `the candidate's predictions shifted ${round(shift)} from the champion's, above maxShift ${config.maxShift}`,
    );
  }
  if (shift === null && candidate.requests > 0 && config.minRequests > 0) {
    reasons.push("the champion answered no requests in the window: the shift cannot be judged");
  }
  return { promote: reasons.length === 0, reasons, errorRate, shift };
}

/**
 * Classification: total variation distance between the two versions' predicted-label shares
 * (0 same, 1 disjoint). Regression: |mean change| relative to the champion's |mean|. Null when
 * either side has no predictions.
 */
export function predictionShift(a: VersionTraffic, b: VersionTraffic): number | null {
  if (a.classCounts && b.classCounts) {
    const total = (c: Record<string, number>) => Object.values(c).reduce((s, v) => s + v, 0);
    const ta = total(a.classCounts);
    const tb = total(b.classCounts);
    if (ta === 0 || tb === 0) return null;
    const labels = new Set([...Object.keys(a.classCounts), ...Object.keys(b.classCounts)]);
    let sum = 0;
    for (const l of labels)
      sum += Math.abs((a.classCounts[l] ?? 0) / ta - (b.classCounts[l] ?? 0) / tb);
    return sum / 2;
  }
  if (a.meanPrediction === undefined || b.meanPrediction === undefined) return null;
  if (a.requests === 0 || b.requests === 0) return null;
  return Math.abs(a.meanPrediction - b.meanPrediction) / Math.max(Math.abs(b.meanPrediction), 1e-9);
}

async function classesOf(
  deps: StepDeps,
  pipeline: string,
  version: string,
): Promise<string[] | null> {
  const record = await deps.registry.getVersion(pipeline, version);
  if (!record) return null;
  const bundle: ModelBundle = loadBundle(
    await deps.artifacts.get(record.modelUri),
    record.modelUri,
  );
  return bundle.header.schema.classes;
}

function round(x: number): number {
  return Math.round(x * 10000) / 10000;
}
