/**
 * Everything a run report shows, as plain data gathered by the Report step (or a test) from
 * the run's state and artifacts. Every section is optional: a run that failed at Validate or
 * ended as NoDrift still gets a report with what it has.
 */
import type { DriftComparison } from "../drift/compare.ts";
import type { DataProfile } from "./data-profile.ts";
import type { CurvePoint } from "./evaluation.ts";

export type RunOutcome = "promoted" | "not-promoted" | "no-drift" | "failed" | "trained";

export interface ReportData {
  pipeline: string;
  execution: string;
  outcome: RunOutcome;
  /** One line saying what happened, e.g. "v3 promoted: accuracy 0.98 > champion 0.97". */
  headline: string;
  task: "classification" | "regression";
  target: string;
  /** ISO time the run started (from Ingest), or null when Ingest did not run. */
  startedAt: string | null;
  error: { name: string; message: string } | null;
  validation: { rows: number; columns: number; warnings: string[]; reportUri: string } | null;
  profile: DataProfile | null;
  split: {
    input: number;
    /** Absent in data from before `preprocessing.dropMissingTarget`. */
    missingTargetDropped?: number;
    duplicatesRemoved: number;
    train: number;
    test: number;
    /** How train and test were chosen, in words; absent in runs recorded before it. */
    strategy?: string;
    /** Where a time split's boundary fell, in words; null for other splits. */
    boundary?: string | null;
    /** How the search cross-validated, in words. */
    crossValidation?: string;
  } | null;
  search: {
    metric: string;
    /** null: not cross-validated. */
    folds: number | null;
    candidates: {
      candidateId: string;
      params: object;
      mean: number | null;
      std: number | null;
      rank: number;
    }[];
  } | null;
  test: { metrics: Record<string, number> } | null;
  evaluation:
    | {
        kind: "classification";
        classes: string[];
        confusion: number[][];
        /** Binary tasks only, for the class `classes[1]`. */
        curves: { positive: string; roc: CurvePoint[]; pr: CurvePoint[] } | null;
      }
    | { kind: "regression"; residuals: { predicted: number; residual: number }[] }
    | null;
  importance: { feature: string; importance: number }[] | null;
  shap: { feature: string; meanAbs: number }[] | null;
  /** Gradient boosting only: mean loss after 0, 1, … rounds (validation empty without early stopping). */
  learningCurve?: { loss: string; train: number[]; validation: number[] } | null;
  /** Linear models only: per output (a class, or the value) the intercept and coefficients. */
  coefficients?: {
    outputs: string[];
    intercept: number[];
    rows: { feature: string; values: number[] }[];
  } | null;
  /** Which test rows `shap` explains: `explained` of `of`, a sample drawn with `seed` when fewer. */
  shapRows?: { explained: number; of: number; seed: number } | null;
  comparison: {
    metric: string;
    value: number;
    version: string;
    promote: boolean;
    reasons: string[];
    champion: {
      version: string;
      value: number;
      source: "rescored" | "stored";
      /** Test rows both models were scored on (those the champion did not train on). */
      rows?: number | null;
      /** This run's model on those rows. */
      challengerValue?: number;
    } | null;
  } | null;
  drift: {
    retrain: boolean;
    reason: string;
    threshold: number;
    comparison: (DriftComparison & { champion?: string }) | null;
  } | null;
  lineage: { label: string; value: string }[];
}
