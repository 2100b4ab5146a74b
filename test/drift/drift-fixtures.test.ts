/**
 * PSI and KS against values computed independently (numpy from the definition, scipy's
 * ks_2samp) for fixed inputs: test/fixtures/drift/make_drift.py.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { Frame } from "../../pipeline/data/frame.ts";
import { buildBaseline } from "../../pipeline/drift/baseline.ts";
import { compareWithBaseline } from "../../pipeline/drift/compare.ts";
import { ksStatistic } from "../../pipeline/drift/ks.ts";
import { decileEdges, PSI_EPSILON } from "../../pipeline/drift/psi.ts";

interface NumericCase {
  name: string;
  kind: "numeric";
  baseline: (number | null)[];
  current: (number | null)[];
  edges: number[];
  psi: number;
  ks: number;
}
interface CategoricalCase {
  name: string;
  kind: "categorical";
  baseline: (string | null)[];
  current: (string | null)[];
  psi: number;
}

const fixture = JSON.parse(
  readFileSync(new URL("../fixtures/drift/drift.json", import.meta.url), "utf8"),
) as { epsilon: number; cases: (NumericCase | CategoricalCase)[] };
const numeric = fixture.cases.filter((c): c is NumericCase => c.kind === "numeric");

const nums = (xs: (number | null)[]) => Float64Array.from(xs, (x) => (x === null ? Number.NaN : x));

function frameOf(
  values: (number | null)[] | (string | null)[],
  kind: "numeric" | "categorical",
): Frame {
  if (kind === "numeric") {
    return {
      rowCount: values.length,
      columns: [{ kind, name: "x", values: nums(values as (number | null)[]) }],
    };
  }
  const levels: string[] = [];
  const codes = Int32Array.from(values as (string | null)[], (v) => {
    if (v === null) return -1;
    const at = levels.indexOf(v);
    return at >= 0 ? at : levels.push(v) - 1;
  });
  return { rowCount: values.length, columns: [{ kind, name: "x", codes, levels }] };
}

function psiOf(c: NumericCase | CategoricalCase): number | null {
  const baseline = buildBaseline(frameOf(c.baseline, c.kind), { seed: 1 });
  return compareWithBaseline(baseline, frameOf(c.current, c.kind), ["x"], 0.2).features[0].psi;
}

describe("drift against independently computed values", () => {
  it("uses the same share floor as the reference script", () => {
    expect(fixture.epsilon).toBe(PSI_EPSILON);
  });

  it.each(numeric.map((c) => [c.name, c] as const))("decile edges: %s", (_, c) => {
    const edges = decileEdges(nums(c.baseline));
    expect(edges).toHaveLength(c.edges.length);
    edges.forEach((e, i) => {
      expect(e).toBeCloseTo(c.edges[i], 12);
    });
  });

  it.each(fixture.cases.map((c) => [c.name, c] as const))("PSI: %s", (_, c) => {
    expect(psiOf(c)).toBeCloseTo(c.psi, 10);
  });

  it.each(numeric.map((c) => [c.name, c] as const))("KS statistic: %s", (_, c) => {
    expect(ksStatistic(nums(c.baseline), nums(c.current))).toBeCloseTo(c.ks, 12);
  });

  it.each(numeric.map((c) => [c.name, c] as const))(
    "KS through the stored baseline sample: %s",
    (_, c) => {
      const baseline = buildBaseline(frameOf(c.baseline, "numeric"), { seed: 1 });
      const drift = compareWithBaseline(baseline, frameOf(c.current, "numeric"), ["x"], 0.2);
      expect(drift.features[0].ks).toBeCloseTo(c.ks, 12);
    },
  );
});
