/**
 * K-fold cross-validation of one candidate (forward-chaining folds when the run splits by
 * time), and the ranking of candidates by it. Every fold
 * fits its own preprocessor on the fold's training rows, so no statistic of the held-out fold
 * leaks into the model (scikit-learn's Pipeline inside cross_validate). All candidates of a
 * run see the same folds (same seed), so their scores are comparable.
 */
import type { Frame, Target } from "../data/frame.ts";
import { takeRows } from "../data/frame.ts";
import { metricDirection } from "../metrics/compute.ts";
import type { Candidate } from "../search/candidates.ts";
import type { Metric } from "../spec/types.ts";
import { kFold, stratifiedKFold } from "../split/k-fold.ts";
import { timeSeriesFolds } from "../split/time-series-folds.ts";
import { fitModel, type MetricRecord, scoreModel, type TrainingSetup, takeTarget } from "./fit.ts";

export interface CvSettings {
  /** null: no cross-validation (the candidate is scored null, and fits nothing here). */
  folds: number | null;
  metric: Metric;
  /**
   * Each row's time when the run splits by time: the folds then chain forward in time
   * (scikit-learn's TimeSeriesSplit) instead of shuffling later rows into earlier folds' training.
   */
  times?: Float64Array;
}

export interface CvResult {
  candidateId: string;
  params: Candidate["params"];
  metric: Metric;
  scores: number[];
  /** null when the search did not cross-validate. */
  mean: number | null;
  /** Population standard deviation over folds, as scikit-learn's `std_test_score`. */
  std: number | null;
}

export async function crossValidate(
  frame: Frame,
  target: Target,
  candidate: Candidate,
  setup: TrainingSetup,
  cv: CvSettings,
): Promise<CvResult> {
  if (cv.folds === null) {
    return {
      candidateId: candidate.id,
      params: candidate.params,
      metric: cv.metric,
      scores: [],
      mean: null,
      std: null,
    };
  }
  const splits = cv.times
    ? timeSeriesFolds(cv.times, cv.folds)
    : target.kind === "classification"
      ? stratifiedKFold(target.codes, cv.folds, setup.seed, { classes: target.classes })
      : kFold(frame.rowCount, cv.folds, setup.seed);
  const scores: number[] = [];
  for (const split of splits) {
    const model = await fitModel(
      takeRows(frame, split.train),
      takeTarget(target, split.train),
      candidate.params,
      setup,
    );
    const metrics = scoreModel(model, takeRows(frame, split.test), takeTarget(target, split.test));
    // A metric a fold cannot define (roc_auc when a forward fold lacks a class) scores NaN,
    // which ranks the candidate last rather than failing the search.
    const value = (metrics as unknown as Record<string, number | undefined>)[cv.metric];
    scores.push(value ?? Number.NaN);
  }
  const mean = scores.reduce((a, b) => a + b, 0) / scores.length;
  const std = Math.sqrt(scores.reduce((a, s) => a + (s - mean) ** 2, 0) / scores.length);
  return {
    candidateId: candidate.id,
    params: candidate.params,
    metric: cv.metric,
    scores,
    mean,
    std,
  };
}

export interface RankedCandidate extends CvResult {
  /** 1 is best. */
  rank: number;
}

/**
 * Best first by mean score in the metric's direction; ties go to the smaller spread, then the
 * id. A NaN mean (e.g. R² on a one-row fold) ranks last whatever the direction: NaN compares
 * false both ways, so left in the subtraction it would land anywhere, first included.
 */
export function rankCandidates(results: CvResult[]): RankedCandidate[] {
  if (results.length === 0) return [];
  const sign = metricDirection(results[0].metric) === "higher" ? -1 : 1;
  // No score (not cross-validated) ranks like NaN: last.
  const num = (v: number | null) => v ?? Number.NaN;
  const nanLast = (a: number, b: number) => Number(Number.isNaN(a)) - Number(Number.isNaN(b));
  const spread = (a: number, b: number) => nanLast(a, b) || (Number.isNaN(a) ? 0 : a - b) || 0;
  return [...results]
    .sort(
      (a, b) =>
        nanLast(num(a.mean), num(b.mean)) ||
        (Number.isNaN(num(a.mean)) ? 0 : sign * (num(a.mean) - num(b.mean))) ||
        spread(num(a.std), num(b.std)) ||
        a.candidateId.localeCompare(b.candidateId),
    )
    .map((r, i) => ({ ...r, rank: i + 1 }));
}

export function metricValue(metrics: MetricRecord, metric: Metric): number {
  const value = (metrics as unknown as Record<string, number | undefined>)[metric];
  if (value === undefined) {
    throw new RangeError(`metric "${metric}" is not computed for this task`);
  }
  return value;
}
