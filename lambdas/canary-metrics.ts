/**
 * Where the canary check reads live traffic. In the cloud: CloudWatch — the predict handler's
 * embedded metrics (namespace Orchard/Serving, dimensions Pipeline + ModelVersion) summed over
 * the canary's window with GetMetricData, and the serving alarms named in
 * ORCHARD_CANARY_ALARMS read with DescribeAlarms. Locally no predict traffic reaches the
 * embedded stores during `orchard run`, so the local source reports none (the check then
 * rolls back as inconclusive unless the spec sets `minRequests: 0`).
 */
import {
  type CloudWatchClient,
  DescribeAlarmsCommand,
  GetMetricDataCommand,
  type MetricDataQuery,
} from "@aws-sdk/client-cloudwatch";
import { METRIC_NAMESPACE } from "../pipeline/serving/metrics.ts";
import type { CanaryMetrics, VersionTraffic } from "../pipeline/steps/canary.ts";
import { withStorageErrors } from "./io/errors.ts";

/** The local runner's source: no alarms, no traffic. */
export const NO_TRAFFIC: CanaryMetrics = {
  alarmsFiring: async () => [],
  traffic: async (_p, _v, window) =>
    window.classes
      ? { requests: 0, serverErrors: 0, classCounts: {} }
      : { requests: 0, serverErrors: 0 },
};

/** `Predicted_<label>` as EMF names it, and a GetMetricData id for it (ids: [a-z][a-zA-Z0-9_]*). */
function queries(
  pipeline: string,
  version: string,
  classes: string[] | null,
  period: number,
): MetricDataQuery[] {
  const stat = (id: string, metric: string, stat: string): MetricDataQuery => ({
    Id: id,
    MetricStat: {
      Metric: {
        Namespace: METRIC_NAMESPACE,
        MetricName: metric,
        Dimensions: [
          { Name: "Pipeline", Value: pipeline },
          { Name: "ModelVersion", Value: version },
        ],
      },
      Period: period,
      Stat: stat,
    },
    ReturnData: true,
  });
  const out = [stat("requests", "Latency", "SampleCount"), stat("errors", "ServerErrors", "Sum")];
  if (!classes) return [...out, stat("mean", "Prediction", "Average")];
  return [...out, ...classes.map((label, i) => stat(`class${i}`, `Predicted_${label}`, "Sum"))];
}

export function cloudWatchCanaryMetrics(
  client: CloudWatchClient,
  alarmNames: string[],
): CanaryMetrics {
  return {
    async alarmsFiring() {
      if (alarmNames.length === 0) return [];
      const out = await withStorageErrors(
        { operation: "CloudWatch DescribeAlarms", resource: alarmNames.join(", ") },
        () =>
          client.send(new DescribeAlarmsCommand({ AlarmNames: alarmNames, StateValue: "ALARM" })),
      );
      return [...(out.MetricAlarms ?? []), ...(out.CompositeAlarms ?? [])]
        .map((a) => a.AlarmName ?? "")
        .filter(Boolean);
    },
    async traffic(pipeline, version, window) {
      const seconds = Math.max(
        60,
        Math.ceil((window.until.getTime() - window.since.getTime()) / 1000),
      );
      // One datapoint for the whole window: a period of whole minutes covering it.
      const period = Math.ceil(seconds / 60) * 60;
      const values = new Map<string, number[]>();
      let token: string | undefined;
      do {
        const page = await withStorageErrors(
          { operation: "CloudWatch GetMetricData", resource: METRIC_NAMESPACE },
          () =>
            client.send(
              new GetMetricDataCommand({
                MetricDataQueries: queries(pipeline, version, window.classes, period),
                StartTime: window.since,
                EndTime: window.until,
                NextToken: token,
              }),
            ),
        );
        for (const r of page.MetricDataResults ?? []) {
          values.set(r.Id ?? "", [...(values.get(r.Id ?? "") ?? []), ...(r.Values ?? [])]);
        }
        token = page.NextToken;
      } while (token);
      const sum = (id: string) => (values.get(id) ?? []).reduce((s, v) => s + v, 0);
      const traffic: VersionTraffic = { requests: sum("requests"), serverErrors: sum("errors") };
      if (window.classes) {
        traffic.classCounts = Object.fromEntries(
          window.classes.map((label, i) => [label, sum(`class${i}`)]),
        );
      } else {
        const means = values.get("mean") ?? [];
        if (means.length > 0)
          traffic.meanPrediction = means.reduce((s, v) => s + v, 0) / means.length;
      }
      return traffic;
    },
  };
}
