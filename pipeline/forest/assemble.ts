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

/** Growable flat node and leaf arrays; exact-length views are handed out at the end. */
class FlatBuffers {
  nodes = 0;
  leaves = 0;
  feature = new Int32Array(0);
  threshold = new Float64Array(0);
  left = new Int32Array(0);
  right = new Int32Array(0);
  missingLeft = new Uint8Array(0);
  values = new Float64Array(0);

  constructor(private readonly valueSize: number) {}

  reserve(nodes: number, leaves: number): void {
    if (nodes > this.feature.length) {
      const grow = <T extends Int32Array | Float64Array | Uint8Array>(a: T, b: T): T => {
        b.set(a.subarray(0, this.nodes) as never);
        return b;
      };
      this.feature = grow(this.feature, new Int32Array(nodes));
      this.threshold = grow(this.threshold, new Float64Array(nodes));
      this.left = grow(this.left, new Int32Array(nodes));
      this.right = grow(this.right, new Int32Array(nodes));
      this.missingLeft = grow(this.missingLeft, new Uint8Array(nodes));
    }
    const V = this.valueSize;
    if (leaves * V > this.values.length) {
      const values = new Float64Array(leaves * V);
      values.set(this.values.subarray(0, this.leaves * V));
      this.values = values;
    }
  }

  append(tree: GrownTree): void {
    const n = tree.feature.length;
    const V = this.valueSize;
    const leaves = tree.values.length / V;
    if (this.nodes + n > this.feature.length || (this.leaves + leaves) * V > this.values.length) {
      this.reserve(Math.ceil((this.nodes + n) * 1.5), Math.ceil((this.leaves + leaves) * 1.5));
    }
    this.feature.set(tree.feature, this.nodes);
    this.threshold.set(tree.threshold, this.nodes);
    this.left.set(tree.left, this.nodes);
    this.right.set(tree.right, this.nodes);
    this.missingLeft.set(tree.missingLeft, this.nodes);
    this.values.set(tree.values, this.leaves * V);
    this.nodes += n;
    this.leaves += leaves;
  }
}

export class ForestAssembler {
  private readonly flat: FlatBuffers;
  private readonly treeNodeOffset: Int32Array;
  private readonly treeLeafOffset: Int32Array;
  private added = 0;
  private readonly importanceSum: Float64Array;
  private treesWithSplits = 0;
  private readonly oobSum: Float64Array | null;
  private readonly oobCount: Int32Array | null;
  private readonly valueSize: number;

  constructor(
    private readonly target: AssemblerTarget,
    private readonly nFeatures: number,
    private readonly nRows: number,
    private readonly nTrees: number,
    bootstrap: boolean,
  ) {
    this.valueSize = target.task === "classification" ? target.nClasses : 1;
    this.flat = new FlatBuffers(this.valueSize);
    this.treeNodeOffset = new Int32Array(nTrees + 1);
    this.treeLeafOffset = new Int32Array(nTrees + 1);
    this.importanceSum = new Float64Array(nFeatures);
    this.oobSum = bootstrap ? new Float64Array(nRows * this.valueSize) : null;
    this.oobCount = bootstrap ? new Int32Array(nRows) : null;
  }

  get count(): number {
    return this.added;
  }

  /** Adds the next tree; callers must add trees in index order. */
  add(tree: GrownTree): void {
    if (this.added === 0) {
      // trees of one forest are alike in size: reserve for all of them with some slack
      const slack = 1.15 * this.nTrees;
      this.flat.reserve(
        Math.ceil(tree.feature.length * slack),
        Math.ceil((tree.values.length / this.valueSize) * slack),
      );
    }
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
    this.flat.append(tree);
    this.added++;
    this.treeNodeOffset[this.added] = this.flat.nodes;
    this.treeLeafOffset[this.added] = this.flat.leaves;
  }

  finish(): FlatForest {
    if (this.added !== this.nTrees) {
      throw new Error(`The forest has ${this.added} of its ${this.nTrees} trees`);
    }
    const { nodes, leaves } = this.flat;
    const V = this.valueSize;
    return {
      task: this.target.task,
      nFeatures: this.nFeatures,
      nClasses: this.target.task === "classification" ? this.target.nClasses : 0,
      treeNodeOffset: this.treeNodeOffset,
      treeLeafOffset: this.treeLeafOffset,
      feature: this.flat.feature.subarray(0, nodes),
      threshold: this.flat.threshold.subarray(0, nodes),
      left: this.flat.left.subarray(0, nodes),
      right: this.flat.right.subarray(0, nodes),
      missingLeft: this.flat.missingLeft.subarray(0, nodes),
      values: this.flat.values.subarray(0, leaves * V),
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
