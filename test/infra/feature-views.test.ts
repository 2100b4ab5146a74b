/**
 * Feature views in a deployed stack: the stocks example's two pipelines share the
 * stock_prices view, which gets one materialization (Lambda, role, state machine, schedule,
 * alarm); its role reaches only that view, the consumers' Ingest and predict roles read it,
 * a pipeline without views reads none, and a changed view changes the schedule's input (what
 * `orchard diff` shows).
 */
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { PolicyStatement } from "../../infra/access/types.ts";
import { allRules, type RuleResource } from "../../infra/policy/rules.ts";
import { materializeDefinition } from "../../pipeline/workflow/materialize-definition.ts";
import { type CapturedResource, runStack, type StackRun } from "./harness.ts";
import { mandatoryFindings } from "./mandatory-findings.ts";

const T = {
  fn: "aws:lambda/function:Function",
  sfn: "aws:sfn/stateMachine:StateMachine",
  schedule: "aws:scheduler/schedule:Schedule",
  alarm: "aws:cloudwatch/metricAlarm:MetricAlarm",
  rolePolicy: "aws:iam/rolePolicy:RolePolicy",
  object: "aws:s3/bucketObjectv2:BucketObjectv2",
} as const;

function stocksCopy(): string {
  const dir = mkdtempSync(path.join(tmpdir(), "orchard-views-"));
  cpSync(new URL("../../examples/stocks/", import.meta.url), dir, { recursive: true });
  return dir;
}

async function stack(dir: string): Promise<StackRun> {
  return runStack("staging", {
    config: {
      "orchard:pipelines": JSON.stringify([
        { spec: path.join(dir, "direction.yaml"), uploadSource: true },
        { spec: path.join(dir, "next-return.yaml"), uploadSource: true },
        { spec: "examples/penguins/pipeline.yaml", uploadSource: true },
      ]),
    },
  });
}

const statements = (run: StackRun, suffix: string): PolicyStatement[] =>
  JSON.parse(run.one(T.rolePolicy, suffix).inputs.policy).Statement;
const resourcesOf = (s: PolicyStatement[]) => s.flatMap((x) => x.Resource);
const conditionsOf = (s: PolicyStatement[]) => JSON.stringify(s.map((x) => x.Condition ?? {}));

describe("feature views in a stack", () => {
  let run: StackRun;
  let dir: string;
  beforeAll(async () => {
    dir = stocksCopy();
    run = await stack(dir);
  });

  it("materializes a shared view once: a Lambda, a state machine, a schedule and an alarm", () => {
    const views = run.ofType(T.sfn).filter((r) => r.name.includes("-view-"));
    expect(views.map((r) => r.name)).toEqual(["orchard-view-stock-prices-sfn"]);
    const fn = run.one(T.fn, "orchard-view-stock-prices-fn");
    expect(fn.inputs.timeout).toBe(900);
    const definition = JSON.parse(
      run.one(T.sfn, "orchard-view-stock-prices-sfn").inputs.definition,
    );
    expect(definition.States.Materialize.Retry).toEqual(
      (materializeDefinition("stock_prices", "x").States.Materialize as { Retry: unknown }).Retry,
    );
    const schedule = run.one(T.schedule, "orchard-view-stock-prices-schedule");
    expect(schedule.inputs.scheduleExpression).toBe("rate(1 hour)");
    const input = JSON.parse(schedule.inputs.target.input);
    expect(input.view).toBe("stock_prices");
    expect(input.viewUri).toMatch(/\/views\/stock_prices\/definitions\/[0-9a-f]{64}\.yaml$/);
    expect(input.sourceUri).toMatch(/\/views\/stock_prices\/sources\/[0-9a-f]{64}\.csv$/);
    const alarm = run.one(T.alarm, "orchard-view-stock-prices-failed");
    expect(alarm.inputs.metricName).toBe("ExecutionsFailed");
    expect(alarm.inputs.name).toBe("orchard-staging-view-stock_prices-failed");
  });

  it("gives the materialization role the view's prefix and items only", () => {
    const s = statements(run, "orchard-view-stock-prices-policy");
    const data = resourcesOf(s).filter((r) => r.includes(":s3:::") || r.includes(":table/"));
    for (const r of data) expect(r).toMatch(/(views\/stock_prices\/\*|:table\/|-features[^/]*$)/);
    expect(conditionsOf(s)).toContain("view:stock_prices#*");
    expect(JSON.stringify(s)).not.toMatch(/registry|s3:DeleteObject"\]/);
  });

  it("lets the consumers read the view and a pipeline without views read none", () => {
    for (const p of ["stock-direction", "stock-next-return"]) {
      expect(resourcesOf(statements(run, `-access-${p}-ingest-policy`)).join(" ")).toContain(
        "/views/stock_prices/*",
      );
      expect(conditionsOf(statements(run, `-access-${p}-predict-policy`))).toContain(
        "view:stock_prices#*",
      );
    }
    expect(JSON.stringify(statements(run, "-access-penguins-ingest-policy"))).not.toContain(
      "views/",
    );
    expect(JSON.stringify(statements(run, "-access-penguins-predict-policy"))).not.toContain(
      "view:",
    );
  });

  it("has no mandatory policy violation (the rules as CrossGuard runs them)", () => {
    const as = (r: CapturedResource, props: "inputs" | "state"): RuleResource => ({
      type: r.type,
      name: r.name,
      id: typeof r.state.id === "string" ? r.state.id : undefined,
      props: r[props],
      opts: { protect: r.protect },
    });
    const custom = run.resources.filter((r) => r.custom);
    const findings: { rule: string; level: string; message: string }[] = [];
    for (const rule of allRules) {
      const report = (message: string) =>
        findings.push({ rule: rule.name, level: rule.enforcementLevel, message });
      if ("validateResource" in rule) {
        for (const r of custom) rule.validateResource(as(r, "inputs"), report);
      } else {
        rule.validateStack({ resources: custom.map((r) => as(r, "state")) }, report);
      }
    }
    expect(mandatoryFindings(findings)).toEqual([]);
  });

  it("changes the schedule's input when the view changes (what orchard diff shows)", async () => {
    const before = run.one(T.schedule, "orchard-view-stock-prices-schedule").inputs.target.input;
    const file = path.join(dir, "features", "stock_prices.yaml");
    writeFileSync(file, readFileSync(file, "utf8").replace("ttl: 45d", "ttl: 60d"));
    const changed = await stack(dir);
    const after = changed.one(T.schedule, "orchard-view-stock-prices-schedule").inputs.target.input;
    expect(JSON.parse(after).viewUri).not.toBe(JSON.parse(before).viewUri);
  });
});
