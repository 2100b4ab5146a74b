/**
 * Orchard's reading of ONNX tree ensembles (pipeline/onnx/): models written here with a small
 * protobuf encoder, predictions checked against the operator's rules by hand (float32
 * comparisons, missing values, summed leaf weights, post transforms), and every refusal naming
 * what it found. test/integration/custom-train.test.ts checks a scikit-learn export end to end.
 */
import { describe, expect, it } from "vitest";
import type { FeatureMatrix } from "../../pipeline/data/frame.ts";
import { ArtifactError } from "../../pipeline/errors.ts";
import { OnnxTreeModel } from "../../pipeline/onnx/onnx-model.ts";

// --- a protobuf writer for the few ONNX messages the tests need ---
type Bytes = number[];
function varint(value: number | bigint): Bytes {
  let v = BigInt.asUintN(64, BigInt(value));
  const out: Bytes = [];
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v) b |= 0x80;
    out.push(b);
  } while (v);
  return out;
}
const key = (field: number, wire: number) => varint((field << 3) | wire);
const len = (field: number, body: Bytes): Bytes => [
  ...key(field, 2),
  ...varint(body.length),
  ...body,
];
const str = (field: number, s: string) => len(field, [...new TextEncoder().encode(s)]);
const int = (field: number, n: number) => [...key(field, 0), ...varint(n)];
function float32(field: number, f: number): Bytes {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setFloat32(0, f, true);
  return [...key(field, 5), ...b];
}
type Attr = Bytes;
const ints = (name: string, values: number[], packed = false): Attr =>
  packed
    ? [
        ...str(1, name),
        ...len(
          8,
          values.flatMap((v) => varint(v)),
        ),
        ...int(20, 7),
      ]
    : [...str(1, name), ...values.flatMap((v) => int(8, v)), ...int(20, 7)];
const floats = (name: string, values: number[]): Attr => [
  ...str(1, name),
  ...values.flatMap((v) => float32(7, v)),
  ...int(20, 6),
];
const strings = (name: string, values: string[]): Attr => [
  ...str(1, name),
  ...values.flatMap((v) => str(9, v)),
  ...int(20, 8),
];
const text = (name: string, value: string): Attr => [
  ...str(1, name),
  ...str(4, value),
  ...int(20, 3),
];

function tensorInfo(name: string, width: number | null): Bytes {
  const dims = [len(1, str(2, "N")), width === null ? len(1, str(2, "F")) : len(1, int(1, width))];
  const shape = len(2, dims.flat());
  return [...str(1, name), ...len(2, len(1, [...int(1, 1), ...shape]))];
}

interface ModelParts {
  op?: string;
  domain?: string;
  attrs: Attr[];
  width?: number | null;
  inputs?: string[];
  extraNodes?: number;
}

function onnx({
  op = "TreeEnsembleClassifier",
  domain = "ai.onnx.ml",
  attrs,
  width = 2,
  inputs = ["X"],
  extraNodes = 0,
}: ModelParts): Uint8Array {
  const node = [
    ...str(1, "X"),
    ...str(2, "out"),
    ...str(4, op),
    ...str(7, domain),
    ...attrs.flatMap((a) => len(5, a)),
  ];
  const nodes = Array.from({ length: 1 + extraNodes }, () => len(1, node)).flat();
  const graph = [...nodes, ...str(2, "g"), ...inputs.flatMap((i) => len(11, tensorInfo(i, width)))];
  return Uint8Array.from([
    ...int(1, 8),
    ...len(7, graph),
    ...len(8, [...str(1, "ai.onnx.ml"), ...int(2, 3)]),
  ]);
}

/**
 * Two trees over two features. Tree 0: x0 <= 0.5 → leaf 1 (class 0: 0.5) else leaf 2
 * (class 1: 0.5). Tree 1: x1 < 1 (a missing x1 goes true) → leaf 1 (class 0: 0.5) else
 * leaf 2 (class 1: 0.5).
 */
function forestAttrs(extra: Attr[] = []): Attr[] {
  return [
    ints("nodes_treeids", [0, 0, 0, 1, 1, 1], true),
    ints("nodes_nodeids", [0, 1, 2, 0, 1, 2]),
    ints("nodes_featureids", [0, 0, 0, 1, 0, 0]),
    floats("nodes_values", [0.5, 0, 0, 1, 0, 0]),
    strings("nodes_modes", ["BRANCH_LEQ", "LEAF", "LEAF", "BRANCH_LT", "LEAF", "LEAF"]),
    ints("nodes_truenodeids", [1, 0, 0, 1, 0, 0]),
    ints("nodes_falsenodeids", [2, 0, 0, 2, 0, 0]),
    ints("nodes_missing_value_tracks_true", [0, 0, 0, 1, 0, 0]),
    ints("class_treeids", [0, 0, 1, 1]),
    ints("class_nodeids", [1, 2, 1, 2]),
    ints("class_ids", [0, 1, 0, 1]),
    floats("class_weights", [0.5, 0.5, 0.5, 0.5]),
    ints("classlabels_int64s", [0, 1]),
    ...extra,
  ];
}

const INFO = { features: ["x0", "x1"], classes: ["a", "b"] };

function matrix(rows: number[][]): FeatureMatrix {
  return {
    values: Float64Array.from(rows.flat()),
    rows: rows.length,
    cols: 2,
    names: INFO.features,
  };
}

describe("OnnxTreeModel", () => {
  it("sums the trees' leaf weights per class, comparing in float32, routing missing values as told", () => {
    const model = new OnnxTreeModel(onnx({ attrs: forestAttrs() }), INFO);
    expect(model.task).toBe("classification");
    expect(model.nClasses).toBe(2);
    const rows = [
      [0, 0], // left, left
      [1, 0], // right, left: a tie goes to the lower class
      [1, 2], // right, right
      [1, Number.NaN], // right; missing x1 tracks true
      [Number.NaN, 2], // missing x0 goes false; right
      [0.5000000001, 2], // rounds to 0.5 in float32: <= 0.5
    ];
    expect(Array.from(model.predictProba(matrix(rows)))).toEqual([
      1, 0, 0.5, 0.5, 0, 1, 0.5, 0.5, 0, 1, 0.5, 0.5,
    ]);
    expect(Array.from(model.predict(matrix(rows)))).toEqual([0, 0, 1, 0, 1, 0]);
    // Each feature splits once: half the splits each.
    expect(Array.from(model.featureImportance)).toEqual([0.5, 0.5]);
  });

  it("applies SOFTMAX to the summed scores", () => {
    const model = new OnnxTreeModel(
      onnx({ attrs: forestAttrs([text("post_transform", "SOFTMAX")]) }),
      INFO,
    );
    const [p0, p1] = model.predictProba(matrix([[0, 0]]));
    expect(p0).toBeCloseTo(Math.E / (Math.E + 1), 12);
    expect(p1).toBeCloseTo(1 / (Math.E + 1), 12);
  });

  it("reads a regressor's target weights with AVERAGE and base_values", () => {
    const attrs = forestAttrs().slice(0, 8);
    attrs.push(
      ints("target_treeids", [0, 0, 1, 1]),
      ints("target_nodeids", [1, 2, 1, 2]),
      ints("target_ids", [0, 0, 0, 0]),
      floats("target_weights", [1, 3, 10, 20]),
      text("aggregate_function", "AVERAGE"),
      floats("base_values", [100]),
    );
    const model = new OnnxTreeModel(onnx({ op: "TreeEnsembleRegressor", attrs }), {
      features: INFO.features,
      classes: null,
    });
    expect(model.task).toBe("regression");
    expect(
      Array.from(
        model.predict(
          matrix([
            [0, 0],
            [1, 2],
          ]),
        ),
      ),
    ).toEqual([105.5, 111.5]);
  });

  it.each([
    ["another operator", { op: "Gemm", domain: "", attrs: [] }, INFO, /has the nodes \[Gemm\]/],
    [
      "two nodes",
      { attrs: forestAttrs(), extraNodes: 1 },
      INFO,
      /has the nodes \[ai\.onnx\.ml\.TreeEnsembleClassifier, ai\.onnx\.ml\.TreeEnsembleClassifier\]/,
    ],
    ["two inputs", { attrs: forestAttrs(), inputs: ["X", "Y"] }, INFO, /has 2 graph inputs/],
    [
      "another width",
      { attrs: forestAttrs(), width: 3 },
      INFO,
      /reads 3 features, but the prepared matrix has 2/,
    ],
    [
      "other class labels",
      {
        attrs: forestAttrs()
          .slice(0, -1)
          .concat([ints("classlabels_int64s", [1, 2])]),
      },
      INFO,
      /class labels \[1, 2\].*codes are \[0, 1\]/s,
    ],
    [
      "a regressor for classification",
      { op: "TreeEnsembleRegressor", attrs: forestAttrs() },
      INFO,
      /is a TreeEnsembleRegressor, but the pipeline's task is classification/,
    ],
    [
      "a post transform Orchard does not apply",
      { attrs: forestAttrs([text("post_transform", "PROBIT")]) },
      INFO,
      /post_transform PROBIT/,
    ],
    [
      "a child outside its tree",
      {
        attrs: forestAttrs().map((a, i) =>
          i === 5 ? ints("nodes_truenodeids", [7, 0, 0, 1, 0, 0]) : a,
        ),
      },
      INFO,
      /node 0 points at node 7, not in its tree/,
    ],
    [
      "a split on a missing column",
      {
        attrs: forestAttrs().map((a, i) =>
          i === 2 ? ints("nodes_featureids", [5, 0, 0, 1, 0, 0]) : a,
        ),
      },
      INFO,
      /splits on feature 5, outside the matrix's 2 columns/,
    ],
    [
      "a cycle",
      {
        attrs: forestAttrs().map((a, i) =>
          i === 5 ? ints("nodes_truenodeids", [0, 0, 0, 1, 0, 0]) : a,
        ),
      },
      INFO,
      /node 0 is reached twice/,
    ],
  ] as [string, ModelParts, typeof INFO, RegExp][])(
    "refuses %s, naming it",
    (_what, parts, info, expected) => {
      expect(() => new OnnxTreeModel(onnx(parts), info, "model.onnx")).toThrow(ArtifactError);
      expect(() => new OnnxTreeModel(onnx(parts), info, "model.onnx")).toThrow(expected);
    },
  );

  it("refuses bytes that are not an ONNX model", () => {
    expect(
      () => new OnnxTreeModel(new TextEncoder().encode('{"trees": []}'), INFO, "m.onnx"),
    ).toThrow(
      /m\.onnx (is truncated or not a protobuf message|is not a protobuf message|is not an ONNX model)/,
    );
    const truncated = onnx({ attrs: forestAttrs() }).subarray(0, 40);
    expect(() => new OnnxTreeModel(truncated, INFO, "m.onnx")).toThrow(ArtifactError);
  });
});
