/** A stack with two pipelines: shared storage, and each pipeline's functions, roles and schedule its own. */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { DEFAULTS } from "../../infra/config.ts";
import { STEP_NAMES } from "../../pipeline/workflow/steps.ts";
import { runStack, type StackRun } from "./harness.ts";

const FN = "aws:lambda/function:Function";

describe("a stack with two pipelines", () => {
  let run: StackRun;
  beforeAll(async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "orchard-churn-"));
    const churn = path.join(dir, "churn.yaml");
    writeFileSync(
      churn,
      "name: churn\nsource:\n  uri: s3://landing-bucket/churn/latest.csv\ntarget: churned\ntask: classification\n",
    );
    run = await runStack("staging", {
      config: {
        "orchard:pipelines": JSON.stringify([
          { spec: "examples/penguins/pipeline.yaml", uploadSource: true },
          { spec: churn, schedule: "rate(12 hours)", timeZone: "Asia/Tokyo" },
        ]),
      },
    });
  });

  it("shares the buckets, tables, key and topic", () => {
    expect(run.ofType("aws:s3/bucket:Bucket")).toHaveLength(4);
    expect(run.ofType("aws:dynamodb/table:Table")).toHaveLength(2);
    expect(run.ofType("aws:kms/key:Key")).toHaveLength(1);
    expect(run.ofType("aws:sns/topic:Topic")).toHaveLength(1);
  });

  it.each(["penguins", "churn"])(
    "lets the %s state machine invoke only its own functions",
    (pipeline) => {
      const sm = run.one("aws:sfn/stateMachine:StateMachine", `orchard-${pipeline}-sfn`);
      const own = STEP_NAMES.map((s) => run.one(FN, `orchard-${pipeline}-${s}-fn`).state.arn);
      const doc = JSON.parse(
        run.one("aws:iam/rolePolicy:RolePolicy", `orchard-${pipeline}-sfn-policy`).inputs.policy,
      );
      const invoked = doc.Statement
        // biome-ignore lint/suspicious/noExplicitAny: policy JSON
        .filter((s: any) => s.Action.includes("lambda:InvokeFunction"))
        // biome-ignore lint/suspicious/noExplicitAny: policy JSON
        .flatMap((s: any) => s.Resource.map((arn: string) => arn.replace(/:\*$/, "")));
      expect([...new Set(invoked)].sort()).toEqual([...own].sort());
      const resources = JSON.stringify(JSON.parse(sm.inputs.definition));
      for (const arn of own) expect(resources).toContain(arn);
    },
  );

  it("schedules each pipeline with its own expression (or the default), time zone (or the stack's) and source", () => {
    const inputs = run
      .ofType("aws:scheduler/schedule:Schedule")
      .map((s) => [
        s.inputs.scheduleExpression,
        s.inputs.scheduleExpressionTimezone,
        JSON.parse(s.inputs.target.input).run,
      ]);
    expect(inputs).toEqual([
      [DEFAULTS.schedule, "Europe/Berlin", expect.objectContaining({ pipeline: "penguins" })],
      [
        "rate(12 hours)",
        "Asia/Tokyo",
        expect.objectContaining({
          pipeline: "churn",
          sourceUri: "s3://landing-bucket/churn/latest.csv",
        }),
      ],
    ]);
  });

  it("gives each pipeline its own step roles and serving URL in the outputs", () => {
    const { penguins, churn } = run.outputs.pipelines;
    expect(penguins.roleArns.train).not.toBe(churn.roleArns.train);
    expect(penguins.predictUrl).not.toBe(churn.predictUrl);
    expect(
      run.ofType("aws:iam/role:Role").filter((r) => r.inputs.tags?.pipeline === "churn"),
    ).toHaveLength(
      15 + 2, // the step roles (14 steps and predict), the state machine and schedule roles
    );
  });
});
