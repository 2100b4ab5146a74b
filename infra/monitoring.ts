/**
 * Monitoring: per pipeline, a CloudWatch dashboard and the alarms on what the model and the
 * data do (the execution and step-error alarms live with the state machine, infra/pipeline.ts).
 *
 * The model and drift numbers come from the steps as embedded metric format log lines
 * (lambdas/io/emf.ts): namespace `Orchard`, dimension `Pipeline`; the Report step emits the
 * held-out metrics of every trained model (metric names as in the spec, e.g. `f1_macro`) and
 * the Drift step `MaxPSI` and `DriftedFeatures`. Nothing calls PutMetricData, so no role needs
 * cloudwatch: permissions.
 *
 * Dashboard widgets: executions (started, succeeded, failed, timed out), execution time, the
 * duration of each state (its step function's duration), step errors per step, the model
 * metrics per run, and the maximum PSI against the threshold. Alarms (into the alert topic):
 * the gate metric beyond the gate's bound (`gate.minimum` or `gate.maximum`, when the spec
 * sets one), and the maximum PSI at or above the drift threshold.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { metricDirection } from "../pipeline/metrics/compute.ts";
import type { GateSpec, RetrainSpec, Task } from "../pipeline/spec/types.ts";
import { alarmName } from "./alarm-names.ts";
import { componentTags } from "./tags.ts";

/** Mirrors lambdas/io/emf.ts (infra does not import the Lambda code). */
export const METRIC_NAMESPACE = "Orchard";
export const MAX_PSI_METRIC = "MaxPSI";

/** The model metrics the dashboard charts per task, gate metric first. */
const DASHBOARD_METRICS: Record<Task, string[]> = {
  classification: ["accuracy", "f1_macro", "precision_macro", "recall_macro", "roc_auc"],
  regression: ["rmse", "mae", "r2"],
};

/**
 * CloudWatch dashboard names: at most 255 characters of A-Z, a-z, 0-9, "-" and "_"
 * (PutDashboard, docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutDashboard.html),
 * unique per account and region. The stack is in the name, so staging and prod in one account
 * do not overwrite each other's dashboard; a stack name's other characters (Pulumi allows ".")
 * become "_".
 */
export const MAX_DASHBOARD_NAME = 255;

export function dashboardName(stack: string, pipeline: string): string {
  const name = `orchard-${stack}-${pipeline}`.replace(/[^A-Za-z0-9_-]/g, "_");
  if (name.length > MAX_DASHBOARD_NAME) {
    throw new Error(
      `the dashboard name ${name} is longer than CloudWatch's ${MAX_DASHBOARD_NAME} characters; shorten the stack or pipeline name`,
    );
  }
  return name;
}

/** One run a day is the usual schedule: an hour's window catches it whatever its start. */
const MODEL_ALARM_PERIOD_SECONDS = 3600;

export interface MonitoringArgs {
  pipeline: string;
  region: string;
  task: Task;
  gate: Pick<GateSpec, "metric" | "minimum" | "maximum">;
  retrain: RetrainSpec;
  stateMachineArn: pulumi.Input<string>;
  /** The Lambda function name of each step that runs as a Lambda, in pipeline order. */
  stepFunctions: { step: string; functionName: pulumi.Input<string> }[];
  alertTopicArn: pulumi.Input<string>;
}

export class Monitoring extends pulumi.ComponentResource {
  readonly dashboard: aws.cloudwatch.Dashboard;
  readonly alarms: aws.cloudwatch.MetricAlarm[];

  constructor(name: string, args: MonitoringArgs, opts?: pulumi.ComponentResourceOptions) {
    super("orchard:ops:Monitoring", name, {}, opts);
    if (!(args.retrain.psiThreshold > 0)) {
      throw new Error(
        `Monitoring ${name}: retrain.psiThreshold must be > 0, got ${args.retrain.psiThreshold}`,
      );
    }
    this.dashboard = this.createDashboard(name, args);
    this.alarms = this.createAlarms(name, args);
    this.registerOutputs({ dashboardName: this.dashboard.dashboardName });
  }

  private createDashboard(name: string, args: MonitoringArgs): aws.cloudwatch.Dashboard {
    const names = args.stepFunctions.map((s) => s.functionName);
    const body = pulumi
      .all([pulumi.output(args.stateMachineArn), pulumi.all(names)])
      .apply(([arn, fns]) => JSON.stringify(dashboardBody(args, arn, fns)));
    return new aws.cloudwatch.Dashboard(
      `${name}-dashboard`,
      { dashboardName: dashboardName(pulumi.getStack(), args.pipeline), dashboardBody: body },
      { parent: this },
    );
  }

  private createAlarms(name: string, args: MonitoringArgs): aws.cloudwatch.MetricAlarm[] {
    const child = { parent: this };
    const tags = componentTags("monitoring", { pipeline: args.pipeline });
    const common = {
      namespace: METRIC_NAMESPACE,
      dimensions: { Pipeline: args.pipeline },
      period: MODEL_ALARM_PERIOD_SECONDS,
      evaluationPeriods: 1,
      // No run in the window is not a problem of the model: executions have their own alarms.
      treatMissingData: "notBreaching",
      alarmActions: [args.alertTopicArn],
      tags,
    };
    const alarms: aws.cloudwatch.MetricAlarm[] = [];
    const { metric } = args.gate;
    const bound = gateAlarmBound(args.gate);
    if (bound !== null) {
      const higher = metricDirection(metric) === "higher";
      alarms.push(
        new aws.cloudwatch.MetricAlarm(
          `${name}-gate`,
          {
            ...common,
            name: alarmName(pulumi.getStack(), args.pipeline, "gate"),
            alarmDescription: `Orchard pipeline ${args.pipeline}: a trained model's ${metric} is ${higher ? "below the gate minimum" : "above the gate maximum"} ${bound}`,
            metricName: metric,
            statistic: higher ? "Minimum" : "Maximum",
            comparisonOperator: higher ? "LessThanThreshold" : "GreaterThanThreshold",
            threshold: bound,
          },
          child,
        ),
      );
    }
    alarms.push(
      new aws.cloudwatch.MetricAlarm(
        `${name}-drift`,
        {
          ...common,
          name: alarmName(pulumi.getStack(), args.pipeline, "drift"),
          alarmDescription: `Orchard pipeline ${args.pipeline}: incoming data drifted (a feature's PSI reached ${args.retrain.psiThreshold})`,
          metricName: MAX_PSI_METRIC,
          statistic: "Maximum",
          comparisonOperator: "GreaterThanOrEqualToThreshold",
          threshold: args.retrain.psiThreshold,
        },
        child,
      ),
    );
    return alarms;
  }
}

/** The gate bound the gate alarm watches (minimum or maximum by direction); null: no alarm. */
export function gateAlarmBound(gate: MonitoringArgs["gate"]): number | null {
  return metricDirection(gate.metric) === "higher" ? gate.minimum : gate.maximum;
}

type Widget = Record<string, unknown>;

/** The dashboard JSON (pure, for tests): a 24-column grid, two widgets per row. */
export function dashboardBody(
  args: MonitoringArgs,
  stateMachineArn: string,
  functionNames: string[],
) {
  const region = args.region;
  const metricWidget = (title: string, metrics: unknown[][], extra: Widget = {}): Widget => ({
    type: "metric",
    properties: { title, region, metrics, view: "timeSeries", stacked: false, ...extra },
  });
  const sfn = (metric: string, stat: string) => [
    "AWS/States",
    metric,
    "StateMachineArn",
    stateMachineArn,
    { stat, label: metric },
  ];
  const perStep = (metric: string, stat: string) =>
    functionNames.map((fn, i) => [
      "AWS/Lambda",
      metric,
      "FunctionName",
      fn,
      { stat, label: args.stepFunctions[i].step },
    ]);
  const model = [
    args.gate.metric,
    ...DASHBOARD_METRICS[args.task].filter((m) => m !== args.gate.metric),
  ];
  const widgets: Widget[] = [
    metricWidget(
      "Executions",
      ["ExecutionsStarted", "ExecutionsSucceeded", "ExecutionsFailed", "ExecutionsTimedOut"].map(
        (m) => sfn(m, "Sum"),
      ),
      { period: 86400, view: "bar" },
    ),
    metricWidget(
      "Execution time (ms)",
      [sfn("ExecutionTime", "Average"), sfn("ExecutionTime", "Maximum")],
      { period: 86400 },
    ),
    metricWidget("Duration per state (step function, ms)", perStep("Duration", "Average"), {
      period: 86400,
    }),
    metricWidget("Step errors", perStep("Errors", "Sum"), { period: 86400, view: "bar" }),
    metricWidget(
      "Model metrics per run (held-out test rows)",
      model.map((m) => [
        METRIC_NAMESPACE,
        m,
        "Pipeline",
        args.pipeline,
        { stat: "Average", label: m },
      ]),
      {
        period: 3600,
        ...(metricBound(args) === null
          ? {}
          : {
              annotations: {
                horizontal: [{ label: `gate ${args.gate.metric}`, value: metricBound(args) }],
              },
            }),
      },
    ),
    metricWidget(
      "Maximum PSI per run",
      [
        [
          METRIC_NAMESPACE,
          MAX_PSI_METRIC,
          "Pipeline",
          args.pipeline,
          { stat: "Maximum", label: "max PSI" },
        ],
      ],
      {
        period: 3600,
        annotations: {
          horizontal: [{ label: "drift threshold", value: args.retrain.psiThreshold }],
        },
      },
    ),
  ];
  return {
    widgets: widgets.map((w, i) => ({
      ...w,
      x: (i % 2) * 12,
      y: Math.floor(i / 2) * 6,
      width: 12,
      height: 6,
    })),
  };
}

function metricBound(args: MonitoringArgs): number | null {
  return metricDirection(args.gate.metric) === "higher" ? args.gate.minimum : args.gate.maximum;
}
