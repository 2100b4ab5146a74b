/**
 * The human roles' policies do not grow past IAM's quotas as pipelines are added: with ten
 * pipelines each role's inline policies stay within 10,240 characters in total, each managed
 * policy within 6,144, and a role has at most 10 managed policies (IAM and STS quotas:
 * "Role policy size … 10,240 characters", "Managed policy size 6,144 characters", "Managed
 * policies attached to an IAM role 10"; whitespace is not counted).
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import {
  type HumanTargets,
  humanPolicy,
  humanPolicyPartCount,
  humanPolicyParts,
  type PolicyDocument,
} from "../../infra/access/policies.ts";
import { type IamResource, rolesOf } from "../../infra/synth/iam.ts";
import { type CapturedResource, runStack, type StackRun } from "./harness.ts";
import { humanTargets, PREDICT, STATE_MACHINE } from "./iam-targets.ts";

const ROLE = "aws:iam/role:Role";
const ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy";
const POLICY = "aws:iam/policy:Policy";
const ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment";

/** IAM counts policy characters without whitespace. */
const size = (policy: string) => policy.replace(/\s/g, "").length;

function tenPipelines(): string {
  const dir = mkdtempSync(path.join(tmpdir(), "orchard-ten-"));
  const entries = Array.from({ length: 10 }, (_, i) => {
    const name = `pipeline-number-${String(i).padStart(2, "0")}`;
    const spec = path.join(dir, `${name}.yaml`);
    writeFileSync(
      spec,
      `name: ${name}\nsource:\n  uri: s3://landing-bucket/${name}/latest.csv\ntarget: y\ntask: classification\n`,
    );
    return { spec };
  });
  return JSON.stringify(entries);
}

describe("the human roles of a stack with ten pipelines", () => {
  let run: StackRun;
  beforeAll(async () => {
    run = await runStack("prod", { config: { "orchard:pipelines": tenPipelines() } });
  });

  const humanRoles = () => run.ofType(ROLE).filter((r) => r.inputs.tags?.human);

  function attached(role: CapturedResource): CapturedResource[] {
    const arns = run
      .ofType(ATTACHMENT)
      .filter((a) => a.inputs.role === role.state.name || a.inputs.role === role.state.id)
      .map((a) => a.inputs.policyArn);
    return run.ofType(POLICY).filter((p) => arns.includes(p.state.arn));
  }

  it.each(["data-scientist", "platform-admin"])(
    "keeps %s's inline policies within 10,240 characters and each managed one within 6,144",
    (human) => {
      const role = humanRoles().find((r) => r.inputs.tags.human === human)!;
      expect(role).toBeDefined();
      const inline = run
        .ofType(ROLE_POLICY)
        .filter((p) => p.inputs.role === role.state.id || p.inputs.role === role.state.name);
      const inlineTotal = inline.reduce((n, p) => n + size(p.inputs.policy), 0);
      expect(inlineTotal).toBeLessThanOrEqual(10_240);
      const managed = attached(role);
      expect(managed.length).toBeLessThanOrEqual(10);
      for (const p of managed) expect(size(p.inputs.policy), p.name).toBeLessThanOrEqual(6_144);
      // The role still grants something for every pipeline (nothing was dropped to fit).
      const text = [...inline, ...managed].map((p) => p.inputs.policy).join("");
      for (let i = 0; i < 10; i++) expect(text).toContain(`pipeline-number-0${i}`);
    },
  );

  it("shows the managed policies' statements as the role's in the synth manifest's IAM view", () => {
    const resources: IamResource[] = run.resources.map((r) => ({
      type: r.type,
      name: r.name,
      inputs: {
        ...r.inputs,
        ...(typeof r.inputs.policy === "string" ? { policy: JSON.parse(r.inputs.policy) } : {}),
      },
      physicalName: r.state.name,
      arn: r.state.arn,
    }));
    const admin = humanRoles().find((r) => r.inputs.tags.human === "platform-admin")!;
    const view = rolesOf(resources)[admin.name];
    const sids = Object.values(view.policies).flatMap((statements) => statements.map((s) => s.sid));
    expect(sids).toEqual(
      expect.arrayContaining(["RunStateMachines", "SearchLogGroups", "RawDataIsImmutable"]),
    );
  });
});

describe("humanPolicyParts", () => {
  const pipelines = ["a", "b", "c", "d", "e"];
  const base = humanTargets(["a"]);
  const t: HumanTargets = {
    ...base,
    pipelines,
    predictFunctionArns: pipelines.map((p) => PREDICT.replace(/[^:]+$/, `predict-${p}`)),
    stateMachineArns: pipelines.map((p) => STATE_MACHINE.replace(/[^:]+$/, `sm-${p}`)),
    logGroupArns: [],
    logGroupNamePrefixes: ["/orchard/prod/"],
  };

  /** Every (effect, action, resource, condition) row a document allows or denies. */
  function rows(docs: PolicyDocument[]): string[] {
    return [
      ...new Set(
        docs.flatMap((d) =>
          d.Statement.flatMap((s) =>
            s.Action.flatMap((a) =>
              s.Resource.map((r) => {
                // A condition's values are unioned per Sid; compare per value.
                const cond = JSON.stringify(
                  Object.fromEntries(
                    Object.entries(s.Condition ?? {}).map(([op, kv]) => [op, Object.keys(kv)]),
                  ),
                );
                return `${s.Effect} ${a} ${r} ${cond}`;
              }),
            ),
          ),
        ),
      ),
    ].sort();
  }

  it.each(["data-scientist", "platform-admin"] as const)(
    "together allow exactly what %s's whole policy allows, in 1 + ceil(n/2) parts",
    (role) => {
      const parts = humanPolicyParts(role, t);
      expect(parts).toHaveLength(humanPolicyPartCount(pipelines.length));
      expect(parts).toHaveLength(4);
      expect(rows(parts)).toEqual(rows([humanPolicy(role, t)]));
    },
  );

  it("keeps each pipeline's grants in its own group's part", () => {
    const [, first, second] = humanPolicyParts("platform-admin", t).map((d) => JSON.stringify(d));
    expect(first).toContain("predict-a");
    expect(first).toContain("predict-b");
    expect(first).not.toContain("predict-c");
    expect(second).toContain("sm-c");
    expect(second).not.toContain("sm-a");
  });
});
