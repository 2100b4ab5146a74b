/**
 * Expands the spec's `search` section into the list of candidate model parameters the
 * state machine fans out over (one Train invocation per candidate). Grid search takes the
 * cartesian product in a stable order (keys sorted, values in spec order); random search
 * samples `iterations` distinct grid points with the spec seed, like scikit-learn's
 * ParameterSampler over lists. `none` is the one candidate of the model section.
 */
import { SpecError } from "../errors.ts";
import { createRng, shuffle } from "../random.ts";
import type { ModelParams, SearchSpec } from "../spec/types.ts";

export interface Candidate {
  /** Stable id, `c000`, `c001`, … in expansion order. */
  id: string;
  params: ModelParams;
}

/** Step Functions payloads are capped; a Map over more candidates than this is a spec mistake. */
export const MAX_CANDIDATES = 500;

export function expandCandidates(
  model: ModelParams,
  search: Pick<SearchSpec, "strategy" | "grid" | "iterations">,
  seed: number,
): Candidate[] {
  const base: ModelParams = {
    trees: model.trees,
    maxDepth: model.maxDepth,
    minSamplesLeaf: model.minSamplesLeaf,
    maxFeatures: model.maxFeatures,
    bootstrap: model.bootstrap,
    // only a non-forest family is recorded, so forest candidates keep their bytes (cache keys)
    ...(model.type && model.type !== "random-forest" ? { type: model.type } : {}),
    ...(model.boosting ? { boosting: { ...model.boosting } } : {}),
    ...(model.linear ? { linear: { ...model.linear } } : {}),
  };
  if (search.strategy === "none") return [{ id: candidateId(0), params: base }];

  const grid = search.grid;
  const keys = (Object.keys(grid) as (keyof ModelParams)[]).sort();
  const total = keys.reduce((n, k) => n * (grid[k]?.length ?? 1), 1);
  let points = Array.from({ length: total }, (_, i) => i);
  if (search.strategy === "random") {
    points = shuffle(points, createRng(seed)).slice(0, Math.min(search.iterations, total));
  }
  if (points.length > MAX_CANDIDATES) {
    throw new SpecError(
      `search expands to ${points.length} candidates, more than the ${MAX_CANDIDATES} one run fans out over; use strategy: random with fewer iterations, or a smaller grid`,
      { path: "search" },
    );
  }
  return points.map((point, i) => {
    const params: ModelParams = { ...base };
    let rest = point;
    for (let k = keys.length - 1; k >= 0; k--) {
      const values = grid[keys[k]] as unknown[];
      (params as unknown as Record<string, unknown>)[keys[k]] = values[rest % values.length];
      rest = Math.floor(rest / values.length);
    }
    return { id: candidateId(i), params };
  });
}

function candidateId(i: number): string {
  return `c${String(i).padStart(3, "0")}`;
}
