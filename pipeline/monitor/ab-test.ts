/**
 * The A/B decision (issue 19 item 4), pure: champion and challenger each served a share of
 * traffic, and their labeled outcomes decide. The challenger is promoted only when it is
 * better with the stated confidence; otherwise it is rolled back (or the test goes on while
 * either arm has fewer than `minLabels` labeled predictions).
 *
 * - accuracy: a one-sided two-proportion z-test with the pooled standard error
 *   (H0: p_challenger <= p_champion); promoted when p-value < 1 - confidence.
 * - other metrics: a seeded percentile bootstrap of the difference (challenger - champion,
 *   signed so that larger is better); promoted when the lower bound of the one-sided
 *   `confidence` interval is above 0.
 *
 * The decision carries its numbers, for the registry record and the report.
 */
import { createRng } from "../random.ts";

export type AbOutcome = "promote" | "rollback" | "continue";

export interface AbDecision {
  outcome: AbOutcome;
  metric: string;
  champion: { n: number; value: number };
  challenger: { n: number; value: number };
  /** challenger - champion, in the better direction (positive: challenger better). */
  difference: number;
  confidence: number;
  /** Two-proportion test only. */
  z?: number;
  pValue?: number;
  /** Bootstrap only: the one-sided lower bound of the difference. */
  lowerBound?: number;
  reason: string;
}

/** Standard normal CDF (Abramowitz–Stegun 7.1.26 on erf; |error| < 1.5e-7). */
export function normalCdf(x: number): number {
  const t = 1 / (1 + (0.3275911 * Math.abs(x)) / Math.SQRT2);
  const poly =
    t *
    (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erf = 1 - poly * Math.exp(-(x * x) / 2);
  return x >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}

/** Accuracy A/B: correct counts out of labeled predictions per arm. */
export function decideAccuracy(
  champion: { correct: number; n: number },
  challenger: { correct: number; n: number },
  options: { confidence?: number; minLabels?: number } = {},
): AbDecision {
  const confidence = options.confidence ?? 0.95;
  const minLabels = options.minLabels ?? 100;
  const p1 = champion.n === 0 ? 0 : champion.correct / champion.n;
  const p2 = challenger.n === 0 ? 0 : challenger.correct / challenger.n;
  const base = {
    metric: "accuracy",
    champion: { n: champion.n, value: p1 },
    challenger: { n: challenger.n, value: p2 },
    difference: p2 - p1,
    confidence,
  };
  if (champion.n < minLabels || challenger.n < minLabels) {
    return {
      ...base,
      outcome: "continue",
      reason: `${Math.min(champion.n, challenger.n)} labeled predictions in the smaller arm, fewer than ${minLabels}`,
    };
  }
  const pooled = (champion.correct + challenger.correct) / (champion.n + challenger.n);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / champion.n + 1 / challenger.n));
  const z = se === 0 ? 0 : (p2 - p1) / se;
  const pValue = 1 - normalCdf(z);
  const better = pValue < 1 - confidence;
  return {
    ...base,
    z,
    pValue,
    outcome: better ? "promote" : "rollback",
    reason: better
      ? `challenger accuracy ${p2.toFixed(4)} beats ${p1.toFixed(4)} (z ${z.toFixed(2)}, p ${pValue.toExponential(2)} < ${(1 - confidence).toFixed(3)})`
      : `challenger accuracy ${p2.toFixed(4)} is not better than ${p1.toFixed(4)} with ${confidence * 100}% confidence (p ${pValue.toFixed(3)})`,
  };
}

/**
 * Any metric A/B by bootstrap: `metric(sample)` over each arm's per-prediction records,
 * `direction` which way is better; `resamples` seeded draws.
 */
export function decideBootstrap<T>(
  champion: readonly T[],
  challenger: readonly T[],
  metric: { name: string; direction: "higher" | "lower"; of: (rows: readonly T[]) => number },
  options: { confidence?: number; minLabels?: number; resamples?: number; seed?: number } = {},
): AbDecision {
  const confidence = options.confidence ?? 0.95;
  const minLabels = options.minLabels ?? 100;
  const sign = metric.direction === "higher" ? 1 : -1;
  const v1 = champion.length ? metric.of(champion) : Number.NaN;
  const v2 = challenger.length ? metric.of(challenger) : Number.NaN;
  const base = {
    metric: metric.name,
    champion: { n: champion.length, value: v1 },
    challenger: { n: challenger.length, value: v2 },
    difference: sign * (v2 - v1),
    confidence,
  };
  if (champion.length < minLabels || challenger.length < minLabels) {
    return {
      ...base,
      outcome: "continue",
      reason: `${Math.min(champion.length, challenger.length)} labeled predictions in the smaller arm, fewer than ${minLabels}`,
    };
  }
  const rng = createRng(options.seed ?? 42);
  const resample = (rows: readonly T[]) =>
    Array.from({ length: rows.length }, () => rows[Math.floor(rng() * rows.length)]);
  const diffs = Array.from(
    { length: options.resamples ?? 1000 },
    () => sign * (metric.of(resample(challenger)) - metric.of(resample(champion))),
  ).sort((a, b) => a - b);
  const lowerBound = diffs[Math.floor((1 - confidence) * diffs.length)];
  const better = lowerBound > 0;
  return {
    ...base,
    lowerBound,
    outcome: better ? "promote" : "rollback",
    reason: better
      ? `challenger ${metric.name} is better by ${base.difference.toFixed(4)}, one-sided ${confidence * 100}% lower bound ${lowerBound.toFixed(4)} > 0`
      : `challenger ${metric.name} is not better with ${confidence * 100}% confidence (lower bound ${lowerBound.toFixed(4)})`,
  };
}
