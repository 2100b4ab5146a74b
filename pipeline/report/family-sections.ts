/**
 * Report sections of the model families beside the forest. Gradient boosting: the learning
 * curve, its mean training loss and (with early stopping) validation loss after each round,
 * as recorded while training, one line per set, so a reader sees where the validation loss
 * flattened and whether training stopped early. Linear models: the coefficients.
 */
import type { TopLevelSpec } from "vega-lite";
import type { BoostedModel } from "../boosting/boosted-model.ts";
import type { Target } from "../data/frame.ts";
import type { LinearModel } from "../linear/linear-model.ts";
import { figure, fmt, table } from "./html.ts";
import type { ReportData } from "./report-data.ts";
import { renderSvg } from "./vega-svg.ts";

export type LearningCurve = NonNullable<ReportData["learningCurve"]>;

/** Charted points per line at most: long runs are thinned evenly (the last round kept). */
const MAX_POINTS = 400;

const LOSS_NAMES = {
  log_loss: "log loss",
  squared_error: "mean squared error",
  absolute_error: "mean absolute error",
} as const;

export function learningCurveOf(model: BoostedModel): LearningCurve {
  const { trainLoss, validationLoss, loss } = model.flat;
  return {
    loss: LOSS_NAMES[loss],
    train: Array.from(trainLoss),
    validation: Array.from(validationLoss),
  };
}

function thin(values: number[], set: string): { round: number; loss: number; set: string }[] {
  const step = Math.max(1, Math.ceil(values.length / MAX_POINTS));
  const out: { round: number; loss: number; set: string }[] = [];
  for (let i = 0; i < values.length; i += step) out.push({ round: i, loss: values[i], set });
  const last = values.length - 1;
  if (last >= 0 && out[out.length - 1]?.round !== last) {
    out.push({ round: last, loss: values[last], set });
  }
  return out;
}

export function learningCurveChart(curve: LearningCurve): TopLevelSpec {
  const values = [...thin(curve.train, "training"), ...thin(curve.validation, "validation")];
  return {
    title: `Loss after each boosting round (${curve.loss})`,
    width: 420,
    height: 220,
    data: { values },
    mark: { type: "line" },
    encoding: {
      x: { field: "round", type: "quantitative", title: "round" },
      y: { field: "loss", type: "quantitative", title: curve.loss, scale: { zero: false } },
      color: { field: "set", type: "nominal", title: null },
    },
  } as TopLevelSpec;
}

export async function learningCurveSection(data: ReportData): Promise<string | null> {
  const curve = data.learningCurve;
  if (!curve) return null;
  const rounds = curve.train.length - 1;
  const caption =
    curve.validation.length > 0
      ? `Validation loss on the seeded early-stopping rows; ${rounds} rounds kept.`
      : `Training loss only: early stopping was off, so no rows were held out; ${rounds} rounds.`;
  return figure(
    "learning-curve",
    await renderSvg(learningCurveChart(curve), "Training and validation loss per round"),
    caption,
  );
}

export type Coefficients = NonNullable<ReportData["coefficients"]>;

/** Coefficients per model column; outputs are the classes (binary: class 1's log-odds) or the value. */
export function coefficientsOf(model: LinearModel, names: string[], target: Target): Coefficients {
  const { coef, intercept } = model.flat;
  const K = intercept.length;
  const outputs =
    target.kind === "regression"
      ? ["value"]
      : K === 1
        ? [`log-odds of ${target.classes[1]}`]
        : target.classes.map((c) => `logit of ${c}`);
  return {
    outputs,
    intercept: Array.from(intercept),
    rows: names.map((feature, f) => ({
      feature,
      values: Array.from({ length: K }, (_, k) => coef[k * names.length + f]),
    })),
  };
}

/** Rows beyond this are left out of the table (the largest coefficients are kept). */
const MAX_COEFFICIENT_ROWS = 200;

export function coefficientsSection(data: ReportData): string | null {
  const c = data.coefficients;
  if (!c) return null;
  const size = (r: { values: number[] }) => Math.max(...r.values.map(Math.abs));
  const rows = [...c.rows].sort((a, b) => size(b) - size(a)).slice(0, MAX_COEFFICIENT_ROWS);
  return table(
    "Coefficients on the preprocessed (scaled, one-hot) columns, largest first",
    ["column", ...c.outputs],
    [
      ["(intercept)", ...c.intercept.map(fmt)],
      ...rows.map((r) => [r.feature, ...r.values.map(fmt)]),
    ],
  );
}
