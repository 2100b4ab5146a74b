/**
 * The report's charts as Vega-Lite specifications: small pure functions from summarised data
 * (bins, counts, curve points — never raw tables) to a spec, so every chart stays a few KiB.
 */
import type { TopLevelSpec } from "vega-lite";

const W = 360;
const H = 200;

export interface Bin {
  x0: number;
  x1: number;
  count: number;
}

export function histogramChart(title: string, bins: Bin[]): TopLevelSpec {
  return {
    title,
    width: W,
    height: H,
    data: { values: bins },
    mark: { type: "bar", color: "#1b5e9b", binSpacing: 1 },
    encoding: {
      x: { field: "x0", type: "quantitative", bin: { binned: true }, title },
      x2: { field: "x1" },
      y: { field: "count", type: "quantitative", title: "rows" },
      tooltip: [
        { field: "x0", title: "from" },
        { field: "x1", title: "to" },
        { field: "count", title: "rows" },
      ],
    },
  } as TopLevelSpec;
}

export function barChart(
  title: string,
  rows: { label: string; value: number }[],
  valueTitle: string,
): TopLevelSpec {
  return {
    title,
    width: W,
    height: Math.max(60, rows.length * 18),
    data: { values: rows },
    mark: { type: "bar", color: "#1b5e9b" },
    encoding: {
      y: { field: "label", type: "nominal", sort: null, title: null },
      x: { field: "value", type: "quantitative", title: valueTitle },
      tooltip: [
        { field: "label", title: "" },
        { field: "value", title: valueTitle, format: ".4~g" },
      ],
    },
  } as TopLevelSpec;
}

export function heatmapChart(
  title: string,
  cells: { row: string; col: string; value: number; text: string; dark: boolean }[],
  options: { rowTitle: string; colTitle: string; domain?: [number, number]; scheme: string },
): TopLevelSpec {
  const n = new Set(cells.map((c) => c.row)).size;
  const side = Math.min(420, Math.max(120, n * 36));
  const scale = options.domain
    ? { domain: options.domain, scheme: options.scheme }
    : { scheme: options.scheme };
  return {
    title,
    width: side,
    height: side,
    data: { values: cells },
    encoding: {
      x: { field: "col", type: "nominal", sort: null, title: options.colTitle },
      y: { field: "row", type: "nominal", sort: null, title: options.rowTitle },
    },
    layer: [
      {
        mark: "rect",
        encoding: {
          color: { field: "value", type: "quantitative", scale, title: null },
          tooltip: [
            { field: "row", title: options.rowTitle },
            { field: "col", title: options.colTitle },
            { field: "text", title: "value" },
          ],
        },
      },
      {
        mark: { type: "text", fontSize: 11 },
        encoding: {
          text: { field: "text" },
          color: {
            condition: { test: "datum.dark", value: "white" },
            value: "#1f2933",
          },
        },
      },
    ],
  } as TopLevelSpec;
}

export function cvChart(
  metric: string,
  candidates: { candidate: string; mean: number; lo: number; hi: number }[],
): TopLevelSpec {
  return {
    title: `Cross-validated ${metric} per candidate (mean ± std over folds)`,
    width: W,
    height: Math.max(60, candidates.length * 22),
    data: { values: candidates },
    encoding: { y: { field: "candidate", type: "nominal", sort: null, title: null } },
    layer: [
      {
        mark: { type: "rule", color: "#52606d" },
        encoding: {
          x: { field: "lo", type: "quantitative", scale: { zero: false }, title: metric },
          x2: { field: "hi" },
        },
      },
      {
        mark: { type: "point", filled: true, size: 60, color: "#1b5e9b" },
        encoding: {
          x: { field: "mean", type: "quantitative" },
          tooltip: [
            { field: "candidate" },
            { field: "mean", format: ".4f" },
            { field: "lo", title: "mean − std", format: ".4f" },
            { field: "hi", title: "mean + std", format: ".4f" },
          ],
        },
      },
    ],
  } as TopLevelSpec;
}

export function curveChart(
  title: string,
  points: { x: number; y: number }[],
  axes: { x: string; y: string },
  diagonal: boolean,
): TopLevelSpec {
  const line = {
    data: { values: points },
    mark: { type: "line", color: "#1b5e9b", interpolate: "step-after" },
    encoding: {
      x: { field: "x", type: "quantitative", title: axes.x, scale: { domain: [0, 1] } },
      y: { field: "y", type: "quantitative", title: axes.y, scale: { domain: [0, 1] } },
      order: { field: "order" },
    },
  };
  const layers: unknown[] = [line];
  if (diagonal) {
    layers.push({
      data: {
        values: [
          { x: 0, y: 0 },
          { x: 1, y: 1 },
        ],
      },
      mark: { type: "line", color: "#9aa5b1", strokeDash: [4, 4] },
      encoding: {
        x: { field: "x", type: "quantitative" },
        y: { field: "y", type: "quantitative" },
      },
    });
  }
  return { title, width: 260, height: 260, layer: layers } as TopLevelSpec;
}

export function residualChart(points: { predicted: number; residual: number }[]): TopLevelSpec {
  return {
    title: "Residuals on the test rows (actual − predicted)",
    width: W,
    height: H + 40,
    layer: [
      {
        data: { values: points },
        mark: { type: "point", opacity: 0.6, color: "#1b5e9b" },
        encoding: {
          x: { field: "predicted", type: "quantitative", scale: { zero: false } },
          y: { field: "residual", type: "quantitative" },
        },
      },
      {
        data: { values: [{ y: 0 }] },
        mark: { type: "rule", color: "#c0392b", strokeDash: [4, 4] },
        encoding: { y: { field: "y", type: "quantitative" } },
      },
    ],
  } as TopLevelSpec;
}

export function driftChart(
  rows: { feature: string; psi: number }[],
  threshold: number,
): TopLevelSpec {
  return {
    title: `Population stability index per feature (threshold ${threshold})`,
    width: W,
    height: Math.max(60, rows.length * 18),
    layer: [
      {
        data: { values: rows },
        mark: "bar",
        encoding: {
          y: { field: "feature", type: "nominal", sort: null, title: null },
          x: { field: "psi", type: "quantitative", title: "PSI" },
          color: {
            condition: { test: `datum.psi >= ${threshold}`, value: "#c0392b" },
            value: "#1b5e9b",
          },
          tooltip: [{ field: "feature" }, { field: "psi", format: ".4f" }],
        },
      },
      {
        data: { values: [{ t: threshold }] },
        mark: { type: "rule", color: "#1f2933", strokeDash: [4, 4] },
        encoding: { x: { field: "t", type: "quantitative" } },
      },
    ],
  } as TopLevelSpec;
}
