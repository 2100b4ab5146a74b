/**
 * `orchard diff` over real edits of the repository: each fixture edits a temporary checkout
 * of HEAD and must produce exactly its change in the diff against HEAD, and nothing else.
 * The base (HEAD, prod stack) is synthesized once.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { withWorktree } from "../../cli/infra-review/worktree.ts";
import { diffManifests } from "../../infra/synth/diff.ts";
import type { Manifest } from "../../infra/synth/manifest.ts";
import { synthesize } from "../../infra/synth/synthesize.ts";
import { mandatoryFindings } from "../infra/mandatory-findings.ts";
import { applyEdit, type Edit, headCommit, NOTHING, outline, REPO } from "./diff-helpers.ts";

const STACK = "prod";
let commit: string;
let base: Manifest;

beforeAll(async () => {
  commit = headCommit();
  base = await withWorktree(REPO, commit, (dir) => synthesize({ stack: STACK, root: dir }));
});

function diffWith(...edits: Edit[]) {
  return withWorktree(REPO, commit, async (dir) => {
    for (const edit of edits) applyEdit(dir, edit);
    return diffManifests(base, await synthesize({ stack: STACK, root: dir }));
  });
}

describe("orchard diff of one edit against HEAD", () => {
  it("shows a schedule changed in the stack file as that schedule's expression only", async () => {
    const diff = await diffWith({
      file: "stacks/Pulumi.prod.yaml",
      find: "schedule: cron(0 4 * * ? *)",
      replace: "schedule: cron(30 5 * * ? *)",
    });
    expect(outline(diff)).toEqual({
      ...NOTHING,
      changed: [
        {
          name: "orchard-penguins-schedule",
          replace: false,
          paths: ["scheduleExpression (schedule)"],
        },
      ],
      schedules: [{ name: "orchard-penguins-schedule", fields: ["expression"] }],
    });
    expect(diff.schedules[0].before?.expression).toBe("cron(0 4 * * ? *)");
    expect(diff.schedules[0].after?.expression).toBe("cron(30 5 * * ? *)");
    expect(mandatoryFindings(diff.policy.mandatory)).toEqual([]);
  });

  it("shows an IAM action added to one step as one permission of that step's role", async () => {
    const arn = "arn:aws:states:eu-west-1:123456789012:stateMachine:fixture";
    const diff = await diffWith({
      file: "infra/access/policies.ts",
      find: "  });\n  grantKey(set, targets.keyArn, key);\n",
      replace: `  });\n  if (step === "train") set.add({ Sid: "FixtureDescribe", Effect: "Allow", Action: ["states:DescribeStateMachine"], Resource: ["${arn}"] });\n  grantKey(set, targets.keyArn, key);\n`,
    });
    expect(outline(diff)).toEqual({
      ...NOTHING,
      changed: [
        { name: "orchard-access-penguins-train-policy", replace: false, paths: ["policy (iam)"] },
      ],
      iam: [
        {
          role: "orchard-access-penguins-train",
          added: [`Allow states:DescribeStateMachine ${arn}`],
          removed: [],
        },
      ],
    });
    expect(diff.iam[0].added[0].wildcard).toBe(false);
  });

  it("shows a state added to the workflow as the state and its edges", async () => {
    const diff = await diffWith({
      file: "pipeline/workflow/definition.ts",
      find: 'BatchScore: step("batchScore", "Batch"),',
      replace:
        'BatchScore: step("batchScore", "Audit"),\n      Audit: { Type: "Pass", Next: "Batch" },',
    });
    expect(outline(diff)).toEqual({
      ...NOTHING,
      changed: [
        { name: "orchard-penguins-sfn", replace: false, paths: ["definition (stateMachine)"] },
      ],
      stateMachines: [
        {
          name: "orchard-penguins-sfn",
          statesAdded: ["Audit"],
          statesRemoved: [],
          statesChanged: [],
          edgesAdded: ["Audit -> Batch (next)", "BatchScore -> Audit (next)"],
          edgesRemoved: ["BatchScore -> Batch (next)"],
        },
      ],
    });
  });

  it("shows encryption removed from a bucket as the removed configuration and a new mandatory violation", async () => {
    const diff = await diffWith({
      file: "infra/data-lake.ts",
      find: "      new aws.s3.BucketServerSideEncryptionConfiguration(",
      replace: '      if (role !== "raw") new aws.s3.BucketServerSideEncryptionConfiguration(',
    });
    expect(outline(diff)).toEqual({
      ...NOTHING,
      removed: ["orchard-data-raw-encryption"],
      policyNew: ["mandatory bucket-encryption-configured"],
    });
    const encryption = diff.policy.mandatory.filter(
      (f) => f.rule === "bucket-encryption-configured",
    );
    expect(encryption).toHaveLength(1);
    expect(encryption[0].message).toMatch(/orchard-data-raw\b/);
  });

  it("shows an AWS limit broken by an edit as new mandatory violations of that limit's rule", async () => {
    const diff = await diffWith({
      file: "infra/tags.ts",
      find: "    ...extra,\n",
      replace:
        '    ...extra,\n    ...Object.fromEntries(Array.from({ length: 50 }, (_, i) => ["extra-" + i, "x"])),\n',
    });
    expect(new Set(outline(diff).policyNew)).toEqual(new Set(["mandatory tags-per-resource"]));
    expect(diff.policy.new[0].message).toMatch(/has 5[3-9] tags; AWS allows 50 per resource/);
  });

  it("shows monitor.capture added to a spec as the Monitor's new resources, role and schedule", async () => {
    const diff = await diffWith({
      file: "examples/penguins/pipeline.yaml",
      find: "deploy:\n",
      replace: "monitor:\n  capture: { sampleRate: 0.5 }\ndeploy:\n",
    });
    const o = outline(diff);
    expect(o.added).toEqual(
      expect.arrayContaining([
        "orchard-penguins-monitor",
        "orchard-penguins-monitor-fn",
        "orchard-penguins-monitor-sfn",
        "orchard-penguins-monitor-schedule",
        "orchard-penguins-monitor-live-gate",
        "orchard-penguins-monitor-failed",
        "orchard-penguins-monitor-retrain",
        "orchard-penguins-monitor-retrain-target",
        "orchard-penguins-monitor-retrain-policy",
        "orchard-access-penguins-monitor",
        "orchard-access-penguins-monitor-policy",
      ]),
    );
    expect(o.iam.map((r) => r.role)).toEqual(
      expect.arrayContaining([
        "orchard-access-penguins-monitor",
        "orchard-penguins-monitor-retrain-role",
      ]),
    );
    const retrain = o.iam.find((r) => r.role === "orchard-penguins-monitor-retrain-role");
    expect(retrain?.added).toEqual([
      expect.stringMatching(/^Allow states:StartExecution arn:aws:states:.*:orchard-penguins-sfn-/),
      'Allow sts:AssumeRole {"Service":"events.amazonaws.com"}',
    ]);
    expect(o.stateMachines).toEqual([
      {
        name: "orchard-penguins-monitor-sfn",
        statesAdded: ["Monitor"],
        statesRemoved: [],
        statesChanged: [],
        edgesAdded: ["Monitor -> (end)"],
        edgesRemoved: [],
      },
    ]);
    expect(o.schedules.map((x) => x.name)).toContain("orchard-penguins-monitor-schedule");
    expect(o.policyNew).toEqual([]);
    expect(mandatoryFindings(diff.policy.mandatory)).toEqual([]);
  });

  it("shows a handler source change as one code line for that function", async () => {
    const diff = await diffWith({
      file: "lambdas/ingest.ts",
      find: 'export const handler = stepHandler("ingest", ingest);',
      replace:
        'export const handler = stepHandler("ingest", ingest);\nexport const reviewed = true;',
    });
    expect(outline(diff)).toEqual({
      ...NOTHING,
      changed: [{ name: "orchard-penguins-ingest-fn", replace: false, paths: ["code (code)"] }],
      code: [
        {
          function: "orchard-penguins-ingest-fn",
          files: { added: [], removed: [], changed: ["lambdas/ingest.ts"] },
        },
      ],
    });
    expect(diff.code[0].dependenciesChanged).toBe(false);
  });
});
