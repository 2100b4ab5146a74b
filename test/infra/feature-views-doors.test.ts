/**
 * Every door that serves a model taking view features reads the views' online items: the
 * Kubernetes pods (IRSA role and config), batch scoring's role; and people read every view
 * of the stack with `orchard features`. A pipeline without views reads none.
 */
import { cpSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { PolicyStatement } from "../../infra/access/types.ts";
import { runStack, type StackRun } from "./harness.ts";
import { SERVING } from "./kubernetes-fixture.ts";

const statements = (run: StackRun, type: string, suffix: string): PolicyStatement[] =>
  JSON.parse(run.one(type, suffix).inputs.policy).Statement;
const rolePolicy = (run: StackRun, suffix: string) =>
  statements(run, "aws:iam/rolePolicy:RolePolicy", suffix);
const conditionsOf = (s: PolicyStatement[]) => JSON.stringify(s.map((x) => x.Condition ?? {}));

describe("feature views at every door of a stack", () => {
  let run: StackRun;
  beforeAll(async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "orchard-views-doors-"));
    cpSync(new URL("../../examples/stocks/", import.meta.url), dir, { recursive: true });
    run = await runStack("staging", {
      config: {
        "orchard:serving": JSON.stringify(SERVING),
        "orchard:pipelines": JSON.stringify([
          { spec: path.join(dir, "direction.yaml"), uploadSource: true },
          { spec: "examples/penguins/pipeline.yaml", uploadSource: true },
        ]),
      },
    });
  }, 60_000);

  it("the Kubernetes pods read their views' online items, and are told how long to reuse them", () => {
    const pod = rolePolicy(run, "k8s-stock-direction-role-policy");
    expect(conditionsOf(pod)).toContain("view:stock_prices#*");
    expect(conditionsOf(rolePolicy(run, "k8s-penguins-role-policy"))).not.toContain("view:");
    const configs = run.resources.filter(
      (r) => r.type.startsWith("kubernetes:") && r.inputs.kind === "ConfigMap",
    );
    const data = (p: string) =>
      configs.find((c) => c.inputs.data.ORCHARD_PIPELINE === p)?.inputs.data;
    expect(data("stock-direction")?.ORCHARD_FEATURE_CACHE_SECONDS).toBe("1");
    expect(data("stock-direction")?.ORCHARD_FEATURE_TABLE).toMatch(/^orchard-/);
    expect(data("penguins")?.ORCHARD_FEATURE_CACHE_SECONDS).toBeUndefined();
  });

  it("batch scoring reads its views' online items", () => {
    expect(conditionsOf(rolePolicy(run, "-access-stock-direction-batchScore-policy"))).toContain(
      "view:stock_prices#*",
    );
    expect(conditionsOf(rolePolicy(run, "-access-penguins-batchScore-policy"))).not.toContain(
      "view:",
    );
  });

  it("people read every view of the stack, offline and online", () => {
    const human = run
      .ofType("aws:iam/policy:Policy")
      .filter((p) => p.name.includes("data-scientist-policy"))
      .flatMap((p) => JSON.parse(p.inputs.policy).Statement as PolicyStatement[]);
    expect(conditionsOf(human)).toContain("view:stock_prices#*");
    expect(JSON.stringify(human.flatMap((s) => s.Resource))).toContain("/views/stock_prices/*");
  });
});
