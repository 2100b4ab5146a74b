/**
 * Vega-Lite specifications rendered to SVG text at build time, with vega's headless view (no
 * canvas, no DOM), so the report page needs no script and no network. Data is always inline:
 * the loader refuses every URL, so a spec can never make the build (or the page) fetch.
 */
import { loader, parse, View } from "vega";
import { compile, type TopLevelSpec } from "vega-lite";

const offline = loader();
offline.load = (uri: string) =>
  Promise.reject(new Error(`report charts carry their data inline; refusing to load ${uri}`));

/** Orchard's chart look: readable type, no chart borders, colours with enough contrast. */
export const CHART_CONFIG = {
  font: "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
  view: { stroke: null },
  axis: { labelFontSize: 11, titleFontSize: 12, labelColor: "#1f2933", titleColor: "#1f2933" },
  legend: { labelFontSize: 11, titleFontSize: 12, labelColor: "#1f2933", titleColor: "#1f2933" },
  title: { fontSize: 13, color: "#1f2933", anchor: "start" },
  range: { category: ["#1b5e9b", "#c0392b", "#2e7d32", "#8e44ad", "#b9770e", "#00838f"] },
  mark: { color: "#1b5e9b" },
} as const;

/**
 * The SVG markup of one chart. `description` becomes the SVG's accessible label, so a screen
 * reader announces what the chart shows.
 */
export async function renderSvg(spec: TopLevelSpec, description: string): Promise<string> {
  const full = {
    ...spec,
    description,
    config: { ...CHART_CONFIG, ...(spec.config ?? {}) },
  } as TopLevelSpec;
  const view = new View(parse(compile(full).spec), { renderer: "none", loader: offline });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
