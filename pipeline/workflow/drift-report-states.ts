/**
 * The states issue 7 adds to the pipeline graph, kept apart from definition.ts so the graph
 * there stays readable:
 *
 *   Validate -> Drift -> Retrain --$.drift.retrain--> Preprocess … Evaluate -> Report -> Gate
 *                               \--else--> ReportNoDrift -> NoDrift
 *   … NotifyFailure -> ReportFailure -> Failed
 *
 * Every execution ends with a report: before the Gate on a trained run, before NoDrift, and
 * after NotifyFailure on a failed one. The Report task gets the whole state plus the
 * execution's name (the report's key), through Parameters.
 */
import type { Catcher, ChoiceState, Retrier, TaskState } from "./asl.ts";

export const DRIFT_STATE = "Drift";
export const RETRAIN_STATE = "Retrain";
export const REPORT_STATE = "Report";
export const REPORT_NO_DRIFT_STATE = "ReportNoDrift";
export const NO_DRIFT_STATE = "NoDrift";
export const REPORT_FAILURE_STATE = "ReportFailure";

/**
 * Train only on an explicit boolean `true` from Drift; anything else ends the run as NoDrift
 * with its report. (A Choice on a missing path is an uncatchable States.Runtime error in the
 * cloud, hence the presence and type checks first.)
 */
export function retrainChoice(train: string, noDrift: string): ChoiceState {
  return {
    Type: "Choice",
    Choices: [
      {
        And: [
          { Variable: "$.drift.retrain", IsPresent: true },
          { Variable: "$.drift.retrain", IsBoolean: true },
          { Variable: "$.drift.retrain", BooleanEquals: true },
        ],
        Next: train,
      },
    ],
    Default: noDrift,
  };
}

export interface ReportTaskOptions {
  resource: string;
  timeoutSeconds: number;
  retry: Retrier[];
  /** Where a failure of the report goes; the failure path's report falls through to Failed. */
  catchTo: string;
  next: string;
  /** On the failure path the caught report error must not overwrite `$.error`. */
  errorPath: "$.error" | "$.reportError";
}

export function reportTask(options: ReportTaskOptions): TaskState {
  const catcher: Catcher = {
    ErrorEquals: ["States.ALL"],
    Next: options.catchTo,
    ResultPath: options.errorPath,
  };
  return {
    Type: "Task",
    Resource: options.resource,
    Parameters: { "run.$": "$", "execution.$": "$$.Execution.Name" },
    ResultPath: "$.report",
    TimeoutSeconds: options.timeoutSeconds,
    Retry: options.retry,
    Catch: [catcher],
    Next: options.next,
  };
}
