/**
 * Orchard's forest engine end to end: bin the features once, grow every tree (in this thread,
 * or on worker threads sharing the binned matrix), assemble the trees in index order.
 */
import type { FeatureMatrix, Target } from "../data/frame.ts";
import { ForestAssembler } from "./assemble.ts";
import { type BinnedFeatures, binFeatures } from "./binning.ts";
import { OrchardForestModel } from "./forest-model.ts";
import { DEFAULT_MAX_BINS, resolveMaxFeatures } from "./params.ts";
import { TreeBuilder, type TreeSettings, type TreeTarget } from "./tree-builder.ts";
import type { ForestParams } from "./types.ts";
import { growTreesInParallel, type ParallelOptions } from "./worker-pool.ts";

function sharedCopy<T extends Int32Array | Float64Array>(
  a: T,
  make: (b: SharedArrayBuffer) => T,
): T {
  const out = make(new SharedArrayBuffer(a.byteLength));
  out.set(a);
  return out;
}

/**
 * What every tree of a forest is grown from: the binned matrix, the target and the settings.
 * A function of (X, y, params) alone, so a shard (shards.ts) rebuilds exactly what one
 * process would.
 */
export function growthInputs(
  X: FeatureMatrix,
  y: Target,
  params: ForestParams,
  parallel: boolean,
): { data: BinnedFeatures; target: TreeTarget; settings: TreeSettings } {
  const data = binFeatures(X, params.maxBins ?? DEFAULT_MAX_BINS, params.seed, parallel);
  let target: TreeTarget;
  if (y.kind === "classification") {
    const codes = parallel ? sharedCopy(y.codes, (b) => new Int32Array(b)) : y.codes;
    target = { nClasses: y.classes.length, codes, values: null };
  } else {
    const values = parallel ? sharedCopy(y.values, (b) => new Float64Array(b)) : y.values;
    target = { nClasses: 0, codes: null, values };
  }
  const settings: TreeSettings = {
    maxDepth: params.maxDepth ?? Number.POSITIVE_INFINITY,
    minSamplesLeaf: params.minSamplesLeaf,
    maxFeatures: resolveMaxFeatures(params.maxFeatures, X.cols),
    bootstrap: params.bootstrap,
    seed: params.seed >>> 0,
  };
  return { data, target, settings };
}

/** Trains with validated inputs (see fit.ts). */
export async function trainOrchardForest(
  X: FeatureMatrix,
  y: Target,
  params: ForestParams,
  workers: number,
  parallelOptions: ParallelOptions = {},
): Promise<OrchardForestModel> {
  const parallel = (workers > 1 && params.trees > 1) || parallelOptions.callerGrows === false;
  const { data, target, settings } = growthInputs(X, y, params, parallel);
  const assembler = new ForestAssembler(
    { task: y.kind, nClasses: target.nClasses, codes: target.codes, values: target.values },
    X.cols,
    X.rows,
    params.trees,
    params.bootstrap,
  );
  if (parallel) {
    await growTreesInParallel(
      { data, target, settings },
      params.trees,
      workers,
      (tree) => assembler.add(tree),
      parallelOptions,
    );
  } else {
    const builder = new TreeBuilder(data, target, settings);
    for (let i = 0; i < params.trees; i++) assembler.add(builder.grow(i));
  }
  return new OrchardForestModel(assembler.finish());
}
