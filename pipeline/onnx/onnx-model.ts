/**
 * A team's own model in ONNX (docs/custom-training.md): Orchard reads the model file a custom
 * trainer wrote and predicts with it in-process, synchronously, like its own families, so
 * Evaluate, the gate, serving, batch scoring and the report treat it as any other model.
 *
 * The subset read is the ONNX-ML tree ensembles (`ai.onnx.ml` TreeEnsembleClassifier and
 * TreeEnsembleRegressor, opsets 1 and 3), the form scikit-learn's, XGBoost's and LightGBM's
 * tree models export to: one graph input `[N, features]` of float, one such node reading it.
 * Semantics are the operator specification's: features and thresholds compared as float32,
 * a missing value (NaN) goes to the false branch unless `nodes_missing_value_tracks_true`,
 * leaf weights summed per class (or target) over the trees, plus `base_values`, then
 * `post_transform` (NONE, SOFTMAX, LOGISTIC; SOFTMAX_ZERO and PROBIT are refused). Anything
 * else is an ArtifactError naming what was found and what Orchard reads.
 */

import type { FeatureMatrix } from "../data/frame.ts";
import { ArtifactError } from "../errors.ts";
import type { ForestModel } from "../forest/types.ts";
import { type Field, floats, ints, readFields, text } from "./protobuf.ts";

const ML_DOMAIN = "ai.onnx.ml";
const OPS = ["TreeEnsembleClassifier", "TreeEnsembleRegressor"] as const;
type Op = (typeof OPS)[number];
type PostTransform = "NONE" | "SOFTMAX" | "LOGISTIC";

/** Node modes, by the operator's names. */
const MODES = [
  "BRANCH_LEQ",
  "BRANCH_LT",
  "BRANCH_GTE",
  "BRANCH_GT",
  "BRANCH_EQ",
  "BRANCH_NEQ",
  "LEAF",
];
const LEAF = 6;

interface Attribute {
  name: string;
  f?: number;
  i?: number;
  s?: string;
  floats: number[];
  ints: number[];
  strings: string[];
}

/** The parts of an ONNX model Orchard reads. */
export interface OnnxGraph {
  inputName: string;
  /** The input's second dimension when the model states it. */
  inputWidth: number | null;
  op: Op;
  attributes: Map<string, Attribute>;
}

/** Reads an ONNX ModelProto down to its one tree-ensemble node. */
export function readOnnxGraph(bytes: Uint8Array, source: string): OnnxGraph {
  const model = readFields(bytes, source);
  const graphField = model.find((f) => f.number === 7 && f.wire === 2);
  if (!graphField) {
    throw new ArtifactError(`${source} is not an ONNX model (no graph); write an ONNX ModelProto`);
  }
  const graph = readFields(graphField.bytes, source);
  const initializers = new Set(
    graph.filter((f) => f.number === 5).map((f) => nameOf(readFields(f.bytes, source))),
  );
  const inputs = graph
    .filter((f) => f.number === 11)
    .map((f) => readFields(f.bytes, source))
    .filter((info) => !initializers.has(nameOf(info)));
  if (inputs.length !== 1) {
    throw new ArtifactError(
      `${source} has ${inputs.length} graph inputs; Orchard feeds one float tensor [N, features] (the prepared matrix's columns in schema.json order)`,
    );
  }
  const nodes = graph.filter((f) => f.number === 1).map((f) => readFields(f.bytes, source));
  const described = nodes.map((n) => {
    const op = textOf(n, 4);
    const domain = textOf(n, 7);
    return domain ? `${domain}.${op}` : op;
  });
  if (nodes.length !== 1 || !OPS.some((op) => described[0] === `${ML_DOMAIN}.${op}`)) {
    throw new ArtifactError(
      `${source} has the nodes [${described.join(", ")}]; Orchard reads one ${ML_DOMAIN} TreeEnsembleClassifier or TreeEnsembleRegressor node (export the classifier without ZipMap, e.g. skl2onnx options {zipmap: False}; see docs/custom-training.md)`,
    );
  }
  const node = nodes[0];
  const inputName = nameOf(inputs[0]);
  const nodeInput = node.filter((f) => f.number === 1).map(text)[0];
  if (nodeInput !== inputName) {
    throw new ArtifactError(
      `${source}: the tree ensemble reads "${nodeInput}", not the graph input "${inputName}"`,
    );
  }
  const attributes = new Map<string, Attribute>();
  for (const f of node.filter((f) => f.number === 5)) {
    const a = readAttribute(readFields(f.bytes, source), source);
    attributes.set(a.name, a);
  }
  return {
    inputName,
    inputWidth: widthOf(inputs[0], source),
    op: textOf(node, 4) as Op,
    attributes,
  };
}

function nameOf(fields: Field[]): string {
  return textOf(fields, 1);
}

function textOf(fields: Field[], number: number): string {
  const f = fields.find((x) => x.number === number && x.wire === 2);
  return f ? text(f) : "";
}

function readAttribute(fields: Field[], source: string): Attribute {
  const of = (n: number) => fields.filter((f) => f.number === n);
  const f2 = of(2)[0];
  const i3 = of(3)[0];
  const s4 = of(4)[0];
  return {
    name: nameOf(fields),
    f: f2 ? floats([f2])[0] : undefined,
    i: i3 ? Number(i3.int) : undefined,
    s: s4 ? text(s4) : undefined,
    floats: floats(of(7)),
    ints: ints(of(8), source),
    strings: of(9).map(text),
  };
}

/** ValueInfoProto.type.tensor_type.shape.dim[1].dim_value, when given. */
function widthOf(info: Field[], source: string): number | null {
  const type = info.find((f) => f.number === 2);
  const tensor = type && readFields(type.bytes, source).find((f) => f.number === 1);
  if (!tensor) return null;
  const tensorFields = readFields(tensor.bytes, source);
  const elemType = tensorFields.find((f) => f.number === 1);
  // 1 FLOAT, 11 DOUBLE: Orchard feeds float (the operator computes in float either way).
  if (elemType && elemType.int !== 1n && elemType.int !== 11n) {
    throw new ArtifactError(
      `${source}: the graph input's element type is ${elemType.int}, not float (1); declare the input as FloatTensorType`,
    );
  }
  const shape = tensorFields.find((f) => f.number === 2);
  if (!shape) return null;
  const dims = readFields(shape.bytes, source).filter((f) => f.number === 1);
  if (dims.length !== 2) {
    throw new ArtifactError(
      `${source}: the graph input has ${dims.length} dimensions; Orchard feeds [N, features]`,
    );
  }
  const value = readFields(dims[1].bytes, source).find((f) => f.number === 1 && f.wire === 0);
  return value ? Number(value.int) : null;
}

/** A tree ensemble as flat arrays: node i of the whole ensemble. */
interface Trees {
  roots: Int32Array;
  feature: Int32Array;
  threshold: Float32Array;
  mode: Uint8Array;
  trueChild: Int32Array;
  falseChild: Int32Array;
  missingTrue: Uint8Array;
  /** Per node, the [start, end) range of its leaf weights in `weightOutput`/`weightValue`. */
  weightStart: Int32Array;
  weightEnd: Int32Array;
  weightOutput: Int32Array;
  weightValue: Float64Array;
}

export interface OnnxModelInfo {
  /** The prepared matrix's columns (schema.json `features`), which the model reads in order. */
  features: string[];
  /** Class labels in code order (classification), or null (regression). */
  classes: string[] | null;
}

/**
 * A tree-ensemble ONNX model behind Orchard's model interface (`ForestModel`): predictions
 * by class index or value from the preprocessed matrix, as Orchard's own families give them.
 */
export class OnnxTreeModel implements ForestModel {
  readonly engine = "onnx" as const;
  readonly task: "classification" | "regression";
  readonly nFeatures: number;
  readonly nClasses: number;
  readonly featureImportance: Float64Array;
  readonly oobScore = null;
  /** The model file's bytes, stored as they are in the bundle. */
  readonly bytes: Uint8Array;
  private readonly trees: Trees;
  private readonly outputs: number;
  private readonly base: Float64Array;
  private readonly post: PostTransform;
  private readonly average: boolean;

  constructor(bytes: Uint8Array, info: OnnxModelInfo, source = "ONNX model") {
    this.bytes = bytes;
    const graph = readOnnxGraph(bytes, source);
    const a = (name: string) => graph.attributes.get(name);
    const list = <K extends "floats" | "ints" | "strings">(name: string, kind: K) =>
      (a(name)?.[kind] ?? []) as Attribute[K];
    const width = info.features.length;
    if (graph.inputWidth !== null && graph.inputWidth !== width) {
      throw new ArtifactError(
        `${source} reads ${graph.inputWidth} features, but the prepared matrix has ${width} (schema.json features); train on the matrix Orchard wrote`,
      );
    }
    for (const unsupported of [
      "nodes_values_as_tensor",
      "base_values_as_tensor",
      "class_weights_as_tensor",
      "target_weights_as_tensor",
      "nodes_hitrates_as_tensor",
    ]) {
      if (a(unsupported)) {
        throw new ArtifactError(
          `${source} sets ${unsupported}; Orchard reads the float attributes (nodes_values, class_weights, …) of ai.onnx.ml opset 1 and 3`,
        );
      }
    }
    this.nFeatures = width;
    const post = a("post_transform")?.s ?? "NONE";
    if (post !== "NONE" && post !== "SOFTMAX" && post !== "LOGISTIC") {
      throw new ArtifactError(
        `${source} has post_transform ${post}; Orchard applies NONE, SOFTMAX or LOGISTIC`,
      );
    }
    this.post = post;
    const classifier = graph.op === "TreeEnsembleClassifier";
    this.task = classifier ? "classification" : "regression";
    if ((info.classes === null) === classifier) {
      throw new ArtifactError(
        `${source} is a ${graph.op}, but the pipeline's task is ${info.classes ? "classification" : "regression"}`,
      );
    }
    const prefix = classifier ? "class" : "target";
    if (classifier) {
      const classes = info.classes ?? [];
      const labels = list("classlabels_int64s", "ints");
      const names = list("classlabels_strings", "strings");
      const codes = classes.map((_, c) => c);
      const same =
        (labels.length > 0 && labels.join() === codes.join()) ||
        (names.length > 0 && names.join("\u0000") === classes.join("\u0000"));
      if (!same) {
        throw new ArtifactError(
          `${source} has the class labels [${labels.length > 0 ? labels.join(", ") : names.join(", ")}]; the prepared target's codes are [${codes.join(", ")}] for the classes [${classes.join(", ")}] (schema.json): label with the codes (or those names in that order)`,
        );
      }
      this.nClasses = classes.length;
      this.outputs = classes.length;
    } else {
      this.nClasses = 0;
      this.outputs = a("n_targets")?.i ?? 1;
      if (this.outputs !== 1) {
        throw new ArtifactError(`${source} has n_targets ${this.outputs}; Orchard predicts one`);
      }
      const aggregate = a("aggregate_function")?.s ?? "SUM";
      if (aggregate !== "SUM" && aggregate !== "AVERAGE") {
        throw new ArtifactError(
          `${source} has aggregate_function ${aggregate}; Orchard applies SUM or AVERAGE`,
        );
      }
    }
    this.average = !classifier && a("aggregate_function")?.s === "AVERAGE";
    const base = list("base_values", "floats");
    if (base.length !== 0 && base.length !== this.outputs) {
      throw new ArtifactError(
        `${source} has ${base.length} base_values for ${this.outputs} outputs`,
      );
    }
    this.base = Float64Array.from({ length: this.outputs }, (_, k) => base[k] ?? 0);
    this.trees = buildTrees(
      {
        treeIds: list("nodes_treeids", "ints"),
        nodeIds: list("nodes_nodeids", "ints"),
        features: list("nodes_featureids", "ints"),
        values: list("nodes_values", "floats"),
        modes: list("nodes_modes", "strings"),
        trueIds: list("nodes_truenodeids", "ints"),
        falseIds: list("nodes_falsenodeids", "ints"),
        missingTrue: list("nodes_missing_value_tracks_true", "ints"),
        weightTrees: list(`${prefix}_treeids`, "ints"),
        weightNodes: list(`${prefix}_nodeids`, "ints"),
        weightIds: list(`${prefix}_ids`, "ints"),
        weights: list(`${prefix}_weights`, "floats"),
      },
      width,
      this.outputs,
      source,
    );
    this.featureImportance = splitShares(this.trees, width);
  }

  /** Raw scores per row and output, after base values and aggregation, before post_transform. */
  private scores(X: FeatureMatrix): Float64Array {
    if (X.cols !== this.nFeatures) {
      throw new ArtifactError(
        `the ONNX model reads ${this.nFeatures} features; got a matrix of ${X.cols}`,
      );
    }
    const t = this.trees;
    const k = this.outputs;
    const out = new Float64Array(X.rows * k);
    const treeCount = t.roots.length;
    for (let r = 0; r < X.rows; r++) {
      const row = r * X.cols;
      const o = r * k;
      for (let tree = 0; tree < treeCount; tree++) {
        let n = t.roots[tree];
        while (t.mode[n] !== LEAF) {
          n = goesTrue(t, n, X.values[row + t.feature[n]]) ? t.trueChild[n] : t.falseChild[n];
        }
        for (let w = t.weightStart[n]; w < t.weightEnd[n]; w++) {
          out[o + t.weightOutput[w]] += t.weightValue[w];
        }
      }
      for (let c = 0; c < k; c++) {
        const sum = this.average ? out[o + c] / treeCount : out[o + c];
        out[o + c] = sum + this.base[c];
      }
    }
    return out;
  }

  predict(X: FeatureMatrix): Float64Array {
    if (this.task === "regression") {
      const s = this.scores(X);
      return this.post === "LOGISTIC" ? s.map(logistic) : s;
    }
    const proba = this.predictProba(X);
    const k = this.nClasses;
    const values = new Float64Array(X.rows);
    for (let r = 0; r < X.rows; r++) {
      let best = 0;
      for (let c = 1; c < k; c++) if (proba[r * k + c] > proba[r * k + best]) best = c;
      values[r] = best;
    }
    return values;
  }

  predictProba(X: FeatureMatrix): Float64Array {
    if (this.task !== "classification") throw new Error("predictProba: regression model");
    const s = this.scores(X);
    const k = this.nClasses;
    if (this.post === "LOGISTIC") return s.map(logistic);
    if (this.post === "SOFTMAX") {
      for (let r = 0; r < X.rows; r++) {
        let max = Number.NEGATIVE_INFINITY;
        for (let c = 0; c < k; c++) max = Math.max(max, s[r * k + c]);
        let sum = 0;
        for (let c = 0; c < k; c++) {
          s[r * k + c] = Math.exp(s[r * k + c] - max);
          sum += s[r * k + c];
        }
        for (let c = 0; c < k; c++) s[r * k + c] /= sum;
      }
    }
    return s;
  }
}

function logistic(v: number): number {
  return 1 / (1 + Math.exp(-v));
}

/** The operator's comparison, in float32 as onnxruntime makes it. */
function goesTrue(t: Trees, n: number, raw: number): boolean {
  if (Number.isNaN(raw)) return t.missingTrue[n] === 1;
  const x = Math.fround(raw);
  const v = t.threshold[n];
  switch (t.mode[n]) {
    case 0:
      return x <= v;
    case 1:
      return x < v;
    case 2:
      return x >= v;
    case 3:
      return x > v;
    case 4:
      return x === v;
    default:
      return x !== v;
  }
}

interface RawTrees {
  treeIds: number[];
  nodeIds: number[];
  features: number[];
  values: number[];
  modes: string[];
  trueIds: number[];
  falseIds: number[];
  missingTrue: number[];
  weightTrees: number[];
  weightNodes: number[];
  weightIds: number[];
  weights: number[];
}

function buildTrees(raw: RawTrees, width: number, outputs: number, source: string): Trees {
  const n = raw.nodeIds.length;
  const lengths = {
    nodes_treeids: raw.treeIds.length,
    nodes_featureids: raw.features.length,
    nodes_values: raw.values.length,
    nodes_modes: raw.modes.length,
    nodes_truenodeids: raw.trueIds.length,
    nodes_falsenodeids: raw.falseIds.length,
  };
  for (const [name, length] of Object.entries(lengths)) {
    if (length !== n) {
      throw new ArtifactError(`${source}: ${name} has ${length} entries for ${n} nodes`);
    }
  }
  if (n === 0) throw new ArtifactError(`${source} has no tree nodes`);
  const w = raw.weights.length;
  if (raw.weightTrees.length !== w || raw.weightNodes.length !== w || raw.weightIds.length !== w) {
    throw new ArtifactError(`${source}: the leaf weight attributes differ in length`);
  }
  const index = new Map<string, number>();
  const roots: number[] = [];
  const seenTrees = new Set<number>();
  for (let i = 0; i < n; i++) {
    index.set(`${raw.treeIds[i]}:${raw.nodeIds[i]}`, i);
    // A tree's root is its first node listed (node 0 in scikit-learn's and skl2onnx's order).
    if (!seenTrees.has(raw.treeIds[i])) {
      seenTrees.add(raw.treeIds[i]);
      roots.push(i);
    }
  }
  const mode = new Uint8Array(n);
  const trueChild = new Int32Array(n);
  const falseChild = new Int32Array(n);
  const feature = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const m = MODES.indexOf(raw.modes[i]);
    if (m < 0) throw new ArtifactError(`${source}: node ${i} has the unknown mode ${raw.modes[i]}`);
    mode[i] = m;
    if (m === LEAF) continue;
    feature[i] = raw.features[i];
    if (!(raw.features[i] >= 0 && raw.features[i] < width)) {
      throw new ArtifactError(
        `${source}: node ${i} splits on feature ${raw.features[i]}, outside the matrix's ${width} columns`,
      );
    }
    const child = (id: number) => {
      const c = index.get(`${raw.treeIds[i]}:${id}`);
      if (c === undefined) {
        throw new ArtifactError(`${source}: node ${i} points at node ${id}, not in its tree`);
      }
      return c;
    };
    trueChild[i] = child(raw.trueIds[i]);
    falseChild[i] = child(raw.falseIds[i]);
  }
  // Leaf weights grouped by node, in the file's order.
  const byNode: number[][] = Array.from({ length: n }, () => []);
  for (let j = 0; j < w; j++) {
    const node = index.get(`${raw.weightTrees[j]}:${raw.weightNodes[j]}`);
    if (node === undefined || mode[node] !== LEAF) {
      throw new ArtifactError(
        `${source}: leaf weight ${j} names tree ${raw.weightTrees[j]} node ${raw.weightNodes[j]}, which is not a leaf`,
      );
    }
    if (!(raw.weightIds[j] >= 0 && raw.weightIds[j] < outputs)) {
      throw new ArtifactError(
        `${source}: leaf weight ${j} is for output ${raw.weightIds[j]}, outside 0..${outputs - 1}`,
      );
    }
    byNode[node].push(j);
  }
  const weightStart = new Int32Array(n);
  const weightEnd = new Int32Array(n);
  const weightOutput = new Int32Array(w);
  const weightValue = new Float64Array(w);
  let at = 0;
  for (let i = 0; i < n; i++) {
    weightStart[i] = at;
    for (const j of byNode[i]) {
      weightOutput[at] = raw.weightIds[j];
      weightValue[at] = raw.weights[j];
      at++;
    }
    weightEnd[i] = at;
  }
  checkAcyclic(roots, mode, trueChild, falseChild, source);
  return {
    roots: Int32Array.from(roots),
    feature,
    threshold: Float32Array.from(raw.values),
    mode,
    trueChild,
    falseChild,
    missingTrue: Uint8Array.from({ length: n }, (_, i) => (raw.missingTrue[i] ? 1 : 0)),
    weightStart,
    weightEnd,
    weightOutput,
    weightValue,
  };
}

/** A node reached twice from a root (a cycle, or a shared subtree) would loop or double-count. */
function checkAcyclic(
  roots: number[],
  mode: Uint8Array,
  trueChild: Int32Array,
  falseChild: Int32Array,
  source: string,
): void {
  const seen = new Uint8Array(mode.length);
  for (const root of roots) {
    const stack = [root];
    while (stack.length > 0) {
      const n = stack.pop()!;
      if (seen[n])
        throw new ArtifactError(`${source}: node ${n} is reached twice; trees must be trees`);
      seen[n] = 1;
      if (mode[n] !== LEAF) stack.push(trueChild[n], falseChild[n]);
    }
  }
}

/** Share of splits per feature (an ONNX file carries no impurity decrease): sums to 1. */
function splitShares(t: Trees, width: number): Float64Array {
  const counts = new Float64Array(width);
  let total = 0;
  for (let i = 0; i < t.mode.length; i++) {
    if (t.mode[i] === LEAF) continue;
    counts[t.feature[i]]++;
    total++;
  }
  if (total > 0) for (let f = 0; f < width; f++) counts[f] /= total;
  return counts;
}
