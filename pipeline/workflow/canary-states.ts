/**
 * The canary states between the Gate and Promote (docs/serving.md):
 *
 *   Gate --promote--> CanaryStart -> CanaryChoice --$.canary.enabled--> CanaryWait
 *                                               \--else--> Promote
 *   CanaryWait (SecondsPath $.canary.waitSeconds) -> CanaryCheck -> CanaryDecision
 *   CanaryDecision --$.canaryCheck.promote--> Promote -> Promoted
 *                 \--else--> RolledBack (Succeed: the champion stays, the candidate stays registered)
 *
 * CanaryStart and CanaryCheck are the same `canary` Lambda; it tells them apart by whether the
 * state already holds `canary`. Both Choices act only on an explicit boolean `true` (a
 * Choice on a missing path is an uncatchable States.Runtime error in the cloud), so anything
 * malformed promotes nothing: without a canary it falls to Promote, which still makes its own
 * conditional write; after a started canary it rolls back.
 */
import type { ChoiceState, TaskState, WaitState } from "./asl.ts";

export const CANARY_START_STATE = "CanaryStart";
export const CANARY_CHOICE_STATE = "CanaryChoice";
export const CANARY_WAIT_STATE = "CanaryWait";
export const CANARY_CHECK_STATE = "CanaryCheck";
export const CANARY_DECISION_STATE = "CanaryDecision";
export const ROLLED_BACK_STATE = "RolledBack";

function isTrue(path: `$.${string}`) {
  return {
    And: [
      { Variable: path, IsPresent: true },
      { Variable: path, IsBoolean: true },
      { Variable: path, BooleanEquals: true },
    ],
  };
}

/**
 * The canary states. `task(resultPath, next)` builds a Task of the canary Lambda with the
 * definition's own timeout, retries and catch, so these states fail like every other step.
 */
export function canaryStates(
  task: (resultPath: "$.canary" | "$.canaryCheck", next: string) => TaskState,
  promote: string,
): Record<string, TaskState | ChoiceState | WaitState | { Type: "Succeed" }> {
  return {
    [CANARY_START_STATE]: task("$.canary", CANARY_CHOICE_STATE),
    [CANARY_CHOICE_STATE]: {
      Type: "Choice",
      Choices: [{ ...isTrue("$.canary.enabled"), Next: CANARY_WAIT_STATE }],
      Default: promote,
    },
    [CANARY_WAIT_STATE]: {
      Type: "Wait",
      SecondsPath: "$.canary.waitSeconds",
      Next: CANARY_CHECK_STATE,
    },
    [CANARY_CHECK_STATE]: task("$.canaryCheck", CANARY_DECISION_STATE),
    [CANARY_DECISION_STATE]: {
      Type: "Choice",
      Choices: [{ ...isTrue("$.canaryCheck.promote"), Next: promote }],
      Default: ROLLED_BACK_STATE,
    },
    [ROLLED_BACK_STATE]: { Type: "Succeed" },
  };
}
