/**
 * The Report step as a Lambda handler. On a trained run it also emits the run's held-out
 * model metrics as EMF metrics (the dashboard's "model metrics per run" and the gate alarm).
 */
import { report } from "../pipeline/steps/report.ts";
import type { ReportEvent, ReportOutput, StepDeps } from "../pipeline/steps/types.ts";
import { emitModelMetrics } from "./io/emf.ts";
import { stepHandler } from "./step-handler.ts";

export const handler = stepHandler(
  "report",
  async (event: ReportEvent, deps: StepDeps): Promise<ReportOutput> => {
    const out = await report(event, deps);
    const select = event.run.select;
    if (select && !event.run.error) emitModelMetrics(event.run.run.pipeline, select.metrics);
    return out;
  },
);
