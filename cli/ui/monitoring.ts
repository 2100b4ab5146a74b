/**
 * The monitoring page of `orchard ui` (`/pipelines/<name>/monitoring`), from the reports
 * `orchard monitor` keeps under `<stateDir>/monitor/<pipeline>/<time>.json`: the live gate
 * metric over time per version (one point per Monitor run), capture volume and label coverage
 * over time, label delay, the latest window's figures per version, and the A/B test or bandit
 * as the last Monitor run judged it. Charts are inline SVG rendered on the server (no script),
 * each with a table of the same figures for screen readers and copying.
 */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import type { TopLevelSpec } from "vega-lite";
import type { MonitorReport } from "../../pipeline/monitor/monitor.ts";
import { experimentSection } from "../../pipeline/monitor/report-html.ts";
import { escapeHtml, figure, fmt, note, pct, table } from "../../pipeline/report/html.ts";
import { renderSvg } from "../../pipeline/report/vega-svg.ts";
import { layout } from "./pages.ts";

export const MONITOR_DIR = "monitor";

/** At most this many Monitor runs are charted (the newest). */
const MAX_REPORTS = 200;

/** The Monitor reports kept for `pipeline`, oldest first; [] when none. */
export async function readMonitorReports(
  stateDir: string,
  pipeline: string,
): Promise<MonitorReport[]> {
  const dir = join(stateDir, MONITOR_DIR, pipeline);
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith(".json")).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
  const out: MonitorReport[] = [];
  for (const name of names.slice(-MAX_REPORTS)) {
    try {
      const report = JSON.parse(await readFile(join(dir, name), "utf8")) as MonitorReport;
      if (typeof report.at === "string" && Array.isArray(report.versions)) out.push(report);
    } catch {
      // A report cut short by a crash costs its point on the charts, not the page.
    }
  }
  return out.sort((a, b) => a.at.localeCompare(b.at));
}

const at = (iso: string) => iso.replace("T", " ").slice(0, 16);

function metricOverTime(reports: MonitorReport[], metric: string): TopLevelSpec {
  const values = reports.flatMap((r) =>
    r.versions
      .filter((v) => v.metrics[metric] !== undefined)
      .map((v) => ({ at: at(r.at), version: v.version, value: v.metrics[metric] })),
  );
  const bound = reports[reports.length - 1]?.gate.bound ?? null;
  const layers: unknown[] = [
    {
      data: { values },
      mark: { type: "line", point: true },
      encoding: {
        x: { field: "at", type: "ordinal", title: "Monitor run (UTC)" },
        y: { field: "value", type: "quantitative", title: `live ${metric}` },
        color: { field: "version", type: "nominal", title: "version" },
      },
    },
  ];
  if (bound !== null) {
    layers.push({
      data: { values: [{ bound }] },
      mark: { type: "rule", color: "#c0392b", strokeDash: [4, 4] },
      encoding: { y: { field: "bound", type: "quantitative" } },
    });
  }
  return {
    title: `Live ${metric} per version`,
    width: 480,
    height: 200,
    layer: layers,
  } as TopLevelSpec;
}

function volumeOverTime(reports: MonitorReport[]): TopLevelSpec {
  const values = reports.flatMap((r) => [
    { at: at(r.at), kind: "captured", n: r.captured },
    { at: at(r.at), kind: "labeled", n: r.labeled },
  ]);
  return {
    title: "Captured and labeled predictions in each window",
    width: 480,
    height: 160,
    data: { values },
    mark: "bar",
    encoding: {
      x: { field: "at", type: "ordinal", title: "Monitor run (UTC)" },
      xOffset: { field: "kind" },
      y: { field: "n", type: "quantitative", title: "predictions" },
      color: { field: "kind", type: "nominal", title: null },
    },
  } as TopLevelSpec;
}

export async function monitoringPage(name: string, reports: MonitorReport[]): Promise<string> {
  const crumbs = [
    { href: "/", label: "Pipelines" },
    { href: `/pipelines/${encodeURIComponent(name)}`, label: name },
    { label: "Monitoring" },
  ];
  const latest = reports[reports.length - 1];
  if (!latest) {
    return layout(
      `Monitoring ${name}`,
      crumbs,
      `<p>No Monitor run is recorded for this pipeline. Serve it with capture on (<code>monitor.capture</code> in the spec), send labels, then run <code>orchard monitor &lt;spec.yaml&gt;</code>.</p>`,
    );
  }
  const metric = latest.gate.metric;
  const g = latest.gate;
  const verdict = `<p${latest.alarm ? ' class="error" role="alert"' : ""}><strong>${escapeHtml(g.verdict)}</strong>: ${escapeHtml(g.reason)}</p>`;
  const series = table(
    `Live ${metric} per Monitor run and version`,
    ["Monitor run (UTC)", "version", "captured", "labeled", "coverage", metric],
    reports.flatMap((r) =>
      r.versions.map((v) => [
        at(r.at),
        v.version,
        v.captured,
        v.labeled,
        pct(v.coverage),
        v.metrics[metric] ?? null,
      ]),
    ),
    2,
  );
  const labels = table(
    "Labels per Monitor run",
    [
      "Monitor run (UTC)",
      "captured",
      "labeled",
      "coverage",
      "delay median (s)",
      "delay p90 (s)",
      "duplicates",
      "unmatched",
    ],
    reports.map((r) => [
      at(r.at),
      r.captured,
      r.labeled,
      pct(r.captured === 0 ? 0 : r.labeled / r.captured),
      r.labelDelaySeconds?.median ?? null,
      r.labelDelaySeconds?.p90 ?? null,
      r.duplicateLabels,
      r.unmatchedLabels,
    ]),
  );
  const perDay = table(
    `Capture volume per day in the last window (${latest.window.hours} h)`,
    ["day (UTC)", "version", "captured", "labeled", "coverage", metric],
    latest.days.map((d) => [
      d.day,
      d.version,
      d.captured,
      d.labeled,
      pct(d.coverage),
      d.metrics[metric] ?? null,
    ]),
    2,
  );
  const body = `<p>${reports.length} Monitor run${reports.length === 1 ? "" : "s"}; the last at ${escapeHtml(at(latest.at))} UTC, champion <strong>${escapeHtml(latest.champion ?? "none")}</strong>, bound on ${escapeHtml(metric)} ${escapeHtml(g.bound === null ? "none" : fmt(g.bound))}.</p>
${verdict}
<section aria-labelledby="live-h"><h2 id="live-h">Live ${escapeHtml(metric)} over time</h2>
${figure("live", await renderSvg(metricOverTime(reports, metric), `live ${metric} per Monitor run and version`), "One point per Monitor run and version; the dashed line is the alarm's bound.")}
${series}</section>
<section aria-labelledby="labels-h"><h2 id="labels-h">Capture volume, label coverage and delay</h2>
${figure("volume", await renderSvg(volumeOverTime(reports), "captured and labeled predictions per Monitor run"), "Captured and labeled predictions in each Monitor run's window.")}
${labels}
${latest.days.length > 0 ? perDay : note("No captured predictions in the last window.")}</section>
${experimentSection(latest.experiment)}`;
  return layout(`Monitoring ${name}`, crumbs, body);
}
