/**
 * The Monitor's report: one static page like the run report (inline SVG from Vega-Lite, no
 * script, no network): the verdict, live metrics per version, the gate metric per day per
 * version against its bound, capture volume and label coverage per day, label delay, and the
 * drift of live inputs against the champion's training data; and the A/B test or bandit the
 * Monitor judged, when one runs.
 */
import type { TopLevelSpec } from "vega-lite";
import { driftChart } from "../report/charts.ts";
import {
  definitionList,
  escapeHtml,
  figure,
  fmt,
  note,
  page,
  pct,
  section,
  table,
} from "../report/html.ts";
import { renderSvg } from "../report/vega-svg.ts";
import type { ExperimentReport } from "./experiment.ts";
import type { MonitorReport } from "./monitor.ts";

function gateOverTime(report: MonitorReport): TopLevelSpec {
  const metric = report.gate.metric;
  const points = report.days
    .filter((d) => d.metrics[metric] !== undefined)
    .map((d) => ({ day: d.day, version: d.version, value: d.metrics[metric] }));
  const layers: unknown[] = [
    {
      data: { values: points },
      mark: { type: "line", point: true },
      encoding: {
        x: { field: "day", type: "ordinal", title: "day (UTC)" },
        y: { field: "value", type: "quantitative", title: `live ${metric}` },
        color: { field: "version", type: "nominal", title: "version" },
      },
    },
  ];
  if (report.gate.bound !== null) {
    layers.push({
      data: { values: [{ bound: report.gate.bound }] },
      mark: { type: "rule", color: "#c0392b", strokeDash: [4, 4] },
      encoding: { y: { field: "bound", type: "quantitative" } },
    });
  }
  return {
    title: `Live ${metric} per day and version`,
    width: 420,
    height: 180,
    layer: layers,
  } as TopLevelSpec;
}

function volumeOverTime(report: MonitorReport): TopLevelSpec {
  const values = report.days.flatMap((d) => [
    { day: d.day, version: d.version, kind: "captured", n: d.captured },
    { day: d.day, version: d.version, kind: "labeled", n: d.labeled },
  ]);
  return {
    title: "Captured and labeled predictions per day",
    width: 420,
    height: 160,
    data: { values },
    mark: "bar",
    encoding: {
      x: { field: "day", type: "ordinal", title: "day (UTC)" },
      xOffset: { field: "kind" },
      y: { field: "n", type: "quantitative", title: "predictions", aggregate: "sum" },
      color: { field: "kind", type: "nominal", title: null },
    },
  } as TopLevelSpec;
}

/** The A/B test or bandit the Monitor judged: arms, weights, counts and the decision. */
export function experimentSection(experiment: ExperimentReport | null | undefined): string {
  if (!experiment) {
    return section(
      "experiment",
      "A/B test or bandit",
      note("None runs: the champion answers every request (deploy.strategy canary)."),
    );
  }
  const e = experiment;
  const d = e.decision;
  const title = e.strategy === "ab" ? "A/B test" : "Bandit";
  const rows = e.arms.map((a, i) => [
    `${a.version}${i === 0 ? " (champion)" : ""}`,
    pct(a.weight),
    ...(e.weights ? [pct(e.weights[i])] : []),
    a.captured,
    a.labeled,
    ...(e.strategy === "ab" ? [a.value ?? null] : [a.successes ?? null, a.failures ?? null]),
  ]);
  const headers = [
    "arm",
    "share served",
    ...(e.weights ? ["new share"] : []),
    "captured",
    "labeled",
    ...(e.strategy === "ab" ? [d?.metric ?? "metric"] : ["successes", "failures"]),
  ];
  const numbers: [string, string | number | null][] = d
    ? [
        ["difference (challenger − champion, better > 0)", fmt(d.difference)],
        ["confidence", d.confidence],
        ...(d.z !== undefined ? ([["z", fmt(d.z)]] as [string, string][]) : []),
        ...(d.pValue !== undefined ? ([["p-value", fmt(d.pValue)]] as [string, string][]) : []),
        ...(d.lowerBound !== undefined
          ? ([["lower bound", fmt(d.lowerBound)]] as [string, string][])
          : []),
      ]
    : [];
  return section(
    "experiment",
    title,
    `<p data-experiment-action="${escapeHtml(e.action)}"><strong>${escapeHtml(e.action)}</strong>: ${escapeHtml(e.reason)}</p>${definitionList(
      [
        ["started", e.startedAt],
        ["champion", e.champion],
        ...(e.challenger ? ([["challenger", e.challenger]] as [string, string][]) : []),
        ...numbers,
      ],
    )}${table(`${title} arms since ${e.startedAt}`, headers, rows)}`,
  );
}

export async function monitorReportHtml(report: MonitorReport): Promise<string> {
  const g = report.gate;
  const verdict = `${g.verdict}: ${g.reason}`;
  const metricNames = [...new Set(report.versions.flatMap((v) => Object.keys(v.metrics)))].sort();
  const overview = section(
    "verdict",
    "Verdict",
    `<p${report.alarm ? ' class="error"' : ""}>${escapeHtml(verdict)}</p>${definitionList([
      ["champion", report.champion ?? "none"],
      ["window", `${report.window.from} – ${report.window.to} (${report.window.hours} h)`],
      ["captured predictions", report.captured],
      [
        "labeled",
        `${report.labeled} (${pct(report.captured === 0 ? 0 : report.labeled / report.captured)})`,
      ],
      ["labels received", report.labelsReceived],
      ["duplicate labels (last won)", report.duplicateLabels],
      ["labels matching no capture", report.unmatchedLabels],
      [
        "label delay",
        report.labelDelaySeconds
          ? `median ${fmt(report.labelDelaySeconds.median)} s, p90 ${fmt(report.labelDelaySeconds.p90)} s`
          : "—",
      ],
      [`bound on ${g.metric}`, g.bound === null ? "none" : `${fmt(g.bound)} (${g.boundSource})`],
      [`held-out ${g.metric}`, g.heldOut],
    ])}`,
  );
  const versions = section(
    "versions",
    "Live metrics per version",
    table(
      "Metrics on the labeled predictions of the window",
      ["version", "captured", "labeled", "coverage", ...metricNames],
      report.versions.map((v) => [
        v.version,
        v.captured,
        v.labeled,
        pct(v.coverage),
        ...metricNames.map((m) => v.metrics[m] ?? null),
      ]),
    ),
  );
  const charts = section(
    "over-time",
    "Over time",
    report.days.length === 0
      ? note("No captured predictions in the window.")
      : figure(
          "gate",
          await renderSvg(gateOverTime(report), `live ${g.metric} per day and version`),
          `The dashed line is the alarm's bound${g.bound === null ? " (none)" : ` ${fmt(g.bound)}`}.`,
        ) +
          figure(
            "volume",
            await renderSvg(volumeOverTime(report), "captured and labeled predictions per day"),
            "Capture volume and label coverage per day.",
          ),
  );
  const drift = report.drift;
  const driftSection = section(
    "drift",
    "Drift of live inputs",
    drift === null
      ? note("Not computed: no champion, no training baseline, or no captured inputs.")
      : figure(
          "drift",
          await renderSvg(
            driftChart(
              drift.features
                .filter((f) => f.psi !== null)
                .map((f) => ({ feature: f.feature, psi: f.psi as number })),
              drift.threshold,
            ),
            "PSI per feature of live inputs against the training data",
          ),
          `${drift.rows} live rows against ${drift.baselineRows} training rows; drifted: ${drift.drifted ? drift.driftedFeatures.join(", ") : "no"}.`,
        ),
  );
  return page({
    title: `Monitor ${report.pipeline} ${report.at}`,
    heading: `Monitor: ${report.pipeline}`,
    header: `<p>${escapeHtml(report.at)}</p>`,
    nav: [
      { id: "verdict", title: "Verdict" },
      { id: "versions", title: "Versions" },
      { id: "over-time", title: "Over time" },
      ...(report.experiment ? [{ id: "experiment", title: "Experiment" }] : []),
      { id: "drift", title: "Drift" },
    ],
    body:
      overview +
      versions +
      charts +
      (report.experiment ? experimentSection(report.experiment) : "") +
      driftSection,
  });
}
