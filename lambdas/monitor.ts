/**
 * The Monitor as a Lambda handler (docs/monitoring.md): the same `runMonitor` `orchard monitor`
 * runs, over the deployed storage, for the execution input `{ "run": { pipeline, specUri } }`
 * a schedule would send. It stores the report, writes the Monitor's EMF metrics (the
 * live gate metric and its bound, `MonitorAlarm`, `RetrainStarted`) and returns the
 * verdict and the retrain decision (with the cool-down already recorded when it starts one).
 * In the stack (infra/monitor.ts) the retrain is started by an EventBridge rule on the
 * live-gate alarm, which reads this run's `RetrainStarted` metric: 1 only when the decision
 * was to start (outside the cool-down).
 */

import { monitorEmfRecord } from "../pipeline/monitor/metrics.ts";
import { runMonitor } from "../pipeline/monitor/run-monitor.ts";
import { loadSpec } from "../pipeline/steps/context.ts";
import type { RunState } from "../pipeline/steps/types.ts";
import { artifactKeyLister } from "./io/list-keys.ts";
import { stepHandler } from "./step-handler.ts";

export interface MonitorOutput {
  alarm: boolean;
  verdict: string;
  reason: string;
  reportUri: string;
  retrain: { start: boolean; reason: string; coolDownLeftMinutes: number };
}

export const handler = stepHandler(
  "monitor",
  async (state: RunState, deps): Promise<MonitorOutput> => {
    const spec = await loadSpec(deps, state);
    const run = await runMonitor(
      spec,
      { ...deps, listKeys: artifactKeyLister(deps.artifacts) },
      { now: deps.now(), retrain: true },
    );
    if (process.env.ORCHARD_LOG_LEVEL?.trim().toLowerCase() !== "silent") {
      process.stderr.write(
        `${JSON.stringify(monitorEmfRecord(run.report, deps.now().getTime(), run.retrain))}\n`,
      );
    }
    return {
      alarm: run.report.alarm,
      verdict: run.report.gate.verdict,
      reason: run.report.gate.reason,
      reportUri: run.reportUri,
      retrain: run.retrain,
    };
  },
);
