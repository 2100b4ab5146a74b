/** `orchard run`'s `best` line names a custom trainer's command instead of forest parameters. */
import { describe, expect, it } from "vitest";
import { bestLine } from "../../cli/run.ts";
import { parseSpec } from "../../pipeline/spec/parse-spec.ts";
import type { SelectOutput } from "../../pipeline/steps/types.ts";

const base = "name: p\nsource:\n  uri: data.csv\ntarget: y\ntask: classification\n";

describe("the run summary's best line", () => {
  it("names the custom trainer's command", () => {
    const spec = parseSpec(
      `${base}model:\n  type: custom\n  command: [/usr/bin/python3, train.py]\n`,
      { file: "p.yaml" },
    );
    const best = {
      candidateId: "c000",
      params: {
        trees: 100,
        maxDepth: null,
        minSamplesLeaf: 1,
        maxFeatures: "sqrt",
        bootstrap: true,
        type: "custom",
      },
      cvMean: null,
      cvStd: null,
    } as SelectOutput["best"];
    expect(bestLine(best, spec)).toBe(
      "  best        custom trainer `/usr/bin/python3 train.py` (its ONNX model; docs/custom-training.md)",
    );
  });

  it("keeps a family's parameters and its cross-validated score", () => {
    const spec = parseSpec(base, { file: "p.yaml" });
    const best = {
      candidateId: "c001",
      params: { trees: 50, maxDepth: 4, minSamplesLeaf: 1, maxFeatures: "sqrt", bootstrap: true },
      cvMean: 0.91234,
      cvStd: 0.01,
    } as SelectOutput["best"];
    expect(bestLine(best, spec)).toBe(
      `  best        c001 ${JSON.stringify(best.params)} cv ${spec.search.metric} 0.9123 ± 0.0100`,
    );
  });
});
