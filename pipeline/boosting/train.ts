/**
 * Histogram gradient boosting end to end: hold out the seeded validation rows (early
 * stopping), bin the training rows once, then per round compute gradients, draw the round's
 * rows and the tree's features, grow one tree per output and add it to the raw scores.
 *
 * Every random choice is a stream derived from the seed and the round or tree index, and
 * histograms do not depend on the thread that sums them, so the model's bytes depend only
 * on (X, y, params).
 */
import type { FeatureMatrix, Target } from "../data/frame.ts";
import { binFeatures } from "../forest/binning.ts";
import { createRng, deriveSeed, randInt, shuffle } from "../random.ts";
import { BoostedModel, type FlatBoosting } from "./boosted-model.ts";
import { BoostTreeGrower, type GrownTree, type GrowSettings } from "./grow-tree.ts";
import { type HistogramSource, LocalHistogramSource } from "./histogram.ts";
import { baseline, gradients, type LossName, type LossTarget, meanLoss, median } from "./losses.ts";
import { startParallelHistograms } from "./parallel-histogram.ts";
import { AUTO_EARLY_STOPPING_ROWS } from "./params.ts";
import type { BoostingParams } from "./types.ts";

/** scikit-learn's `tol` for early stopping on the loss. */
const EARLY_STOPPING_TOL = 1e-7;

/** Seed streams, so that validation rows, row samples and feature samples never share one. */
const STREAM_VALIDATION = 0x7a11d;
const STREAM_ROWS = 0x5eed_0001;
const STREAM_FEATURES = 0x5eed_0002;

/**
 * The validation rows, sorted: a seeded share of each class (classification, so every class
 * keeps its proportion, as scikit-learn's stratified `train_test_split`), or of all rows.
 */
export function validationRows(y: Target, fraction: number, seed: number): Int32Array {
  const rng = createRng(deriveSeed(seed, STREAM_VALIDATION));
  const groups: number[][] = [];
  if (y.kind === "classification") {
    for (let k = 0; k < y.classes.length; k++) groups.push([]);
    y.codes.forEach((c, r) => {
      groups[c].push(r);
    });
  } else groups.push(Array.from(y.values, (_, r) => r));
  const picked: number[] = [];
  for (const rows of groups) {
    const take = Math.round(rows.length * fraction);
    picked.push(...shuffle(rows, rng).slice(0, take));
  }
  return Int32Array.from(picked).sort();
}

function takeMatrix(X: FeatureMatrix, rows: ArrayLike<number>): FeatureMatrix {
  const values = new Float64Array(rows.length * X.cols);
  for (let i = 0; i < rows.length; i++) {
    values.set(X.values.subarray(rows[i] * X.cols, (rows[i] + 1) * X.cols), i * X.cols);
  }
  return { values, rows: rows.length, cols: X.cols, names: X.names };
}

function lossTarget(y: Target, rows: ArrayLike<number> | null, K: number): LossTarget {
  if (y.kind === "classification") {
    return { codes: rows ? Int32Array.from(rows, (r) => y.codes[r]) : y.codes, values: null, K };
  }
  return { codes: null, values: rows ? Float64Array.from(rows, (r) => y.values[r]) : y.values, K };
}

/** k distinct sorted picks from 0..n-1. */
function drawSorted(n: number, k: number, seed: number): Int32Array {
  if (k >= n) return Int32Array.from({ length: n }, (_, i) => i);
  const all = Int32Array.from({ length: n }, (_, i) => i);
  const rng = createRng(seed);
  // partial Fisher-Yates: the first k slots are a uniform sample
  for (let i = 0; i < k; i++) {
    const j = i + randInt(rng, n - i);
    const t = all[i];
    all[i] = all[j];
    all[j] = t;
  }
  return all.slice(0, k).sort();
}

/** Adds tree `tree`'s leaf values to output k of `raw` for every row of X (raw values). */
function addTree(tree: GrownTree, X: FeatureMatrix, raw: Float64Array, K: number, k: number) {
  const { feature, threshold, left, right, missingLeft, values } = tree;
  for (let r = 0; r < X.rows; r++) {
    const xo = r * X.cols;
    let node = 0;
    while (feature[node] >= 0) {
      const v = X.values[xo + feature[node]];
      node =
        v <= threshold[node] || (Number.isNaN(v) && missingLeft[node] === 1)
          ? left[node]
          : right[node];
    }
    raw[r * K + k] += values[left[node]];
  }
}

/** Trains with validated inputs (see fit.ts). */
export async function trainBoosting(
  X: FeatureMatrix,
  y: Target,
  params: BoostingParams,
  workers = 1,
): Promise<BoostedModel> {
  const nClasses = y.kind === "classification" ? y.classes.length : 0;
  const K = nClasses > 2 ? nClasses : 1;
  const loss: LossName = y.kind === "classification" ? "log_loss" : params.loss;
  const early =
    params.earlyStopping === "auto" ? X.rows > AUTO_EARLY_STOPPING_ROWS : params.earlyStopping;
  let Xtr = X;
  let tTrain = lossTarget(y, null, K);
  let Xval: FeatureMatrix | null = null;
  let tVal: LossTarget | null = null;
  if (early) {
    const val = validationRows(y, params.validationFraction, params.seed);
    const isVal = new Uint8Array(X.rows);
    for (const r of val) isVal[r] = 1;
    const train: number[] = [];
    for (let r = 0; r < X.rows; r++) if (!isVal[r]) train.push(r);
    Xtr = takeMatrix(X, train);
    tTrain = lossTarget(y, train, K);
    Xval = takeMatrix(X, val);
    tVal = lossTarget(y, val, K);
  }
  const n = Xtr.rows;
  const F = X.cols;
  const parallel = workers > 1;
  const data = binFeatures(Xtr, params.maxBins, params.seed, parallel);
  const source: HistogramSource = parallel
    ? await startParallelHistograms(data, workers, K)
    : new LocalHistogramSource(data, K);
  try {
    const grower = new BoostTreeGrower(data, source);
    const settings: GrowSettings = {
      maxLeaves: params.maxLeaves ?? Number.POSITIVE_INFINITY,
      maxDepth: params.maxDepth ?? Number.POSITIVE_INFINITY,
      minSamplesLeaf: params.minSamplesLeaf,
      l2: params.l2,
      learningRate: params.learningRate,
      constantHessian: loss !== "log_loss",
    };
    const base = baseline(loss, tTrain, nClasses);
    const raw = new Float64Array(n * K);
    for (let r = 0; r < n; r++) raw.set(base, r * K);
    const rawVal = Xval ? new Float64Array(Xval.rows * K) : null;
    if (rawVal) for (let r = 0; r < Xval!.rows; r++) rawVal.set(base, r * K);
    const g = source.gradients;
    const h = source.hessians;
    const trainLoss: number[] = [];
    const validationLoss: number[] = [];
    if (tVal && rawVal) validationLoss.push(meanLoss(loss, tVal, rawVal));
    const trees: GrownTree[] = [];
    const gain = new Float64Array(F);
    const nSample = Math.max(1, Math.round(params.subsample * n));
    const nFeat = Math.max(1, Math.round(params.colsample * F));
    const allRows = Int32Array.from({ length: n }, (_, i) => i);
    const residual = loss === "absolute_error" ? new Float64Array(n) : null;
    for (let it = 0; it < params.iterations; it++) {
      trainLoss.push(gradients(loss, tTrain, raw, g, h));
      const sampleRows =
        nSample < n ? drawSorted(n, nSample, deriveSeed(params.seed ^ STREAM_ROWS, it)) : allRows;
      for (let k = 0; k < K; k++) {
        const features =
          nFeat < F
            ? drawSorted(F, nFeat, deriveSeed(params.seed ^ STREAM_FEATURES, it * K + k))
            : Int32Array.from({ length: F }, (_, i) => i);
        source.rows.set(sampleRows);
        const gk = K === 1 ? g : g.subarray(k * n, (k + 1) * n);
        const hk = K === 1 ? h : h.subarray(k * n, (k + 1) * n);
        const tree = grower.grow(gk, hk, k, sampleRows.length, features, settings);
        if (residual) {
          // scikit-learn's absolute error: each leaf takes the median residual of its rows
          for (let l = 0; l < tree.values.length; l++) {
            const s = tree.leafStart[l];
            const e = tree.leafEnd[l];
            for (let i = s; i < e; i++) {
              const r = source.rows[i];
              residual[i - s] = tTrain.values![r] - raw[r];
            }
            tree.values[l] = params.learningRate * median(residual.subarray(0, e - s));
          }
        }
        if (nSample === n) {
          for (let l = 0; l < tree.values.length; l++) {
            const v = tree.values[l];
            for (let i = tree.leafStart[l]; i < tree.leafEnd[l]; i++)
              raw[source.rows[i] * K + k] += v;
          }
        } else addTree(tree, Xtr, raw, K, k);
        if (Xval && rawVal) addTree(tree, Xval, rawVal, K, k);
        for (let f = 0; f < F; f++) gain[f] += tree.gain[f];
        trees.push(tree);
      }
      if (tVal && rawVal) {
        validationLoss.push(meanLoss(loss, tVal, rawVal));
        if (shouldStop(validationLoss, params.patience)) break;
      }
    }
    trainLoss.push(meanLoss(loss, tTrain, raw));
    return new BoostedModel(
      assemble(trees, base, gain, {
        task: y.kind,
        nFeatures: F,
        nClasses,
        loss,
        trainLoss: Float64Array.from(trainLoss),
        validationLoss: Float64Array.from(validationLoss),
      }),
    );
  } finally {
    await source.close();
  }
}

/**
 * scikit-learn's rule (`_should_stop` with scoring "loss"): stop when none of the last
 * `patience` losses beats the one `patience + 1` back by more than the tolerance.
 */
export function shouldStop(losses: number[], patience: number): boolean {
  if (losses.length <= patience) return false;
  const reference = losses[losses.length - patience - 1];
  for (let i = losses.length - patience; i < losses.length; i++) {
    if (losses[i] < reference - EARLY_STOPPING_TOL) return false;
  }
  return true;
}

function assemble(
  trees: GrownTree[],
  base: Float64Array,
  gain: Float64Array,
  info: Pick<
    FlatBoosting,
    "task" | "nFeatures" | "nClasses" | "loss" | "trainLoss" | "validationLoss"
  >,
): FlatBoosting {
  const T = trees.length;
  const treeNodeOffset = new Int32Array(T + 1);
  const treeLeafOffset = new Int32Array(T + 1);
  trees.forEach((t, i) => {
    treeNodeOffset[i + 1] = treeNodeOffset[i] + t.feature.length;
    treeLeafOffset[i + 1] = treeLeafOffset[i] + t.values.length;
  });
  const N = treeNodeOffset[T];
  const feature = new Int32Array(N);
  const threshold = new Float64Array(N);
  const left = new Int32Array(N);
  const right = new Int32Array(N);
  const missingLeft = new Uint8Array(N);
  const cover = new Float64Array(N);
  const values = new Float64Array(treeLeafOffset[T]);
  trees.forEach((t, i) => {
    const o = treeNodeOffset[i];
    feature.set(t.feature, o);
    threshold.set(t.threshold, o);
    left.set(t.left, o);
    right.set(t.right, o);
    missingLeft.set(t.missingLeft, o);
    cover.set(t.cover, o);
    values.set(t.values, treeLeafOffset[i]);
  });
  let total = 0;
  for (const v of gain) total += v;
  const featureImportance = Float64Array.from(gain, (v) => (total > 0 ? v / total : 0));
  return {
    ...info,
    baseline: base,
    treeNodeOffset,
    treeLeafOffset,
    feature,
    threshold,
    left,
    right,
    missingLeft,
    values,
    cover,
    featureImportance,
  };
}
