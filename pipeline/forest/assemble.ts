/**
 * Collects grown trees strictly in tree-index order into a FlatForest, and accumulates what
 * needs every tree: feature importance (each tree's normalized, then averaged and normalized,
 * like scikit-learn) and the out-of-bag predictions. Summing in index order is what makes the
 * floating-point results identical whatever the number of workers.
 */
import type { FlatForest } from "./forest-model.ts";
import { argmax } from "./forest-model.ts";
import type { GrownTree } from "./tree-builder.ts";
import type { ForestTask } from "./types.ts";

export interface AssemblerTarget {
  task: ForestTask;
  nClasses: number;
  codes: Int32Array | null;
  values: Float64Array | null;
}

export class ForestAssembler {
  private readonly trees: GrownTree[] = [];
  private readonly importanceSum: Float64Array;
  private treesWithSplits = 0;
  private readonly oobSum: Float64Array | null;
  private readonly oobCount: Int32Array | null;
  private readonly valueSize: number;

  constructor(
    private readonly target: AssemblerTarget,
    private readonly nFeatures: number,
    private readonly nRows: number,
    bootstrap: boolean,
  ) {
    this.valueSize = target.task === "classification" ? target.nClasses : 1;
    this.importanceSum = new Float64Array(nFeatures);
    this.oobSum = bootstrap ? new Float64Array(nRows * this.valueSize) : null;
    this.oobCount = bootstrap ? new Int32Array(nRows) : null;
  }

  get count(): number {
    return this.trees.length;
  }

  /** Adds the next tree; callers must add trees in index order. */
  add(tree: GrownTree): void {
    let total = 0;
    for (let f = 0; f < this.nFeatures; f++) total += tree.importance[f];
    if (total > 0) {
      this.treesWithSplits++;
      for (let f = 0; f < this.nFeatures; f++) this.importanceSum[f] += tree.importance[f] / total;
    }
    if (tree.oobLeaf && this.oobSum && this.oobCount) {
      const V = this.valueSize;
      const leaf = tree.oobLeaf;
      for (let r = 0; r < this.nRows; r++) {
        const l = leaf[r];
        if (l < 0) continue;
        this.oobCount[r]++;
        for (let c = 0; c < V; c++) this.oobSum[r * V + c] += tree.values[l * V + c];
      }
    }
    // the per-row leaf map is only needed for the score; drop it to keep memory flat
    this.trees.push({ ...tree, oobLeaf: null });
  }

  finish(): FlatForest {
    const T = this.trees.length;
    const treeNodeOffset = new Int32Array(T + 1);
    const treeLeafOffset = new Int32Array(T + 1);
    const V = this.valueSize;
    for (let t = 0; t < T; t++) {
      treeNodeOffset[t + 1] = treeNodeOffset[t] + this.trees[t].feature.length;
      treeLeafOffset[t + 1] = treeLeafOffset[t] + this.trees[t].values.length / V;
    }
    const nodes = treeNodeOffset[T];
    const feature = new Int32Array(nodes);
    const threshold = new Float64Array(nodes);
    const left = new Int32Array(nodes);
    const right = new Int32Array(nodes);
    const missingLeft = new Uint8Array(nodes);
    const values = new Float64Array(treeLeafOffset[T] * V);
    for (let t = 0; t < T; t++) {
      const tree = this.trees[t];
      const o = treeNodeOffset[t];
      feature.set(tree.feature, o);
      threshold.set(tree.threshold, o);
      left.set(tree.left, o);
      right.set(tree.right, o);
      missingLeft.set(tree.missingLeft, o);
      values.set(tree.values, treeLeafOffset[t] * V);
    }
    this.trees.length = 0;
    return {
      task: this.target.task,
      nFeatures: this.nFeatures,
      nClasses: this.target.task === "classification" ? this.target.nClasses : 0,
      treeNodeOffset,
      treeLeafOffset,
      feature,
      threshold,
      left,
      right,
      missingLeft,
      values,
      featureImportance: this.importance(),
      oobScore: this.oobScore(),
    };
  }

  private importance(): Float64Array {
    const out = new Float64Array(this.nFeatures);
    if (this.treesWithSplits === 0) return out;
    let total = 0;
    for (let f = 0; f < this.nFeatures; f++) total += this.importanceSum[f];
    for (let f = 0; f < this.nFeatures; f++) out[f] = this.importanceSum[f] / total;
    return out;
  }

  private oobScore(): number | null {
    const sum = this.oobSum;
    const count = this.oobCount;
    if (!sum || !count) return null;
    const V = this.valueSize;
    if (this.target.task === "classification") {
      const codes = this.target.codes!;
      let seen = 0;
      let correct = 0;
      for (let r = 0; r < this.nRows; r++) {
        if (count[r] === 0) continue;
        seen++;
        if (argmax(sum, r * V, V) === codes[r]) correct++;
      }
      return seen === 0 ? null : correct / seen;
    }
    const y = this.target.values!;
    let seen = 0;
    let mean = 0;
    for (let r = 0; r < this.nRows; r++) {
      if (count[r] === 0) continue;
      seen++;
      mean += y[r];
    }
    if (seen === 0) return null;
    mean /= seen;
    let ssRes = 0;
    let ssTot = 0;
    for (let r = 0; r < this.nRows; r++) {
      if (count[r] === 0) continue;
      const d = y[r] - sum[r] / count[r];
      const e = y[r] - mean;
      ssRes += d * d;
      ssTot += e * e;
    }
    return ssTot === 0 ? (ssRes === 0 ? 1 : 0) : 1 - ssRes / ssTot;
  }
}
