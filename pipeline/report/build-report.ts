/**
 * The run report: one self-contained HTML page from `ReportData`, its charts rendered to
 * inline SVG here (see vega-svg.ts). Sections appear in the order a reviewer reads a run:
 * outcome, data, split, search, test metrics, errors of the model, what drove it, the
 * champion comparison, drift, lineage.
 */
import { barChart, cvChart, driftChart, heatmapChart, histogramChart } from "./charts.ts";
import type { ColumnSummary } from "./data-profile.ts";
import { evaluationSection } from "./evaluation-section.ts";
import { coefficientsSection, learningCurveSection } from "./family-sections.ts";
import {
  definitionList,
  escapeHtml,
  figure,
  note,
  page,
  pct,
  raw,
  section,
  table,
} from "./html.ts";
import type { ReportData } from "./report-data.ts";
import { renderSvg } from "./vega-svg.ts";

type Section = { id: string; title: string; html: string };

/** Wide data: the page stays quick to build and to read (each chart costs ~20 ms to render). */
const FEATURE_CHARTS = 40;
const TABLE_COLUMNS = 200;

const OUTCOME_CLASS: Record<ReportData["outcome"], string> = {
  promoted: "status-ok",
  trained: "status-ok",
  "not-promoted": "status-neutral",
  "no-drift": "status-neutral",
  failed: "status-bad",
};

export async function buildReportHtml(data: ReportData): Promise<string> {
  const sections: Section[] = [];
  const add = (id: string, title: string, html: string | null) => {
    if (html) sections.push({ id, title, html: section(id, title, html) });
  };
  if (data.error) {
    add(
      "failure",
      "Failure",
      `<p class="error" role="alert"><strong>${escapeHtml(data.error.name)}</strong>: ${escapeHtml(data.error.message)}</p>`,
    );
  }
  add("data", "Data profile", await dataSection(data));
  add("split", "Split", splitSection(data));
  add("search", "Search", await searchSection(data));
  add("metrics", "Test metrics", metricsSection(data));
  add(
    "errors",
    data.task === "regression" ? "Residuals" : "Confusion and curves",
    await evaluationSection(data),
  );
  add("learning", "Learning curve", await learningCurveSection(data));
  add("coefficients", "Coefficients", coefficientsSection(data));
  add("drivers", "What drove the model", await driversSection(data));
  add("champion", "Champion comparison", comparisonSection(data));
  add("drift", "Drift", await driftSection(data));
  add("lineage", "Lineage", lineageSection(data));

  const header = `<p><span class="status ${OUTCOME_CLASS[data.outcome]}">${escapeHtml(data.outcome.replace("-", " "))}</span> ${escapeHtml(data.headline)}</p>
${definitionList([
  ["Pipeline", data.pipeline],
  ["Execution", raw(`<code>${escapeHtml(data.execution)}</code>`)],
  ["Task", `${data.task}, target ${data.target}`],
  ["Started", data.startedAt ?? "—"],
])}`;
  return page({
    title: `Orchard run report: ${data.pipeline} (${data.execution})`,
    heading: `Run report: ${data.pipeline}`,
    header,
    nav: sections.map(({ id, title }) => ({ id, title })),
    body: sections.map((s) => s.html).join("\n"),
  });
}

async function dataSection(data: ReportData): Promise<string | null> {
  const { profile, validation } = data;
  if (!profile && !validation) return null;
  const parts: string[] = [];
  if (validation) {
    parts.push(
      definitionList([
        ["Rows", validation.rows],
        ["Columns", validation.columns],
        ["Validation warnings", validation.warnings.length],
        ["Validation report", raw(`<code>${escapeHtml(validation.reportUri)}</code>`)],
      ]),
    );
    if (validation.warnings.length > 0) {
      parts.push(
        `<ul>${validation.warnings.map((w) => `<li>${escapeHtml(w)}</li>`).join("")}</ul>`,
      );
    }
  }
  if (!profile) return parts.join("\n");
  if (profile.sample) {
    parts.push(
      note(
        `The table, charts and correlations below are computed on a seeded sample of ${profile.rows} of the ${profile.sample.of} rows (seed ${profile.sample.seed}); the validation report covers every row.`,
      ),
    );
  }
  parts.push(
    table(
      "Columns",
      ["column", "kind", "role", "missing", "distinct", "min", "mean", "max", "std"],
      profile.columns
        .slice(0, TABLE_COLUMNS)
        .map((c) => [
          c.name,
          c.kind,
          c.role,
          pct(c.missingShare),
          c.distinct,
          c.stats?.min ?? null,
          c.stats?.mean ?? null,
          c.stats?.max ?? null,
          c.stats?.std ?? null,
        ]),
      3,
    ),
  );
  const target = profile.columns.find((c) => c.role === "target");
  if (target) {
    parts.push("<h3>Target distribution</h3>");
    parts.push(`<div class="charts">${await columnChart(target, `target-${target.name}`)}</div>`);
  }
  const features = profile.columns.filter((c) => c.role === "feature");
  const charted = features.slice(0, FEATURE_CHARTS);
  const charts = await Promise.all(charted.map((c) => columnChart(c, `column-${c.name}`)));
  parts.push("<h3>Features</h3>", `<div class="charts">${charts.join("\n")}</div>`);
  if (features.length > charted.length) {
    parts.push(
      note(
        `Charts of the first ${charted.length} of ${features.length} features; the table above has the first ${TABLE_COLUMNS}.`,
      ),
    );
  }
  const { names, matrix } = profile.correlations;
  if (names.length >= 2) {
    const cells = names.flatMap((row, i) =>
      names.map((col, j) => {
        const value = matrix[i][j];
        return {
          row,
          col,
          value: value ?? 0,
          text: value === null ? "—" : value.toFixed(2),
          dark: Math.abs(value ?? 0) > 0.6,
        };
      }),
    );
    const svg = await renderSvg(
      heatmapChart("Pearson correlation of numeric features", cells, {
        rowTitle: "feature",
        colTitle: "feature",
        domain: [-1, 1],
        scheme: "blueorange",
      }),
      `Correlation heatmap of ${names.length} numeric features`,
    );
    parts.push(
      "<h3>Correlations</h3>",
      figure(
        "correlations",
        svg,
        `Pearson's r over the ${profile.sample ? "sampled " : ""}rows where both values are present.`,
      ),
    );
  }
  return parts.join("\n");
}

async function columnChart(c: ColumnSummary, id: string): Promise<string> {
  if (c.histogram) {
    const svg = await renderSvg(histogramChart(c.name, c.histogram), `Histogram of ${c.name}`);
    return figure(
      id,
      svg,
      `${c.name}: ${c.histogram.length} equal-width bins, ${pct(c.missingShare)} missing.`,
    );
  }
  if (c.levels && c.levels.length > 0) {
    const svg = await renderSvg(barChart(c.name, c.levels, "rows"), `Rows per level of ${c.name}`);
    return figure(id, svg, `${c.name}: rows per level, ${pct(c.missingShare)} missing.`);
  }
  return note(`${c.name}: no values to chart.`);
}

function splitSection(data: ReportData): string | null {
  const s = data.split;
  if (!s) return null;
  const rows: [string, string | number][] = [];
  if (s.strategy) rows.push(["Strategy", s.strategy]);
  if (s.boundary) rows.push(["Time boundary", s.boundary]);
  if (s.crossValidation) rows.push(["Cross-validation", s.crossValidation]);
  return definitionList([
    ...rows,
    ["Rows read", s.input],
    ...(s.missingTargetDropped
      ? [["Rows without a target dropped", s.missingTargetDropped] as [string, number]]
      : []),
    ["Duplicates removed", s.duplicatesRemoved],
    ["Train rows", s.train],
    ["Test rows", s.test],
  ]);
}

async function searchSection(data: ReportData): Promise<string | null> {
  const s = data.search;
  // Not cross-validated: the Split section says so; there is no search to chart.
  if (!s || s.candidates.length === 0 || s.folds === null) return null;
  const ranked = [...s.candidates].sort((a, b) => a.rank - b.rank);
  const svg = await renderSvg(
    cvChart(
      s.metric,
      ranked.map((c) => ({
        candidate: c.candidateId,
        mean: c.mean ?? Number.NaN,
        lo: (c.mean ?? Number.NaN) - (c.std ?? 0),
        hi: (c.mean ?? Number.NaN) + (c.std ?? 0),
      })),
    ),
    `Cross-validated ${s.metric} of ${ranked.length} candidates with their spread over folds`,
  );
  return [
    figure("search", svg, `${s.folds}-fold cross-validation; candidates best first.`),
    table(
      "Candidates, best first",
      ["candidate", "rank", `mean ${s.metric}`, "std", "parameters"],
      ranked.map((c) => [
        c.candidateId,
        c.rank,
        c.mean,
        c.std,
        raw(`<code>${escapeHtml(JSON.stringify(c.params))}</code>`),
      ]),
    ),
  ].join("\n");
}

function metricsSection(data: ReportData): string | null {
  if (!data.test) return null;
  return table(
    "Held-out test metrics",
    ["metric", "value"],
    Object.entries(data.test.metrics).map(([k, v]) => [k, v]),
  );
}

async function driversSection(data: ReportData): Promise<string | null> {
  const parts: string[] = [];
  if (data.shap && data.shap.length > 0) {
    const rows = data.shap.slice(0, 25).map((s) => ({ label: s.feature, value: s.meanAbs }));
    parts.push(
      figure(
        "shap",
        await renderSvg(
          barChart("Mean absolute TreeSHAP contribution per feature", rows, "mean |contribution|"),
          "Mean absolute SHAP contribution per feature",
        ),
        `Exact TreeSHAP ${explainedRows(data)}, one-hot columns summed back to their feature.`,
      ),
    );
  }
  if (data.importance && data.importance.length > 0) {
    const rows = data.importance
      .slice(0, 25)
      .map((s) => ({ label: s.feature, value: s.importance }));
    parts.push(
      figure(
        "importance",
        await renderSvg(
          barChart(
            data.learningCurve
              ? "Split-gain feature importance"
              : data.coefficients
                ? "Linear feature importance"
                : "Impurity-based feature importance",
            rows,
            "importance",
          ),
          "Feature importance per model column",
        ),
        data.learningCurve
          ? "Total split gain per model column over all trees, summing to 1."
          : data.coefficients
            ? "Mean |coefficient × (value − training mean)| per model column, summing to 1."
            : "Impurity decrease per model column, summing to 1.",
      ),
    );
  }
  return parts.length > 0 ? `<div class="charts">${parts.join("\n")}</div>` : null;
}

/** Which test rows the TreeSHAP chart explains, in words. */
function explainedRows(data: ReportData): string {
  const r = data.shapRows;
  if (!r) return "on the test rows";
  if (r.explained >= r.of) return `on all ${r.of} test rows`;
  return `explanations on ${r.explained} of ${r.of} test rows (seeded sample, seed ${r.seed}; report.explainRows)`;
}

function comparisonSection(data: ReportData): string | null {
  const c = data.comparison;
  if (!c) return null;
  const all = data.split ? `all ${data.split.test} test rows` : "all test rows";
  const rows: [string, string | number, string | number][] = [
    [`this run (${c.version})`, c.value, all],
  ];
  const champ = c.champion;
  const compared =
    champ?.rows == null || champ.rows === data.split?.test
      ? "the same test rows"
      : `the ${champ.rows} test rows ${champ.version} did not train on`;
  if (champ && champ.rows != null && champ.rows !== data.split?.test) {
    rows.push([`this run (${c.version})`, champ.challengerValue ?? c.value, compared]);
  }
  if (champ) {
    rows.push([
      `champion ${champ.version}`,
      champ.value,
      champ.source === "rescored" ? `re-scored on ${compared}` : "its recorded metric",
    ]);
  }
  return [
    table(`Gate metric: ${c.metric}`, ["model", c.metric, "measured on"], rows),
    champ
      ? definitionList([
          ["Champion", champ.version],
          ["Rows compared", champ.rows ?? "none (the champion's recorded metric was used)"],
        ])
      : "",
    `<p>Gate ${c.promote ? "passed" : "not passed"}:</p><ul>${c.reasons.map((r) => `<li>${escapeHtml(r)}</li>`).join("")}</ul>`,
    c.champion ? "" : note("There was no champion before this run."),
  ].join("\n");
}

async function driftSection(data: ReportData): Promise<string | null> {
  const d = data.drift;
  if (!d) return null;
  const parts = [`<p>${escapeHtml(d.reason)}</p>`];
  const c = d.comparison;
  if (c) {
    const withPsi = c.features
      .filter((f) => f.psi !== null)
      .map((f) => ({ feature: f.feature, psi: f.psi as number }));
    if (withPsi.length > 0) {
      parts.push(
        figure(
          "drift",
          await renderSvg(
            driftChart(withPsi.slice(0, 30), d.threshold),
            "Population stability index per feature against the threshold",
          ),
          `Against champion ${c.champion ?? ""}'s training data (${c.baselineRows} rows); ${c.rows} incoming rows.`,
        ),
      );
    }
    parts.push(
      table(
        "Drift per feature, highest PSI first",
        ["feature", "kind", "PSI", "KS", "missing", "baseline missing", "unseen levels", "status"],
        c.features.map((f) => [
          f.feature,
          f.kind,
          f.psi,
          f.ks,
          pct(f.missingShare),
          f.baselineMissingShare === null ? null : pct(f.baselineMissingShare),
          f.unseenLevels.length > 0 ? `${f.unseenLevels.join(", ")} (${f.unseenRows} rows)` : "",
          f.status,
        ]),
        2,
      ),
    );
  }
  return parts.join("\n");
}

function lineageSection(data: ReportData): string | null {
  if (data.lineage.length === 0) return null;
  return definitionList(
    data.lineage.map(({ label, value }) => [label, raw(`<code>${escapeHtml(value)}</code>`)]),
  );
}
