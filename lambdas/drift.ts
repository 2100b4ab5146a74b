/** The Drift step as a Lambda handler; the comparison's headline numbers also go out as EMF metrics. */
import { drift } from "../pipeline/steps/drift.ts";
import type { DriftOutput, RunState, StepDeps } from "../pipeline/steps/types.ts";
import { emitDriftMetrics } from "./io/emf.ts";
import { stepHandler } from "./step-handler.ts";

export const handler = stepHandler(
  "drift",
  async (state: RunState, deps: StepDeps): Promise<DriftOutput> => {
    const out = await drift(state, deps);
    emitDriftMetrics(state.run.pipeline, out);
    return out;
  },
);
