/**
 * Expands the spec's `search` section into the list of candidate model parameters the
 * state machine fans out over (one Train invocation per candidate). Grid search takes the
 * cartesian product in a stable order (keys sorted, values in spec order); random search
 * samples `iterations` distinct grid points with the spec seed, like scikit-learn's
 * ParameterSampler over lists. `none` is the one candidate of the model section.
 *
 * A grid may vary `type` (the model family): each point then starts from that family's
 * parameters (the model section's when it is the section's family, else the family's
 * defaults) and takes only the grid keys the family has. Points that differ only in keys
 * their family lacks are the same candidate and kept once, so ids stay dense; random search
 * samples points first, so it may then yield fewer than `iterations` candidates.
 */
import { SpecError } from "../errors.ts";
import { createRng, shuffle } from "../random.ts";
import { boostingOf } from "../spec/apply-defaults.ts";
import type { ModelParams, ModelType, SearchSpec } from "../spec/types.ts";

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
  const base = familyBase(model.type ?? "random-forest", model);
  if (search.strategy === "none") return [{ id: candidateId(0), params: base }];

  const grid = search.grid as Record<string, unknown[] | undefined>;
  const keys = Object.keys(grid).sort();
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
  const out: Candidate[] = [];
  const seen = new Set<string>();
  for (const point of points) {
    const values: Record<string, unknown> = {};
    let rest = point;
    for (let k = keys.length - 1; k >= 0; k--) {
      const list = grid[keys[k]] as unknown[];
      values[keys[k]] = list[rest % list.length];
      rest = Math.floor(rest / list.length);
    }
    const type = (values.type as ModelType | undefined) ?? model.type ?? "random-forest";
    const params = familyBase(type, model);
    for (const key of keys) if (key !== "type") applyGridValue(params, type, key, values[key]);
    // keys another family does not have make equal candidates of that family: keep the first
    const signature = JSON.stringify(params);
    if (seen.has(signature)) continue;
    seen.add(signature);
    out.push({ id: candidateId(out.length), params });
  }
  return out;
}

const FOREST_KEYS = ["trees", "maxDepth", "minSamplesLeaf", "maxFeatures", "bootstrap"] as const;
const TREE_KEYS_OF_BOOSTING = ["maxDepth", "minSamplesLeaf"];

/**
 * The parameters a candidate of family `type` starts from: the model section when it is that
 * family, else the family's defaults (a forest keeps the section's task-dependent maxFeatures).
 * Only a non-forest family records `type`, so forest candidates keep their bytes (cache keys).
 */
function familyBase(type: ModelType, model: ModelParams): ModelParams {
  const own = (model.type ?? "random-forest") === type;
  const forest: ModelParams = {
    trees: model.trees,
    maxDepth: model.maxDepth,
    minSamplesLeaf: model.minSamplesLeaf,
    maxFeatures: model.maxFeatures,
    bootstrap: model.bootstrap,
  };
  if (!own && (model.type ?? "random-forest") !== "random-forest") {
    // the section's tree keys belong to its own family: start from the forest's defaults
    Object.assign(forest, { trees: 100, maxDepth: null, minSamplesLeaf: 1, bootstrap: true });
  }
  if (type === "random-forest") return forest;
  // A custom trainer takes no Orchard parameters; its candidate only names the family.
  if (type === "custom") return { ...forest, type };
  if (type === "gradient-boosting") {
    if (own && model.boosting) return { ...forest, type, boosting: { ...model.boosting } };
    return { ...forest, maxDepth: null, minSamplesLeaf: 20, type, boosting: boostingOf({}) };
  }
  const linear =
    own && model.linear
      ? { ...model.linear }
      : type === "logistic-regression"
        ? { C: 1 }
        : { alpha: 1 };
  return { ...forest, type, linear };
}

function applyGridValue(params: ModelParams, type: ModelType, key: string, value: unknown): void {
  const set = (target: object, k: string) => {
    (target as Record<string, unknown>)[k] = value;
  };
  if ((FOREST_KEYS as readonly string[]).includes(key)) {
    if (
      type === "random-forest" ||
      (type === "gradient-boosting" && TREE_KEYS_OF_BOOSTING.includes(key))
    ) {
      set(params, key);
    }
  } else if (key === "C" || key === "alpha") {
    const owner = key === "C" ? "logistic-regression" : "linear-regression";
    if (type === owner && params.linear) set(params.linear, key);
  } else if (type === "gradient-boosting" && params.boosting) {
    set(params.boosting, key);
  }
}

function candidateId(i: number): string {
  return `c${String(i).padStart(3, "0")}`;
}
