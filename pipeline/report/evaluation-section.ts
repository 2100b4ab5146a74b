/**
 * The report's "Confusion and curves" (classification) or "Residuals" (regression) section:
 * how the model errs on the held-out test rows. A confusion matrix, and for binary tasks the
 * ROC and precision-recall curves (evaluation.ts computes them); residuals against predictions
 * for regression.
 */
import { curveChart, heatmapChart, residualChart } from "./charts.ts";
import { figure } from "./html.ts";
import type { ReportData } from "./report-data.ts";
import { renderSvg } from "./vega-svg.ts";

export async function evaluationSection(data: ReportData): Promise<string | null> {
  const e = data.evaluation;
  if (!e) return null;
  if (e.kind === "regression") {
    const svg = await renderSvg(
      residualChart(e.residuals),
      "Residuals against predictions on the test rows",
    );
    return figure(
      "residuals",
      svg,
      `${e.residuals.length} test rows; a good model scatters evenly around zero.`,
    );
  }
  const max = Math.max(1, ...e.confusion.flat());
  const cells = e.classes.flatMap((actual, i) =>
    e.classes.map((predicted, j) => ({
      row: actual,
      col: predicted,
      value: e.confusion[i][j],
      text: String(e.confusion[i][j]),
      dark: e.confusion[i][j] > 0.6 * max,
    })),
  );
  const parts = [
    figure(
      "confusion",
      await renderSvg(
        heatmapChart("Confusion matrix on the test rows", cells, {
          rowTitle: "actual",
          colTitle: "predicted",
          scheme: "blues",
        }),
        `Confusion matrix of ${e.classes.length} classes`,
      ),
      "Rows are the actual class, columns the predicted one; the diagonal is correct.",
    ),
  ];
  if (e.curves) {
    const { positive, roc, pr } = e.curves;
    parts.push(
      figure(
        "roc",
        await renderSvg(
          curveChart(
            `ROC curve (positive class ${positive})`,
            roc,
            { x: "false positive rate", y: "true positive rate" },
            true,
          ),
          "ROC curve",
        ),
        "The dashed diagonal is a model that guesses.",
      ),
      figure(
        "pr",
        await renderSvg(
          curveChart(
            `Precision-recall curve (positive class ${positive})`,
            pr,
            { x: "recall", y: "precision" },
            false,
          ),
          "Precision-recall curve",
        ),
        "Precision at each recall as the threshold is lowered.",
      ),
    );
  }
  return `<div class="charts">${parts.join("\n")}</div>`;
}
