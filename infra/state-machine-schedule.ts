/**
 * The EventBridge Scheduler schedule that starts a state machine, with the role it assumes to
 * do so (trusted by the scheduler of this account and region only, allowed StartExecution on
 * that one state machine). Pipelines, feature views and Monitors all start this way.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { schedulerPolicy } from "./access/policies.ts";
import { schedulerTrustPolicy } from "./access/trust.ts";

/**
 * Scheduler retries a failed StartExecution (throttling, a brief Step Functions outage): 3
 * attempts within an hour. A nightly run that cannot start for an hour is better skipped and
 * alarmed on than started late into the next day's window.
 */
export const SCHEDULE_RETRY = { maximumRetryAttempts: 3, maximumEventAgeInSeconds: 3600 };

export interface StateMachineScheduleArgs {
  stateMachineArn: pulumi.Output<string>;
  accountId: pulumi.Input<string>;
  region: string;
  description: string;
  expression: string;
  timeZone: string;
  /** Omitted: the schedule's default (enabled). */
  enabled?: boolean;
  /** The execution input, as JSON text. */
  input: pulumi.Input<string>;
  /** The role's tags. */
  tags: Record<string, string>;
}

/** `<name>-schedule-role`, `<name>-schedule-policy` and `<name>-schedule`, children of `parent`. */
export function scheduleStateMachine(
  name: string,
  args: StateMachineScheduleArgs,
  parent: pulumi.Resource,
): aws.scheduler.Schedule {
  const role = new aws.iam.Role(
    `${name}-schedule-role`,
    {
      assumeRolePolicy: pulumi
        .output(args.accountId)
        .apply((account) => JSON.stringify(schedulerTrustPolicy(account, args.region))),
      tags: args.tags,
    },
    { parent },
  );
  const policy = new aws.iam.RolePolicy(
    `${name}-schedule-policy`,
    {
      role: role.id,
      policy: args.stateMachineArn.apply((arn) => JSON.stringify(schedulerPolicy(arn))),
    },
    { parent },
  );
  return new aws.scheduler.Schedule(
    `${name}-schedule`,
    {
      description: args.description,
      scheduleExpression: args.expression,
      scheduleExpressionTimezone: args.timeZone,
      ...(args.enabled === undefined ? {} : { state: args.enabled ? "ENABLED" : "DISABLED" }),
      flexibleTimeWindow: { mode: "OFF" },
      target: {
        arn: args.stateMachineArn,
        roleArn: role.arn,
        input: args.input,
        retryPolicy: SCHEDULE_RETRY,
      },
    },
    { parent, dependsOn: [policy] },
  );
}
