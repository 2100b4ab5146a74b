import path from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SpecError } from "../../pipeline/errors.ts";
import { closestMatch, levenshtein } from "../../pipeline/spec/did-you-mean.ts";
import { resolveMaxFeatures } from "../../pipeline/spec/max-features.ts";
import {
  CLASSIFICATION_METRICS,
  METRICS,
  metricDirection,
  REGRESSION_METRICS,
} from "../../pipeline/spec/metric-names.ts";
import {
  batchInputUri,
  batchUriProblem,
  resolveBatchUri,
  resolveSourceUri,
  sourceUriProblem,
} from "../../pipeline/spec/source-uri.ts";

describe("resolveSourceUri", () => {
  it.each([
    ["data.csv", "/srv/specs/p.yaml", { scheme: "file", path: "/srv/specs/data.csv" }],
    ["../data/d.csv", "/srv/specs/p.yaml", { scheme: "file", path: "/srv/data/d.csv" }],
    ["./d.csv", "specs/p.yaml", { scheme: "file", path: path.join("specs", "d.csv") }],
    ["d.csv", "p.yaml", { scheme: "file", path: "d.csv" }],
    ["/abs/x/../d.parquet", "/srv/p.yaml", { scheme: "file", path: "/abs/d.parquet" }],
    ["file:///abs/d.jsonl", "/srv/p.yaml", { scheme: "file", path: "/abs/d.jsonl" }],
    ["file:///abs/my%20data.csv", "/srv/p.yaml", { scheme: "file", path: "/abs/my data.csv" }],
    ["d.csv", "file:///srv/specs/p.yaml", { scheme: "file", path: "/srv/specs/d.csv" }],
    [
      "s3://my-bucket/raw/d.csv",
      "/srv/p.yaml",
      { scheme: "s3", bucket: "my-bucket", key: "raw/d.csv" },
    ],
    ["S3://my-bucket/d.csv", "/srv/p.yaml", { scheme: "s3", bucket: "my-bucket", key: "d.csv" }],
    [
      "data/d.csv",
      "s3://cfg-bucket/specs/p.yaml",
      { scheme: "s3", bucket: "cfg-bucket", key: "specs/data/d.csv" },
    ],
    [
      "../d.csv",
      "s3://cfg-bucket/specs/p.yaml",
      { scheme: "s3", bucket: "cfg-bucket", key: "d.csv" },
    ],
  ])("resolves %s against %s", (uri, specFile, expected) => {
    expect(resolveSourceUri(uri, specFile)).toEqual(expected);
  });

  it.each([
    ["gs://b/d.csv", "unsupported scheme"],
    ["https://example.org/d.csv", "unsupported scheme"],
    ["s3://b/d.csv", "invalid bucket name"],
    ["s3://my-bucket", "names no object"],
    ["s3://my-bucket/folder/", "names no object"],
    ["file://host/d.csv", "not a valid absolute file URL"],
  ])("rejects %s with a SpecError at source.uri", (uri, fragment) => {
    expect(() => resolveSourceUri(uri, "/srv/p.yaml")).toThrow(SpecError);
    expect(() => resolveSourceUri(uri, "/srv/p.yaml")).toThrow(fragment);
    expect(sourceUriProblem(uri, "/srv/p.yaml")).toContain(fragment);
  });

  it("rejects a relative URI that climbs out of an S3 spec's bucket", () => {
    expect(() => resolveSourceUri("../../d.csv", "s3://cfg-bucket/specs/p.yaml")).toThrow(
      "climbs above the root",
    );
  });

  it("names the spec file and the YAML path on failure", () => {
    try {
      resolveSourceUri("gs://b/d.csv", "/srv/p.yaml");
      expect.unreachable();
    } catch (err) {
      expect((err as SpecError).location).toEqual({ file: "/srv/p.yaml", path: "source.uri" });
    }
  });
});

describe("resolveBatchUri", () => {
  it.each([
    ["s3://landing/scores/", "/srv/p.yaml", "s3://landing/scores/"],
    ["s3://landing", "/srv/p.yaml", "s3://landing/"],
    ["s3://landing/2026-", "/srv/p.yaml", "s3://landing/2026-"],
    ["batch/", "/srv/specs/p.yaml", "file:///srv/specs/batch/"],
    ["batch", "/srv/specs/p.yaml", "file:///srv/specs/batch/"],
    ["/abs/my dir", "/srv/p.yaml", "file:///abs/my%20dir/"],
    ["scores/", "s3://cfg-bucket/specs/p.yaml", "s3://cfg-bucket/specs/scores/"],
    ["./", "s3://cfg-bucket/p.yaml", "s3://cfg-bucket/"],
  ])("resolves the prefix %s against %s as %s", (uri, specFile, expected) => {
    expect(batchInputUri(uri, specFile)).toBe(expected);
  });

  it.each([
    ["gs://b/scores/", "unsupported scheme"],
    ["s3://b/", "invalid bucket name"],
    ["../../x/", "climbs above the root"],
  ])("rejects %s with a SpecError at deploy.batch.inputUri", (uri, fragment) => {
    const spec = "s3://cfg-bucket/specs/p.yaml";
    expect(() => resolveBatchUri(uri, spec)).toThrow(fragment);
    expect(batchUriProblem(uri, spec)).toMatch(
      new RegExp(`^deploy\\.batch\\.inputUri .*${fragment}`),
    );
    try {
      resolveBatchUri(uri, spec);
    } catch (err) {
      expect((err as SpecError).location.path).toBe("deploy.batch.inputUri");
    }
  });
});

describe("metricDirection", () => {
  it.each([
    ["accuracy", "higher"],
    ["f1_macro", "higher"],
    ["f1_weighted", "higher"],
    ["precision_macro", "higher"],
    ["recall_macro", "higher"],
    ["roc_auc", "higher"],
    ["r2", "higher"],
    ["log_loss", "lower"],
    ["rmse", "lower"],
    ["mae", "lower"],
  ] as const)("%s is %s-is-better", (metric, direction) => {
    expect(metricDirection(metric)).toBe(direction);
  });

  it("splits the metrics into disjoint task lists that cover all of them", () => {
    const cls = new Set<string>(CLASSIFICATION_METRICS);
    expect(REGRESSION_METRICS.filter((m) => cls.has(m))).toEqual([]);
    expect(new Set(METRICS).size).toBe(CLASSIFICATION_METRICS.length + REGRESSION_METRICS.length);
  });
});

describe("resolveMaxFeatures", () => {
  it.each([
    ["sqrt", 16, 4],
    ["sqrt", 10, 3],
    ["log2", 16, 4],
    ["log2", 1, 1],
    ["all", 7, 7],
    [0.5, 10, 5],
    [0.01, 10, 1],
    [1, 10, 1],
    [3, 10, 3],
    [30, 10, 10],
  ] as const)("maxFeatures %s of %i features is %i", (maxFeatures, n, expected) => {
    expect(resolveMaxFeatures(maxFeatures, n)).toBe(expected);
  });

  it("always lies in [1, featureCount]", () => {
    const setting = fc.oneof(
      fc.constantFrom("sqrt" as const, "log2" as const, "all" as const),
      fc.double({ min: 0.001, max: 1, noNaN: true }),
      fc.integer({ min: 2, max: 1000 }),
    );
    fc.assert(
      fc.property(setting, fc.integer({ min: 1, max: 5000 }), (m, n) => {
        const k = resolveMaxFeatures(m, n);
        return Number.isInteger(k) && k >= 1 && k <= n;
      }),
    );
  });
});

describe("did you mean", () => {
  it("is a metric: zero on equal strings, symmetric, bounded by the longer length", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 12 }), fc.string({ maxLength: 12 }), (a, b) => {
        const d = levenshtein(a, b);
        return (
          levenshtein(a, a) === 0 &&
          d === levenshtein(b, a) &&
          d <= Math.max(a.length, b.length) &&
          (d === 0) === (a === b)
        );
      }),
    );
  });

  it.each([
    ["maxdepth", "maxDepth"],
    ["max_depth", "maxDepth"],
    ["tress", "trees"],
    ["boostrap", "bootstrap"],
    ["min_samples_leaf", "minSamplesLeaf"],
  ])("maps %s to %s", (input, expected) => {
    const allowed = ["trees", "maxDepth", "minSamplesLeaf", "maxFeatures", "bootstrap"];
    expect(closestMatch(input, allowed)).toBe(expected);
  });

  it("suggests nothing for an unrelated name", () => {
    expect(closestMatch("colour", ["trees", "maxDepth", "bootstrap"])).toBeUndefined();
  });
});
