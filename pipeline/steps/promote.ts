/**
 * Promote: moves the champion pointer to this run's version with a conditional write against
 * the champion Evaluate compared with. If another run promoted in between, this one loses
 * (promoted: false) rather than overwrite a champion it was never compared with.
 */
import { loadSpec, need } from "./context.ts";
import type { PromoteOutput, RunState, StepDeps } from "./types.ts";

export async function promote(state: RunState, deps: StepDeps): Promise<PromoteOutput> {
  const spec = await loadSpec(deps, state);
  const evaluation = need(state, "evaluate");
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
