/**
 * A/B tests and bandits over serving (issue 19 items 4 and 5, docs/serving.md), pure: how a
 * gate-passing run starts one (the serving traffic record it writes instead of promoting) and
 * how the Monitor judges it from labeled captures.
 *
 * A/B: the challenger answers `deploy.ab.percent` of requests. The test is fixed-horizon: the
 * first Monitor run at which both arms have `minLabels` labeled predictions decides once —
 * promote when the challenger is better with `confidence` (ab-test.ts: two-proportion test for
 * accuracy, bootstrap for other metrics), else roll back. Deciding at the first look with
 * enough labels, rather than re-testing every window until a difference shows, keeps the false
 * promotion rate at 1 - confidence. Still short of labels after `maxDays`: rolled back.
 *
 * Bandit: every Monitor run counts each arm's rewards since the bandit started (a correct
 * prediction, or the label's `reward`), and sets the weights to the Thompson-sampling share
 * estimates (bandit.ts `allocation`), with every arm keeping at least `minShare`. It promotes
 * nothing: the champion stays the champion until a person (`orchard promote`) or a later run
 * under another strategy moves it.
 */
import { metricDirection } from "../metrics/compute.ts";
import type { TrafficArm, TrafficRecord } from "../serving/traffic.ts";
import type { PipelineSpec } from "../spec/types.ts";
import { type AbDecision, decideAccuracy, decideBootstrap } from "./ab-test.ts";
import { allocation } from "./bandit.ts";
import type { CaptureRecord } from "./capture.ts";
import type { LabelRecord } from "./labels.ts";
import { latestLabels } from "./labels.ts";
import { joinLabels, liveMetrics } from "./monitor.ts";

export interface ExperimentArm {
  version: string;
  /** The share it was served with during the window judged. */
  weight: number;
  captured: number;
  labeled: number;
  /** Bandit: reward sums over its labeled predictions. */
  successes?: number;
  failures?: number;
  /** A/B: its value of the compared metric; null without labels. */
  value?: number | null;
}

export interface ExperimentReport {
  strategy: "ab" | "bandit";
  startedAt: string;
  champion: string;
  /** A/B: the version under test. */
  challenger?: string;
  arms: ExperimentArm[];
  /** What the Monitor did: promoted or rolled back the challenger, let the test go on, or set new bandit weights. */
  action: "promoted" | "rolled-back" | "continue" | "reweighted";
  /** A/B: the decision with its numbers. */
  decision?: AbDecision;
  /** Bandit: the weights written, in arm order. */
  weights?: number[];
  reason: string;
}

/**
 * The traffic record a gate-passing run writes under `strategy` ab or bandit, in place of the
 * promotion. A bandit already running against the same champion takes the new version as one
 * more arm (the oldest challenger leaves past `bandit.challengers`); an A/B replaces any test
 * that runs (its challenger was never promoted, so nothing needs undoing).
 */
export function experimentRecord(
  spec: PipelineSpec,
  champion: string,
  candidate: string,
  current: TrafficRecord | null,
  now: Date,
): TrafficRecord {
  const startedAt = now.toISOString();
  const base = { pipeline: spec.name, baseline: champion, candidate, startedAt };
  if (spec.deploy.ab) {
    const weight = spec.deploy.ab.percent / 100;
    return {
      ...base,
      weight,
      strategy: "ab",
      arms: [
        { version: champion, weight: 1 - weight },
        { version: candidate, weight },
      ],
    };
  }
  const bandit = spec.deploy.bandit;
  if (!bandit) {
    throw new RangeError(`deploy.strategy ${spec.deploy.strategy} starts no experiment`);
  }
  const running =
    current?.strategy === "bandit" && current.baseline === champion && current.arms
      ? current.arms.slice(1).filter((a) => a.version !== candidate)
      : [];
  const challengers = [...running, { version: candidate, weight: 0 }].slice(-bandit.challengers);
  // Every arm starts (or restarts) at an equal share; the Monitor's next run reweighs.
  const k = challengers.length + 1;
  const arms: TrafficArm[] = [{ version: champion, weight: 1 / k }, ...challengers].map((a) => ({
    ...a,
    weight: 1 / k,
  }));
  return {
    ...base,
    startedAt: running.length > 0 && current ? current.startedAt : startedAt,
    weight: 1 - 1 / k,
    strategy: "bandit",
    arms,
  };
}

/** The record once the experiment ended: nothing but the champion is served. */
export function clearedRecord(record: TrafficRecord): TrafficRecord {
  return { ...record, candidate: null, weight: 0, arms: [] };
}

export interface ExperimentStep {
  report: ExperimentReport;
  /** The record to write: null to leave it as it is. */
  next: TrafficRecord | null;
  /** A/B promotion: the version to make champion. */
  promote: string | null;
  /** A/B rollback: the challenger to record as rolled back. */
  rollback: string | null;
}

/**
 * Judges a running experiment. `captures` may span more than its start; those before it and
 * of versions not in it are left out. `record.arms` must be the active arms (champion first).
 */
export function judgeExperiment(
  spec: PipelineSpec,
  record: TrafficRecord,
  captures: readonly CaptureRecord[],
  labels: readonly LabelRecord[],
  now: Date,
): ExperimentStep | null {
  const arms = record.arms ?? [];
  if (arms.length < 2 || (record.strategy !== "ab" && record.strategy !== "bandit")) return null;
  const since = Date.parse(record.startedAt);
  const versions = new Set(arms.map((a) => a.version));
  const mine = captures.filter(
    (c) =>
      versions.has(c.modelVersion) &&
      Date.parse(c.at) >= since &&
      Date.parse(c.at) <= now.getTime(),
  );
  const { joined } = joinLabels(mine, latestLabels(labels));
  const perArm = arms.map((arm) => {
    const rows = joined.filter((j) => j.capture.modelVersion === arm.version);
    const labeled = rows.filter((r): r is { capture: CaptureRecord; label: LabelRecord } =>
      Boolean(r.label),
    );
    return { arm, captured: rows.length, labeled };
  });
  return record.strategy === "ab"
    ? judgeAb(spec, record, perArm, now)
    : judgeBandit(spec, record, perArm, now);
}

type Labeled = { capture: CaptureRecord; label: LabelRecord };
type PerArm = { arm: TrafficArm; captured: number; labeled: Labeled[] };

function judgeAb(
  spec: PipelineSpec,
  record: TrafficRecord,
  perArm: PerArm[],
  now: Date,
): ExperimentStep {
  const ab = spec.deploy.ab ?? {
    percent: record.weight * 100,
    minLabels: 200,
    confidence: 0.95,
    maxDays: 14,
    metric: spec.gate.metric,
  };
  const [champion, challenger] = perArm;
  const metric = ab.metric;
  const options = { confidence: ab.confidence, minLabels: ab.minLabels };
  let decision: AbDecision;
  if (metric === "accuracy") {
    const counts = (rows: Labeled[]) => ({
      n: rows.length,
      correct: rows.filter((r) => String(r.capture.prediction) === String(r.label.label)).length,
    });
    decision = decideAccuracy(counts(champion.labeled), counts(challenger.labeled), options);
  } else {
    decision = decideBootstrap(
      champion.labeled,
      challenger.labeled,
      {
        name: metric,
        direction: metricDirection(metric),
        of: (rows) => liveMetrics(spec, [...rows])[metric] ?? Number.NaN,
      },
      { ...options, seed: spec.seed },
    );
  }
  const days = (now.getTime() - Date.parse(record.startedAt)) / 86_400_000;
  let action: ExperimentReport["action"] =
    decision.outcome === "promote"
      ? "promoted"
      : decision.outcome === "rollback"
        ? "rolled-back"
        : "continue";
  let reason = decision.reason;
  if (action === "continue" && days > ab.maxDays) {
    action = "rolled-back";
    reason = `out of time: ${decision.reason} after ${days.toFixed(1)} days, past deploy.ab.maxDays ${ab.maxDays}`;
  }
  const value = (n: number, v: number) => (n === 0 || !Number.isFinite(v) ? null : v);
  const report: ExperimentReport = {
    strategy: "ab",
    startedAt: record.startedAt,
    champion: champion.arm.version,
    challenger: challenger.arm.version,
    arms: [
      { ...armFigures(champion), value: value(decision.champion.n, decision.champion.value) },
      { ...armFigures(challenger), value: value(decision.challenger.n, decision.challenger.value) },
    ],
    action,
    decision,
    reason,
  };
  return {
    report,
    next: action === "continue" ? null : clearedRecord(record),
    promote: action === "promoted" ? challenger.arm.version : null,
    rollback: action === "rolled-back" ? challenger.arm.version : null,
  };
}

function judgeBandit(
  spec: PipelineSpec,
  record: TrafficRecord,
  perArm: PerArm[],
  now: Date,
): ExperimentStep {
  const bandit = spec.deploy.bandit ?? { challengers: 3, reward: "correct", minShare: 0.05 };
  const counted = perArm.map((p) => {
    let successes = 0;
    let failures = 0;
    for (const { capture, label } of p.labeled) {
      const reward =
        bandit.reward === "feedback"
          ? label.reward
          : String(capture.prediction) === String(label.label)
            ? 1
            : 0;
      // Under reward: feedback, a label without a reward says nothing about the arm.
      if (reward === undefined) continue;
      const r = Math.min(1, Math.max(0, reward));
      successes += r;
      failures += 1 - r;
    }
    return { ...p, successes, failures };
  });
  const shares = allocation(
    counted.map((c) => ({ version: c.arm.version, successes: c.successes, failures: c.failures })),
    spec.seed,
  );
  const floor = Math.min(bandit.minShare, 1 / counted.length);
  const weights = shares.map((s) => floor + (1 - counted.length * floor) * s);
  const arms: TrafficArm[] = counted.map((c, i) => ({
    version: c.arm.version,
    weight: weights[i],
    successes: c.successes,
    failures: c.failures,
  }));
  const labeled = counted.reduce((n, c) => n + c.labeled.length, 0);
  const best = weights.indexOf(Math.max(...weights));
  return {
    report: {
      strategy: "bandit",
      startedAt: record.startedAt,
      champion: counted[0].arm.version,
      arms: counted.map((c) => ({
        ...armFigures(c),
        successes: c.successes,
        failures: c.failures,
      })),
      action: "reweighted",
      weights,
      reason: `${labeled} labeled predictions since ${record.startedAt}; ${counted[best].arm.version} gets the largest share, ${round(weights[best])} (every arm at least ${floor})`,
    },
    next: {
      ...record,
      arms,
      weight: 1 - weights[0],
      updatedAt: now.toISOString(),
    },
    promote: null,
    rollback: null,
  };
}

function armFigures(p: PerArm): ExperimentArm {
  return {
    version: p.arm.version,
    weight: p.arm.weight,
    captured: p.captured,
    labeled: p.labeled.length,
  };
}

function round(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}
