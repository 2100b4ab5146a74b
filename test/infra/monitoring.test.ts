import { beforeAll, describe, expect, it, vi } from "vitest";
import {
  dashboardBody,
  dashboardName,
  MAX_PSI_METRIC,
  METRIC_NAMESPACE,
} from "../../infra/monitoring.ts";
import { emitDriftMetrics, emitModelMetrics } from "../../lambdas/io/emf.ts";
import { runStack, type StackRun } from "./harness.ts";

const DASHBOARD = "aws:cloudwatch/dashboard:Dashboard";
const ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm";
const TOPIC = "aws:sns/topic:Topic";

type Widget = { properties: { title: string; metrics: unknown[][]; annotations?: unknown } };

describe.each(["staging", "prod"] as const)("monitoring in the %s stack", (stack) => {
  let run: StackRun;
  let widgets: Widget[];
  beforeAll(async () => {
    run = await runStack(stack);
    const dashboard = run.one(DASHBOARD, "-penguins-monitoring-dashboard");
    widgets = JSON.parse(dashboard.inputs.dashboardBody as string).widgets;
  });

  it("has one dashboard per pipeline, named after the stack and the pipeline", () => {
    // Without the stack, staging and prod in one account would overwrite each other's.
    expect(run.ofType(DASHBOARD).map((d) => d.inputs.dashboardName)).toEqual([
      `orchard-${stack}-penguins`,
    ]);
  });

  it.each([
    ["Executions", "ExecutionsFailed"],
    ["Execution time", "ExecutionTime"],
    ["Duration per state", "Duration"],
    ["Step errors", "Errors"],
    ["Model metrics per run", "f1_macro"],
    ["Maximum PSI", MAX_PSI_METRIC],
  ])("charts %s (%s)", (title, metric) => {
    const widget = widgets.find((w) => w.properties.title.startsWith(title));
    expect(widget, title).toBeDefined();
    expect(widget!.properties.metrics.some((m) => m[1] === metric)).toBe(true);
  });

  it("charts the duration and errors of every Lambda step, by step name", () => {
    const steps = widgets
      .find((w) => w.properties.title.startsWith("Step errors"))!
      .properties.metrics.map((m) => (m[4] as { label: string }).label);
    expect(steps).toEqual(
      expect.arrayContaining(["ingest", "validate", "drift", "train", "report", "promote"]),
    );
  });

  it("alarms into the alert topic when the gate metric falls below the gate minimum", () => {
    const alarm = run.one(ALARM, "-penguins-monitoring-gate");
    expect(alarm.inputs).toMatchObject({
      namespace: METRIC_NAMESPACE,
      metricName: "f1_macro",
      dimensions: { Pipeline: "penguins" },
      comparisonOperator: "LessThanThreshold",
      threshold: 0.9,
      statistic: "Minimum",
      alarmActions: [run.ofType(TOPIC)[0].state.arn],
    });
  });

  it("alarms when the maximum PSI reaches the drift threshold", () => {
    expect(run.one(ALARM, "-penguins-monitoring-drift").inputs).toMatchObject({
      metricName: MAX_PSI_METRIC,
      comparisonOperator: "GreaterThanOrEqualToThreshold",
      threshold: 0.2,
      statistic: "Maximum",
      treatMissingData: "notBreaching",
    });
  });

  it("alarms on exactly the namespace and dimensions the Report and Drift steps' EMF lines carry", () => {
    // What the handlers write (lambdas/report.ts, lambdas/drift.ts); a dimension set that
    // differs by one name (e.g. Powertools' default `service`) is another metric to CloudWatch.
    vi.stubEnv("ORCHARD_LOG_LEVEL", "info");
    const lines: string[] = [];
    try {
      emitModelMetrics("penguins", { f1_macro: 0.95, accuracy: 0.96 }, (l) => lines.push(l));
      emitDriftMetrics(
        "penguins",
        {
          reportUri: "s3://a/d.json",
          baselineUri: "s3://a/b.json",
          champion: "v1",
          maxPsi: 0.3,
          threshold: 0.2,
          drifted: true,
          driftedFeatures: ["x"],
          retrain: true,
          reason: "drift",
        },
        (l) => lines.push(l),
      );
    } finally {
      vi.unstubAllEnvs();
    }
    const emitted = lines.map((l) => JSON.parse(l));
    const alarms = run.ofType(ALARM).filter((a) => a.inputs.namespace === METRIC_NAMESPACE);
    expect(alarms.map((a) => a.inputs.metricName).sort()).toEqual([MAX_PSI_METRIC, "f1_macro"]);
    for (const alarm of alarms) {
      const { metricName, dimensions } = alarm.inputs as {
        metricName: string;
        dimensions: Record<string, string>;
      };
      const line = emitted.find((e) => metricName in e);
      expect(line, metricName).toBeDefined();
      const [declared] = line._aws.CloudWatchMetrics;
      expect(declared.Namespace).toBe(alarm.inputs.namespace);
      expect(declared.Metrics.map((m: { Name: string }) => m.Name)).toContain(metricName);
      expect(declared.Dimensions).toEqual([Object.keys(dimensions)]);
      for (const [name, value] of Object.entries(dimensions)) expect(line[name]).toBe(value);
    }
  });
});

describe("dashboardName", () => {
  it("keeps to CloudWatch's characters and length", () => {
    expect(dashboardName("prod.eu", "rent")).toBe("orchard-prod_eu-rent");
    expect(() => dashboardName("s".repeat(250), "rent")).toThrow(/255 characters/);
  });
});

describe("dashboardBody", () => {
  const args = {
    pipeline: "rent",
    region: "eu-west-1",
    task: "regression" as const,
    gate: { metric: "rmse" as const, minimum: null, maximum: 250 },
    retrain: { when: "on-drift" as const, psiThreshold: 0.3 },
    stateMachineArn: "arn:sm",
    stepFunctions: [{ step: "train", functionName: "fn-train" }],
    alertTopicArn: "arn:topic",
  };
  const body = dashboardBody(args, "arn:sm", ["fn-train"]);

  it("lays widgets out two per row on the 24-column grid", () => {
    expect(body.widgets.map((w) => [w.x, w.y])).toEqual([
      [0, 0],
      [12, 0],
      [0, 6],
      [12, 6],
      [0, 12],
      [12, 12],
    ]);
  });

  it("marks a lower-is-better gate's maximum and the drift threshold", () => {
    const text = JSON.stringify(body);
    expect(text).toContain('"label":"gate rmse","value":250');
    expect(text).toContain('"label":"drift threshold","value":0.3');
  });
});
