/**
 * The grown stack (grown-stack.ts: ten pipelines, every step that may run as a container
 * running as one, canary, batch scoring and on-drift retraining) synthesizes with zero
 * mandatory policy findings, AWS's limits included, and its dashboard and alarm names collide
 * with neither staging's nor prod's in a shared account.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { collidingNames } from "../../infra/policy/limits.ts";
import { allRules, type RuleResource } from "../../infra/policy/rules.ts";
import { evaluatePolicies } from "../../infra/synth/policy-findings.ts";
import { CONTAINER_STEPS } from "../../lambdas/bundles.ts";
import { GROWN_PIPELINES, runGrownStack } from "./grown-stack.ts";
import { type CapturedResource, runStack, type StackRun } from "./harness.ts";
import { mandatoryFindings } from "./mandatory-findings.ts";

const asRuleResources = (run: StackRun): RuleResource[] =>
  run.resources
    .filter((r) => r.custom)
    .map((r: CapturedResource) => ({ type: r.type, name: r.name, props: r.inputs }));

describe("the grown stack", () => {
  let grown: StackRun;
  let others: Record<string, StackRun>;
  beforeAll(async () => {
    grown = await runGrownStack();
    others = { staging: await runStack("staging"), prod: await runStack("prod") };
  }, 180_000);

  it("is grown: ten pipelines, container steps, canary, batch scoring and on-drift retraining", () => {
    const machines = grown.ofType("aws:sfn/stateMachine:StateMachine");
    expect(machines).toHaveLength(GROWN_PIPELINES.length);
    expect(grown.ofType("aws:ecs/taskDefinition:TaskDefinition")).toHaveLength(
      GROWN_PIPELINES.length * CONTAINER_STEPS.length,
    );
    for (const machine of machines) {
      const definition = String(machine.inputs.definition);
      expect(definition).toContain("arn:aws:states:::ecs:runTask.waitForTaskToken");
      expect(definition).toContain('"CanaryStart"');
      expect(definition).toContain('"BatchScore"');
    }
    const specs = grown
      .ofType("aws:s3/bucketObject:BucketObject")
      .filter((o) => String(o.inputs.key).includes("/specs/"));
    expect(specs).toHaveLength(GROWN_PIPELINES.length);
    for (const spec of specs) expect(String(spec.inputs.content)).toMatch(/^retrain: on-drift$/m);
  });

  it("has no mandatory policy violation", () => {
    expect(mandatoryFindings(evaluatePolicies(allRules, grown.resources))).toEqual([]);
  });

  it("has no advisory finding", () => {
    const advisory = evaluatePolicies(allRules, grown.resources).filter(
      (f) => f.level === "advisory",
    );
    expect(advisory).toEqual([]);
  });

  it("shares no dashboard or alarm name with staging or prod in one account", () => {
    for (const [stack, other] of Object.entries(others)) {
      const collisions = collidingNames(asRuleResources(grown), asRuleResources(other));
      expect(collisions, `grown and ${stack}`).toEqual([]);
    }
  });
});
