/**
 * The Monitor state machine of one pipeline (docs/monitoring.md): one Task invoking the Monitor
 * Lambda with the execution input (`{ "run": { pipeline, specUri } }`), retried like a pipeline
 * step (the same transient and Lambda service policies, `definition.ts`). The Lambda writes
 * the report, the cool-down record and the Monitor's metrics; the retrain itself is started by
 * the EventBridge rule on the live-gate alarm (infra/monitor.ts), not by this state machine,
 * so a retrain has one starter whatever starts the Monitor. A failure ends the execution
 * failed, which the Monitor's ExecutionsFailed alarm pages on; a rerun only rewrites the
 * window's report.
 */
import type { StateMachineDefinition } from "./asl.ts";
import { LAMBDA_SERVICE_RETRY, retriers, TRANSIENT_RETRY } from "./definition.ts";

export const MONITOR_STATE = "Monitor";

/** A week of captures read and joined: Lambda's 15 minutes is its limit. */
export const MONITOR_TIMEOUT_SECONDS = 900;

export function monitorDefinition(pipeline: string, functionArn: string): StateMachineDefinition {
  return {
    Comment: `Orchard: monitor pipeline ${pipeline} (live metrics, drift, report, retrain alarm)`,
    StartAt: MONITOR_STATE,
    States: {
      [MONITOR_STATE]: {
        Type: "Task",
        Resource: functionArn,
        TimeoutSeconds: MONITOR_TIMEOUT_SECONDS,
        Retry: retriers(TRANSIENT_RETRY, LAMBDA_SERVICE_RETRY),
        End: true,
      },
    },
  };
}
