import { describe, expect, it } from "vitest";
import { type Frame, takeRows } from "../../pipeline/data/frame.ts";
import { buildReportHtml } from "../../pipeline/report/build-report.ts";
import {
  histogram,
  PROFILE_SAMPLE_ROWS,
  pearson,
  profileData,
} from "../../pipeline/report/data-profile.ts";
import { binaryCurves, confusion, residualSample } from "../../pipeline/report/evaluation.ts";
import { escapeHtml } from "../../pipeline/report/html.ts";
import { reportKey } from "../../pipeline/report/location.ts";
import type { ReportData } from "../../pipeline/report/report-data.ts";
import { PROFILE_SAMPLE_STREAM, seededSample } from "../../pipeline/report/sample.ts";

const frame: Frame = {
  rowCount: 6,
  columns: [
    { kind: "numeric", name: "x", values: Float64Array.from([1, 2, 3, 4, 5, Number.NaN]) },
    { kind: "numeric", name: "y", values: Float64Array.from([2, 4, 6, 8, 10, 12]) },
    {
      kind: "categorical",
      name: '<b>"c"</b>',
      levels: ["a", "b"],
      codes: Int32Array.from([0, 0, 1, -1, 1, 0]),
    },
    {
      kind: "categorical",
      name: "label",
      levels: ["no", "yes"],
      codes: Int32Array.from([0, 1, 0, 1, 0, 1]),
    },
  ],
};

function data(overrides: Partial<ReportData> = {}): ReportData {
  return {
    pipeline: "demo",
    execution: "exec-1",
    outcome: "promoted",
    headline: "v2 passed the gate",
    task: "classification",
    target: "label",
    startedAt: "2024-05-01T00:00:00.000Z",
    error: null,
    validation: {
      rows: 6,
      columns: 4,
      warnings: ["column x has 1 missing value"],
      reportUri: "s3://a/v.json",
    },
    profile: profileData(frame, (n) => (n === "label" ? "target" : "feature")),
    split: { input: 6, duplicatesRemoved: 0, train: 4, test: 2 },
    search: {
      metric: "accuracy",
      folds: 3,
      candidates: [
        { candidateId: "c001", params: { trees: 10 }, mean: 0.8, std: 0.05, rank: 2 },
        { candidateId: "c000", params: { trees: 50 }, mean: 0.9, std: 0.02, rank: 1 },
      ],
    },
    test: { metrics: { accuracy: 0.9, roc_auc: 0.95 } },
    evaluation: {
      kind: "classification",
      classes: ["no", "yes"],
      confusion: [
        [3, 1],
        [0, 2],
      ],
      curves: {
        positive: "yes",
        ...binaryCurves([false, true, true, false], [0.1, 0.9, 0.6, 0.4])!,
      },
    },
    importance: [
      { feature: "x", importance: 0.7 },
      { feature: '<b>"c"</b>=a', importance: 0.3 },
    ],
    shap: [{ feature: "x", meanAbs: 0.2 }],
    comparison: {
      metric: "accuracy",
      value: 0.9,
      version: "v2",
      promote: true,
      reasons: ["accuracy 0.9 beats champion v1's 0.85"],
      champion: { version: "v1", value: 0.85, source: "rescored" },
    },
    drift: {
      retrain: true,
      reason: "drift in x",
      threshold: 0.2,
      comparison: {
        champion: "v1",
        threshold: 0.2,
        rows: 6,
        baselineRows: 10,
        features: [
          {
            feature: "x",
            kind: "numeric",
            psi: 0.5,
            ks: 0.4,
            missingShare: 0.1,
            baselineMissingShare: 0,
            unseenLevels: [],
            unseenRows: 0,
            status: "drifted",
          },
        ],
        maxPsi: 0.5,
        driftedFeatures: ["x"],
        drifted: true,
      },
    },
    lineage: [{ label: "Model", value: "s3://a/m.orchard-model" }],
    ...overrides,
  };
}

const charts = (html: string) => [
  ...html.matchAll(/<figure class="chart"[^>]*data-chart="([^"]+)">(.*?)<\/figure>/gs),
];

describe("buildReportHtml", () => {
  it("renders every chart of a full classification report as inline SVG", async () => {
    const html = await buildReportHtml(data());
    const figures = charts(html);
    expect(figures.map((f) => f[1]).sort()).toEqual(
      [
        "column-x",
        "column-y",
        "column-&lt;b&gt;&quot;c&quot;&lt;/b&gt;",
        "confusion",
        "correlations",
        "drift",
        "importance",
        "pr",
        "roc",
        "search",
        "shap",
        "target-label",
      ].sort(),
    );
    for (const f of figures) expect(f[2]).toMatch(/^<svg[^>]*>.*<\/svg><figcaption>/s);
  });

  it("is static and offline: no script, no external reference, a CSP that forbids fetching", async () => {
    const html = await buildReportHtml(data());
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/(src|href)="https?:/i);
    expect(html).toContain("default-src 'none'");
  });

  it("escapes text from the data everywhere it appears", async () => {
    const html = await buildReportHtml(data());
    expect(html).not.toContain('<b>"c"</b>');
    expect(html).toContain(escapeHtml('<b>"c"</b>'));
  });

  it.each([
    ["data", "Data profile"],
    ["search", "Search"],
    ["metrics", "Test metrics"],
    ["errors", "Confusion and curves"],
    ["drivers", "What drove the model"],
    ["champion", "Champion comparison"],
    ["drift", "Drift"],
    ["lineage", "Lineage"],
  ])("has the %s section, linked from the navigation", async (id, title) => {
    const html = await buildReportHtml(data());
    expect(html).toContain(`<h2 id="${id}-h">${title}</h2>`);
    expect(html).toContain(`<a href="#${id}">${title}</a>`);
  });

  it("says which test rows the TreeSHAP chart explains: a seeded sample, or all of them", async () => {
    const sampled = await buildReportHtml(
      data({ shapRows: { explained: 200, of: 16000, seed: 7 } }),
    );
    expect(sampled).toContain(
      "Exact TreeSHAP explanations on 200 of 16000 test rows (seeded sample, seed 7; report.explainRows)",
    );
    const all = await buildReportHtml(data({ shapRows: { explained: 69, of: 69, seed: 7 } }));
    expect(all).toContain("Exact TreeSHAP on all 69 test rows");
  });

  it("reports a failure with only what the run produced", async () => {
    const html = await buildReportHtml(
      data({
        outcome: "failed",
        error: { name: "TargetError", message: "target species has one class" },
        search: null,
        test: null,
        evaluation: null,
        importance: null,
        shap: null,
        comparison: null,
        drift: null,
        split: null,
      }),
    );
    expect(html).toContain(
      'role="alert"><strong>TargetError</strong>: target species has one class',
    );
    expect(html).not.toContain('id="search"');
    expect(html).toContain('id="data"');
  });

  it("says how the split was made, where a time split's boundary fell, and how CV folded", async () => {
    const html = await buildReportHtml(
      data({
        split: {
          input: 6,
          duplicatesRemoved: 0,
          train: 4,
          test: 2,
          strategy: 'by time: the latest rows by "day" are the test rows (test fraction 0.3)',
          boundary: "train up to 2026-01-04T00:00:00.000Z, test from 2026-01-05T00:00:00.000Z",
          crossValidation: "3 forward-chaining folds over the training rows in time order",
        },
      }),
    );
    expect(html).toContain("Time boundary");
    expect(html).toContain("train up to 2026-01-04T00:00:00.000Z, test from 2026-01-05");
    expect(html).toContain(escapeHtml('by time: the latest rows by "day"'));
    expect(html).toContain("3 forward-chaining folds");
  });

  it("shows the gate's comparison on the rows the champion did not train on", async () => {
    const base = data();
    const html = await buildReportHtml(
      data({
        split: { input: 600, duplicatesRemoved: 0, train: 480, test: 120 },
        comparison: {
          ...(base.comparison as NonNullable<ReportData["comparison"]>),
          champion: {
            version: "v1",
            value: 0.81,
            source: "rescored",
            rows: 70,
            challengerValue: 0.84,
          },
        },
      }),
    );
    expect(html).toContain("all 120 test rows");
    expect(html).toContain("re-scored on the 70 test rows v1 did not train on");
    expect(html).toMatch(/Rows compared<\/dt>\s*<dd>70/);
  });

  it("shows residuals instead of a confusion matrix for regression", async () => {
    const html = await buildReportHtml(
      data({
        task: "regression",
        evaluation: { kind: "regression", residuals: residualSample([1, 2, 3], [1.5, 2, 2]) },
      }),
    );
    const ids = charts(html).map((f) => f[1]);
    expect(ids).toContain("residuals");
    expect(ids).not.toContain("confusion");
  });
});

describe("report numbers", () => {
  it("bins a histogram with equal widths, the maximum in the last bin", () => {
    expect(histogram([0, 1, 2, 3, 4], 0, 4, 4).map((b) => b.count)).toEqual([1, 1, 1, 2]);
    expect(histogram([5, 5], 5, 5)).toEqual([{ x0: 5, x1: 5, count: 2 }]);
  });

  it("computes Pearson's r over rows where both are present", () => {
    expect(
      pearson(Float64Array.from([1, 2, 3, Number.NaN]), Float64Array.from([2, 4, 6, 100])),
    ).toBeCloseTo(1, 12);
    expect(pearson(Float64Array.from([1, 2, 3]), Float64Array.from([3, 2, 1]))).toBeCloseTo(-1, 12);
    expect(pearson(Float64Array.from([1, 1, 1]), Float64Array.from([3, 2, 1]))).toBeNull();
  });

  it("counts a confusion matrix with actual rows and predicted columns", () => {
    expect(confusion(Int32Array.from([0, 0, 1, 2]), [0, 1, 1, 0], 3)).toEqual([
      [1, 1, 0],
      [0, 1, 0],
      [1, 0, 0],
    ]);
  });

  it("draws ROC and PR points per distinct threshold, as scikit-learn's curves", () => {
    // scores 0.9 (pos), 0.6 (pos), 0.6 (neg), 0.1 (neg): the tie is one threshold
    const curves = binaryCurves([true, true, false, false], [0.9, 0.6, 0.6, 0.1])!;
    expect(curves.roc.map((p) => [p.x, p.y])).toEqual([
      [0, 0],
      [0, 0.5],
      [0.5, 1],
      [1, 1],
    ]);
    expect(curves.pr.map((p) => [p.x, p.y])).toEqual([
      [0, 1],
      [0.5, 1],
      [1, 2 / 3],
      [1, 0.5],
    ]);
    expect(binaryCurves([true, true], [0.2, 0.3])).toBeNull();
  });

  it("samples residuals evenly when there are many", () => {
    const actual = Array.from({ length: 10 }, (_, i) => i);
    expect(
      residualSample(
        actual,
        actual.map((a) => a - 1),
        5,
      ).map((r) => r.predicted),
    ).toEqual([-1, 1, 3, 5, 7]);
  });

  it("keys reports by execution, with unsafe characters replaced", () => {
    expect(reportKey("p", "arn:aws:states:x/1")).toBe("p/reports/arn_aws_states_x_1.html");
  });
});

describe("the data profile of large data", () => {
  const rows = 120;
  const big: Frame = {
    rowCount: rows,
    columns: [
      { kind: "numeric", name: "a", values: Float64Array.from({ length: rows }, (_, i) => i) },
      {
        kind: "numeric",
        name: "b",
        values: Float64Array.from({ length: rows }, (_, i) => (i % 7 === 0 ? Number.NaN : i * i)),
      },
      {
        kind: "categorical",
        name: "c",
        levels: ["p", "q", "r"],
        codes: Int32Array.from({ length: rows }, (_, i) => i % 3),
      },
    ],
  };
  const roles = () => "feature" as const;

  it("is computed on a seeded sample above the limit, and says so", () => {
    const profile = profileData(big, roles, { seed: 7, maxRows: 50 });
    expect(profile.rows).toBe(50);
    expect(profile.sample).toEqual({ of: 120, seed: 7 });
    const sample = takeRows(big, seededSample(120, 50, 7, PROFILE_SAMPLE_STREAM));
    const { sample: _, ...expected } = profile;
    expect(expected).toEqual(profileData(sample, roles));
    expect(profileData(big, roles, { seed: 7, maxRows: 50 })).toEqual(profile);
  });

  it("covers every row up to the limit (50,000 by default)", () => {
    expect(PROFILE_SAMPLE_ROWS).toBe(50_000);
    const profile = profileData(big, roles, { seed: 7 });
    expect(profile.rows).toBe(120);
    expect(profile.sample).toBeUndefined();
    expect(profile).toEqual(profileData(big, roles));
  });

  it("tells the reader the profile was sampled", async () => {
    const html = await buildReportHtml(
      data({ profile: profileData(big, roles, { seed: 7, maxRows: 50 }) }),
    );
    expect(html).toContain(
      "computed on a seeded sample of 50 of the 120 rows (seed 7); the validation report covers every row.",
    );
    expect(html).toContain("Pearson&#39;s r over the sampled rows");
  });
});
