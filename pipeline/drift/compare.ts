/**
 * Compares incoming data with a drift baseline, feature by feature: PSI over the baseline's
 * bins (numeric: its deciles plus missing; categorical: its levels plus missing plus one bin
 * for every level the baseline never saw) and, for numeric features, the KS statistic against
 * the baseline's sample. A feature the baseline lacks, or whose kind changed, cannot be
 * compared and counts as drifted: the model would see something it was not trained on.
 */
import { type Column, type Frame, getColumn } from "../data/frame.ts";
import type { CategoricalBaseline, DriftBaseline, NumericBaseline } from "./baseline.ts";
import { levelCounts } from "./baseline.ts";
import { ksStatisticSorted } from "./ks.ts";
import { numericBinCounts, presentSorted, psiFromCounts } from "./psi.ts";

export type FeatureDriftStatus =
  | "stable"
  | "drifted"
  | "not-in-baseline"
  | "kind-changed"
  | "absent";

export interface FeatureDrift {
  feature: string;
  kind: "numeric" | "categorical";
  /** null when it cannot be computed (no rows on one side, or the feature is not comparable). */
  psi: number | null;
  /** Numeric features only. */
  ks: number | null;
  missingShare: number;
  baselineMissingShare: number | null;
  /** Categorical: levels present now that the baseline never saw (at most 20 listed). */
  unseenLevels: string[];
  /** Categorical: incoming rows with such a level. */
  unseenRows: number;
  status: FeatureDriftStatus;
}

export interface DriftComparison {
  threshold: number;
  rows: number;
  baselineRows: number;
  /** Highest PSI first; features without a PSI last, in name order. */
  features: FeatureDrift[];
  /** The largest finite PSI; null when no feature had one. */
  maxPsi: number | null;
  /** Features whose PSI reached the threshold or that could not be compared. */
  driftedFeatures: string[];
  drifted: boolean;
}

const UNSEEN_LISTED = 20;

export function compareWithBaseline(
  baseline: DriftBaseline,
  frame: Frame,
  features: readonly string[],
  threshold: number,
): DriftComparison {
  const out = features.map((name) =>
    featureDrift(name, baseline.columns[name], getColumn(frame, name), frame.rowCount, threshold),
  );
  out.sort(
    (a, b) =>
      (b.psi ?? Number.NEGATIVE_INFINITY) - (a.psi ?? Number.NEGATIVE_INFINITY) ||
      (a.feature < b.feature ? -1 : a.feature > b.feature ? 1 : 0),
  );
  const psis = out.map((f) => f.psi).filter((p): p is number => p !== null);
  const driftedFeatures = out.filter((f) => f.status !== "stable").map((f) => f.feature);
  return {
    threshold,
    rows: frame.rowCount,
    baselineRows: baseline.rows,
    features: out,
    maxPsi: psis.length > 0 ? Math.max(...psis) : null,
    driftedFeatures,
    drifted: driftedFeatures.length > 0,
  };
}

function featureDrift(
  name: string,
  base: NumericBaseline | CategoricalBaseline | undefined,
  col: Column | undefined,
  rows: number,
  threshold: number,
): FeatureDrift {
  const kind = col?.kind ?? base?.kind ?? "numeric";
  const empty = {
    feature: name,
    kind,
    psi: null,
    ks: null,
    missingShare: 0,
    baselineMissingShare: base ? missingShareOf(base) : null,
    unseenLevels: [],
    unseenRows: 0,
  };
  if (!col) return { ...empty, status: "absent" };
  const missingShare = rows === 0 ? 0 : missingCount(col) / rows;
  if (!base) return { ...empty, missingShare, status: "not-in-baseline" };
  if (base.kind !== col.kind) return { ...empty, missingShare, status: "kind-changed" };
  if (base.kind === "numeric" && col.kind === "numeric") {
    const psi = finite(psiFromCounts(base.counts, numericBinCounts(base.edges, col.values)));
    const ks = finite(ksStatisticSorted(base.sample, presentSorted(col.values)));
    return { ...empty, psi, ks, missingShare, status: verdict(psi, threshold) };
  }
  const cat = base as CategoricalBaseline;
  const current = levelCounts(col as Extract<Column, { kind: "categorical" }>);
  const known = Object.keys(cat.levels);
  const unseen = Object.keys(current.levels).filter((l) => !(l in cat.levels));
  const unseenRows = unseen.reduce((s, l) => s + current.levels[l], 0);
  // Bins: the baseline's levels, missing, and every level the baseline never saw.
  const expected = [...known.map((l) => cat.levels[l]), cat.missing, 0];
  const actual = [...known.map((l) => current.levels[l] ?? 0), current.missing, unseenRows];
  const psi = finite(psiFromCounts(expected, actual));
  return {
    ...empty,
    psi,
    missingShare,
    unseenLevels: unseen.slice(0, UNSEEN_LISTED),
    unseenRows,
    status: verdict(psi, threshold),
  };
}

function verdict(psi: number | null, threshold: number): FeatureDriftStatus {
  return psi !== null && psi >= threshold ? "drifted" : "stable";
}

function finite(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}

function missingShareOf(base: NumericBaseline | CategoricalBaseline): number {
  if (base.rows === 0) return 0;
  const missing = base.kind === "numeric" ? base.counts[base.counts.length - 1] : base.missing;
  return missing / base.rows;
}

function missingCount(col: Column): number {
  let n = 0;
  if (col.kind === "numeric") {
    for (const v of col.values) if (Number.isNaN(v)) n++;
  } else {
    for (const c of col.codes) if (c < 0) n++;
  }
  return n;
}
