/**
 * Promote: moves the champion pointer to this run's version with a conditional write against
 * the champion Evaluate compared with. If another run promoted in between, this one loses
 * (promoted: false) rather than overwrite a champion it was never compared with. Under
 * `deploy.strategy` ab or bandit, a version that joined an experiment is not promoted here.
 */
import type { CanaryRunState } from "./canary.ts";
import { loadSpec, need } from "./context.ts";
import type { PromoteOutput, RunState, StepDeps } from "./types.ts";

export async function promote(state: RunState, deps: StepDeps): Promise<PromoteOutput> {
  const spec = await loadSpec(deps, state);
  const evaluation = need(state, "evaluate");
  // An A/B test or a bandit started instead (CanaryStart): the Monitor promotes, or nobody.
  const experiment = (state as CanaryRunState).canary;
  if (experiment?.experiment) {
    return {
      promoted: false,
      champion: evaluation.champion?.version ?? null,
      reason: experiment.reason ?? `${evaluation.version} serves as an arm of an experiment`,
    };
  }
  const result = await deps.registry.promote(spec.name, evaluation.version, {
    expectedChampion: evaluation.champion?.version ?? null,
    by: `orchard:${spec.name}`,
    now: deps.now(),
  });
  return {
    promoted: result.promoted,
    champion: result.champion,
    ...(result.reason ? { reason: result.reason } : {}),
  };
}
