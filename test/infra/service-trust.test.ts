/**
 * The roles Step Functions and EventBridge Scheduler assume carry the confused-deputy guard:
 * the service may assume them only on behalf of a state machine or schedule group of the
 * stack's own account and region (`aws:SourceAccount`, `aws:SourceArn`).
 */
import { beforeAll, describe, expect, it } from "vitest";
import { schedulerTrustPolicy, statesTrustPolicy } from "../../infra/access/trust.ts";
import { ACCOUNT_ID, runStack, type StackRun } from "./harness.ts";

const ROLE = "aws:iam/role:Role";

function arnLike(pattern: string, arn: string): boolean {
  const re = pattern
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replaceAll("*", ".*")
    .replaceAll("?", ".");
  return new RegExp(`^${re}$`).test(arn);
}

describe.each(["staging", "prod"] as const)("the %s stack's service roles", (stack) => {
  let run: StackRun;
  beforeAll(async () => {
    run = await runStack(stack);
  });

  it("let Step Functions assume the state machine role only for this account's state machines", () => {
    const [statement] = JSON.parse(
      run.one(ROLE, "orchard-penguins-sfn-role").inputs.assumeRolePolicy,
    ).Statement;
    expect(statement.Principal).toEqual({ Service: "states.amazonaws.com" });
    expect(statement.Condition.StringEquals).toEqual({ "aws:SourceAccount": ACCOUNT_ID });
    const stateMachine = run.ofType("aws:sfn/stateMachine:StateMachine")[0].state.arn as string;
    expect(arnLike(statement.Condition.ArnLike["aws:SourceArn"], stateMachine)).toBe(true);
    expect(
      arnLike(
        statement.Condition.ArnLike["aws:SourceArn"],
        stateMachine.replace(ACCOUNT_ID, "210987654321"),
      ),
    ).toBe(false);
  });

  it("let Scheduler assume the schedule role only for this account's default schedule group", () => {
    const [statement] = JSON.parse(
      run.one(ROLE, "orchard-penguins-schedule-role").inputs.assumeRolePolicy,
    ).Statement;
    expect(statement.Principal).toEqual({ Service: "scheduler.amazonaws.com" });
    expect(statement.Condition).toEqual({
      StringEquals: { "aws:SourceAccount": ACCOUNT_ID },
      ArnLike: {
        "aws:SourceArn": `arn:aws:scheduler:${run.region}:${ACCOUNT_ID}:schedule-group/default`,
      },
    });
    // The schedule is in that group (no groupName set: `default`).
    expect(run.ofType("aws:scheduler/schedule:Schedule")[0].inputs.groupName).toBeUndefined();
  });
});

describe("service trust policies", () => {
  it.each([statesTrustPolicy, schedulerTrustPolicy])("%o refuses a malformed account", (build) => {
    expect(() => build("12345", "eu-west-1")).toThrow(/12-digit/);
  });
});
