import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { stackSizingWarnings } from "../../cli/synth.ts";
import { STEP_DEFAULTS } from "../../infra/config.ts";
import {
  estimateSteps,
  type SizedStep,
  type StepLimits,
  sizingWarnings,
} from "../../pipeline/sizing.ts";
import { parseSpec } from "../../pipeline/spec/parse-spec.ts";

function spec(extra: { rows?: number; model?: string; search?: string } = {}) {
  return parseSpec(
    [
      "name: big",
      "source:",
      "  uri: s3://landing/big.parquet",
      ...(extra.rows ? [`  expectedRows: ${extra.rows}`] : []),
      "target: y",
      "task: classification",
      ...(extra.model ? ["model:", extra.model] : []),
      ...(extra.search ? ["search:", extra.search] : []),
    ].join("\n"),
    { file: "big.yaml" },
  );
}

const lambdaDefaults = Object.fromEntries(
  Object.entries(STEP_DEFAULTS).map(([step, s]) => [step, { compute: "lambda", ...s }]),
) as Record<SizedStep, StepLimits>;

describe("sizing (source.expectedRows against the steps' limits)", () => {
  it("says nothing without expectedRows, or when the example's size fits", () => {
    expect(sizingWarnings(spec(), lambdaDefaults)).toEqual([]);
    expect(sizingWarnings(spec({ rows: 80_000 }), lambdaDefaults)).toEqual([]);
  });

  it("grows linearly in rows", () => {
    const small = estimateSteps(spec({ rows: 100_000 }));
    const big = estimateSteps(spec({ rows: 1_000_000 }));
    for (const [i, e] of small.entries()) {
      expect(big[i]?.seconds).toBeCloseTo(e.seconds * 10, 6);
    }
  });

  it("warns at 10M rows that Select exceeds Lambda's 15 minutes and names container and shards", () => {
    const warnings = sizingWarnings(spec({ rows: 10_000_000 }), lambdaDefaults);
    const select = warnings.find((w) => w.step === "select" && w.kind === "time");
    expect(select?.estimate).toBeGreaterThan(900);
    expect(select?.message).toMatch(/10,000,000 expected rows \(source\.expectedRows\)/);
    expect(select?.message).toMatch(/orchard:steps\.select\.compute: container/);
    expect(select?.message).toMatch(/model\.shards: 2/);
    const memory = warnings.find((w) => w.step === "preprocess" && w.kind === "memory");
    expect(memory?.message).toMatch(/orchard:steps\.preprocess/);
  });

  it("moves the tree-growing time from Select to the shards with model.shards", () => {
    const sharded = estimateSteps(spec({ rows: 3_000_000, model: "  shards: 8" }));
    const plain = estimateSteps(spec({ rows: 3_000_000 }));
    const seconds = (es: typeof plain, step: SizedStep) =>
      es.find((e) => e.step === step)?.seconds ?? 0;
    expect(seconds(sharded, "select")).toBe(0);
    expect(seconds(sharded, "trainShard")).toBeLessThan(seconds(plain, "select") / 2);
  });

  it("asks for more memory when Lambda can give it, and for a container beyond 10,240 MB", () => {
    const tight = {
      ...lambdaDefaults,
      validate: { compute: "lambda", memoryMb: 512, timeoutSeconds: 900 },
    } as Record<SizedStep, StepLimits>;
    const [raise] = sizingWarnings(spec({ rows: 1_000_000 }), tight).filter(
      (w) => w.step === "validate",
    );
    expect(raise?.message).toMatch(/raise orchard:steps\.validate\.memoryMb to \d+/);
    const huge = sizingWarnings(spec({ rows: 100_000_000 }), lambdaDefaults).find(
      (w) => w.step === "validate" && w.kind === "memory",
    );
    expect(huge?.message).toMatch(
      /more than Lambda's 10240 MB: set orchard:steps\.validate\.compute: container/,
    );
  });

  it("counts a Lambda under 1,769 MB as less than one vCPU", () => {
    const s = spec({ rows: 2_000_000 });
    const at = (memoryMb: number) =>
      sizingWarnings(s, {
        ...lambdaDefaults,
        drift: { compute: "lambda", memoryMb, timeoutSeconds: 10 },
      }).find((w) => w.step === "drift" && w.kind === "time")?.estimate ?? 0;
    expect(at(884)).toBeGreaterThan(at(1769) * 1.9);
  });
});

describe("orchard synth's sizing warnings", () => {
  const root = mkdtempSync(join(tmpdir(), "orchard-sizing-"));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it("names the pipeline, the step and the fix for a stack whose spec declares 10M rows", () => {
    mkdirSync(join(root, "stacks"));
    writeFileSync(
      join(root, "big.yaml"),
      "name: big\nsource:\n  uri: s3://landing/big.parquet\n  expectedRows: 10000000\ntarget: y\ntask: classification\n",
    );
    writeFileSync(
      join(root, "stacks", "Pulumi.big.yaml"),
      "config:\n  aws:region: eu-west-1\n  orchard:pipelines:\n    - spec: big.yaml\n",
    );
    const warnings = stackSizingWarnings(root, "big");
    expect(warnings.some((w) => /^big: select takes about \d+ s/.test(w))).toBe(true);
    writeFileSync(
      join(root, "big.yaml"),
      "name: big\nsource:\n  uri: s3://landing/big.parquet\ntarget: y\ntask: classification\n",
    );
    expect(stackSizingWarnings(root, "big")).toEqual([]);
  });
});
