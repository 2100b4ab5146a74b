/**
 * Seeded synthetic binary classification data in the spirit of scikit-learn's
 * make_classification (hypercube clusters, informative + redundant + noise features, label
 * noise), generated in TypeScript so every engine in the benchmark sees the same rows.
 *
 * Informative features: each class has `clustersPerClass` Gaussian clusters centred on
 * distinct vertices of a hypercube of side 2 * classSep, each with its own random linear
 * covariance. Redundant features are random linear combinations of the informative ones;
 * the rest are N(0, 1) noise. A `flipY` share of labels is replaced at random, and columns are
 * shuffled so informative features are not simply the first ones.
 */
import type { ClassTarget, FeatureMatrix } from "../pipeline/data/frame.ts";
import { createRng, deriveSeed, type Rng, randInt, shuffle } from "../pipeline/random.ts";

export interface MakeClassificationOptions {
  rows: number;
  features: number;
  seed: number;
  informative?: number;
  redundant?: number;
  clustersPerClass?: number;
  classSep?: number;
  flipY?: number;
}

export interface Dataset {
  X: FeatureMatrix;
  y: ClassTarget;
}

function gaussian(rng: Rng): number {
  // Box–Muller; 1 - u keeps the log argument in (0, 1]
  const u = 1 - rng();
  const v = rng();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

export function makeClassification(opts: MakeClassificationOptions): Dataset {
  const { rows, features, seed } = opts;
  const informative = opts.informative ?? Math.max(2, Math.round(features * 0.3));
  const redundant = opts.redundant ?? Math.min(features - informative, Math.round(features * 0.2));
  const clusters = opts.clustersPerClass ?? 2;
  const classSep = opts.classSep ?? 1;
  const flipY = opts.flipY ?? 0.01;
  if (informative + redundant > features || informative < 1) {
    throw new Error(
      `informative (${informative}) + redundant (${redundant}) must fit in ${features} features`,
    );
  }
  const rng = createRng(deriveSeed(seed, 0));
  const nClusters = 2 * clusters;
  if (nClusters > 2 ** informative)
    throw new Error("too few informative features for the clusters");

  // distinct hypercube vertices as centroids
  const vertices = new Set<number>();
  while (vertices.size < nClusters) vertices.add(randInt(rng, 2 ** Math.min(informative, 30)));
  const centroids = [...vertices].map((v) =>
    Array.from({ length: informative }, (_, d) => ((v >> d) & 1 ? classSep : -classSep)),
  );
  const covariances = centroids.map(() =>
    Array.from({ length: informative * informative }, () => 2 * rng() - 1),
  );
  const mix = Array.from({ length: informative * redundant }, () => 2 * rng() - 1);
  const order = shuffle(
    Array.from({ length: features }, (_, i) => i),
    rng,
  );

  const values = new Float64Array(rows * features);
  const codes = new Int32Array(rows);
  const z = new Float64Array(informative);
  const row = new Float64Array(features);
  for (let r = 0; r < rows; r++) {
    const k = r % nClusters;
    codes[r] = k % 2;
    for (let d = 0; d < informative; d++) z[d] = gaussian(rng);
    const A = covariances[k];
    for (let d = 0; d < informative; d++) {
      let s = centroids[k][d];
      for (let e = 0; e < informative; e++) s += z[e] * A[e * informative + d];
      row[d] = s;
    }
    for (let j = 0; j < redundant; j++) {
      let s = 0;
      for (let d = 0; d < informative; d++) s += row[d] * mix[d * redundant + j];
      row[informative + j] = s;
    }
    for (let j = informative + redundant; j < features; j++) row[j] = gaussian(rng);
    for (let j = 0; j < features; j++) values[r * features + order[j]] = row[j];
    if (rng() < flipY) codes[r] = randInt(rng, 2);
  }
  // rows were generated cluster by cluster in turn; shuffle them so any split is fair
  const perm = shuffle(
    Int32Array.from({ length: rows }, (_, i) => i),
    rng,
  );
  const shuffled = new Float64Array(rows * features);
  const shuffledCodes = new Int32Array(rows);
  for (let i = 0; i < rows; i++) {
    const r = perm[i];
    shuffled.set(values.subarray(r * features, (r + 1) * features), i * features);
    shuffledCodes[i] = codes[r];
  }
  const names = Array.from({ length: features }, (_, j) => `f${j}`);
  return {
    X: { values: shuffled, rows, cols: features, names },
    y: { kind: "classification", codes: shuffledCodes, classes: ["0", "1"] },
  };
}

/** A seeded split: the first `1 - testFraction` of a permutation trains, the rest tests. */
export function trainTestSplit(
  data: Dataset,
  testFraction: number,
  seed: number,
): { train: Dataset; test: Dataset } {
  const { rows, cols, names } = data.X;
  const perm = shuffle(
    Int32Array.from({ length: rows }, (_, i) => i),
    createRng(deriveSeed(seed, 1)),
  );
  const nTest = Math.round(rows * testFraction);
  const take = (idx: Int32Array): Dataset => {
    const values = new Float64Array(idx.length * cols);
    const codes = new Int32Array(idx.length);
    for (let i = 0; i < idx.length; i++) {
      values.set(data.X.values.subarray(idx[i] * cols, (idx[i] + 1) * cols), i * cols);
      codes[i] = data.y.codes[idx[i]];
    }
    return {
      X: { values, rows: idx.length, cols, names },
      y: { kind: "classification", codes, classes: data.y.classes },
    };
  };
  return { train: take(perm.subarray(nTest)), test: take(perm.subarray(0, nTest)) };
}
