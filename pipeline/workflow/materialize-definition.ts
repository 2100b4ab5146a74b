/**
 * The state machine of one feature view's materialization: one Task invoking the materialize
 * Lambda with the execution input (`{ view, viewUri, sourceUri }`), retried like a pipeline
 * step (the same transient and Lambda service policies, `definition.ts`). A failure ends the
 * execution failed, which the view's ExecutionsFailed alarm pages on; a rerun is safe, since
 * offline files are content-addressed and the watermark moves only after both stores are
 * written.
 */
import type { StateMachineDefinition } from "./asl.ts";
import { LAMBDA_SERVICE_RETRY, retriers, TRANSIENT_RETRY } from "./definition.ts";

export const MATERIALIZE_STATE = "Materialize";

/** A materialization reads a whole source: Lambda's 15 minutes is its limit. */
export const MATERIALIZE_TIMEOUT_SECONDS = 900;

export function materializeDefinition(view: string, functionArn: string): StateMachineDefinition {
  return {
    Comment: `Orchard: materialize feature view ${view} (offline Parquet, online items, watermark)`,
    StartAt: MATERIALIZE_STATE,
    States: {
      [MATERIALIZE_STATE]: {
        Type: "Task",
        Resource: functionArn,
        TimeoutSeconds: MATERIALIZE_TIMEOUT_SECONDS,
        Retry: retriers(TRANSIENT_RETRY, LAMBDA_SERVICE_RETRY),
        End: true,
      },
    },
  };
}
