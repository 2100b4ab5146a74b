/**
 * Batch scoring in a deployed stack: every pipeline gets a batchScore function; a pipeline
 * whose spec has `deploy.batch` gets the grant on its batch prefix and `batchUri` in its
 * scheduled input and outputs, one without gets neither.
 */

import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { PolicyStatement } from "../../infra/access/types.ts";
import { DEPLOYED_STEP_ROLE_NAMES } from "../../infra/access/types.ts";
import { batchResultsPrefix } from "../../pipeline/steps/intermediate-keys.ts";
import { runStack, type StackRun } from "./harness.ts";
import { expectedBatchGrants } from "./iam-targets.ts";

const T = {
  fn: "aws:lambda/function:Function",
  sfn: "aws:sfn/stateMachine:StateMachine",
  schedule: "aws:scheduler/schedule:Schedule",
  bucket: "aws:s3/bucket:Bucket",
  rolePolicy: "aws:iam/rolePolicy:RolePolicy",
} as const;

/** A spec with an S3 source; `batch` is its deploy.batch.inputUri, if any. */
function spec(dir: string, name: string, batch?: string): string {
  const file = path.join(dir, `${name}.yaml`);
  const deploy =
    batch === undefined
      ? ""
      : `deploy:\n  batch:\n    inputUri: ${batch}\n${name === "scored" ? "    toleratedFailurePercent: 5\n" : ""}`;
  writeFileSync(
    file,
    `name: ${name}\nsource:\n  uri: s3://landing-bucket/${name}.csv\ntarget: y\ntask: classification\n${deploy}`,
  );
  return file;
}

describe("batch scoring in a stack", () => {
  let run: StackRun;
  beforeAll(async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "orchard-batch-"));
    run = await runStack("staging", {
      config: {
        "orchard:pipelines": JSON.stringify([
          { spec: spec(dir, "scored", "s3://scoring-bucket/scored/daily/") },
          // A local directory for `orchard run`; the cloud scores the override.
          { spec: spec(dir, "local", "batch/"), batchUri: "s3://other-scoring/local/" },
          // A local directory without override: the pipeline's landing prefix in the raw bucket.
          { spec: spec(dir, "landing", "batch/") },
          { spec: spec(dir, "plain") },
        ]),
      },
    });
  });

  it("gives ScoreFiles the spec's tolerated failure share, and its role the Distributed Map grants, only with deploy.batch", () => {
    const definitionOf = (pipeline: string) =>
      JSON.parse(run.one(T.sfn, `orchard-${pipeline}-sfn`).inputs.definition);
    expect(definitionOf("scored").States.ScoreFiles.ToleratedFailurePercentage).toBe(5);
    expect(definitionOf("landing").States.ScoreFiles.ToleratedFailurePercentage).toBe(0);
    const mapPolicy = (pipeline: string) =>
      run.ofType(T.rolePolicy).filter((p) => p.name === `orchard-${pipeline}-sfn-distributed-map`);
    const listing = JSON.parse(mapPolicy("scored")[0].inputs.policy).Statement[2];
    expect(listing).toMatchObject({
      Action: ["s3:ListBucket"],
      Resource: ["arn:aws:s3:::scoring-bucket"],
      Condition: { StringLike: { "s3:prefix": ["scored/daily/*"] } },
    });
    expect(mapPolicy("plain")).toHaveLength(0);
  });

  it("lets the state machine export ScoreFiles' results exactly where BatchScore names them and BatchResults reads them", () => {
    const statements = JSON.parse(
      run.ofType(T.rolePolicy).find((p) => p.name === "orchard-scored-sfn-distributed-map")!.inputs
        .policy,
    ).Statement as PolicyStatement[];
    const exporting = statements.find((st) => st.Sid === "ExportMapResults")!;
    const bucket = run.ofType(T.bucket).find((b) => b.inputs.tags.role === "artifacts")!;
    const artifacts = `arn:aws:s3:::${bucket.state.bucket}`;
    expect(exporting.Resource).toEqual([`${artifacts}/${batchResultsPrefix("scored")}/*`]);
    expect(statements.find((st) => st.Sid === "EncryptMapResults")).toMatchObject({
      Action: ["kms:GenerateDataKey", "kms:Decrypt"],
    });
    // The batchScore role reads the same prefix (BatchResults).
    const reads = statementsOf("scored", "batchScore").filter((st) =>
      (st.Resource as string[]).includes(`${artifacts}/${batchResultsPrefix("scored")}/*`),
    );
    expect(reads.flatMap((st) => st.Action)).toContain("s3:GetObject");
    // The definition's ResultWriter reads its bucket and prefix from BatchScore's result.
    const definition = JSON.parse(run.one(T.sfn, "orchard-scored-sfn").inputs.definition);
    expect(definition.States.ScoreFiles.ResultWriter.Parameters).toEqual({
      "Bucket.$": "$.batchScore.resultWriter.bucket",
      "Prefix.$": "$.batchScore.resultWriter.prefix",
    });
  });

  const statementsOf = (pipeline: string, step: string): PolicyStatement[] =>
    JSON.parse(run.one(T.rolePolicy, `-access-${pipeline}-${step}-policy`).inputs.policy).Statement;
  const runInput = (pipeline: string) =>
    JSON.parse(run.one(T.schedule, `orchard-${pipeline}-schedule`).inputs.target.input).run;

  it.each(["scored", "local", "landing", "plain"])(
    "deploys %s's batchScore function as the BatchScore state's resource, named in the outputs",
    (pipeline) => {
      const fn = run.one(T.fn, `orchard-${pipeline}-batchScore-fn`);
      const sm = run.one(T.sfn, `orchard-${pipeline}-sfn`);
      expect(JSON.parse(sm.inputs.definition).States.BatchScore.Resource).toBe(fn.state.arn);
      expect(fn.state.name).toMatch(new RegExp(`^orchard-${pipeline}-batchScore-fn`));
      expect(run.outputs.pipelines[pipeline].batchScoreFunction).toBe(fn.state.name);
    },
  );

  it.each([
    ["scored", "arn:aws:s3:::scoring-bucket", "scored/daily/"],
    ["local", "arn:aws:s3:::other-scoring", "local/"],
  ])("lets %s's batchScore role list, get and put under its prefix", (pipeline, bucket, prefix) => {
    const batch = statementsOf(pipeline, "batchScore").filter((s) => s.Sid.includes("Batch"));
    expect(batch).toEqual(expectedBatchGrants(bucket, prefix));
  });

  it.each([
    ["scored", "s3://scoring-bucket/scored/daily/"],
    ["local", "s3://other-scoring/local/"],
  ])("starts %s's runs with batchUri %s and exports it", (pipeline, uri) => {
    expect(runInput(pipeline)).toMatchObject({ pipeline, batchUri: uri });
    expect(run.outputs.pipelines[pipeline].batchUri).toBe(uri);
  });

  it("scores a local batch directory, deployed without override, at landing/batch/ of the raw bucket", () => {
    const raw = run.ofType(T.bucket).find((b) => b.inputs.tags.role === "raw")!;
    const uri = `s3://${raw.state.bucket}/landing/batch/`;
    expect(runInput("landing")).toMatchObject({ pipeline: "landing", batchUri: uri });
    expect(run.outputs.pipelines.landing.batchUri).toBe(uri);
    const statements = statementsOf("landing", "batchScore");
    expect(statements.filter((s) => s.Sid.includes("Batch"))).toEqual(
      expectedBatchGrants(raw.state.arn, "landing/batch/"),
    );
    // Objects there are under the data-lake key: the role may generate data keys through S3.
    const encrypt = statements.find((s) => s.Sid === "EncryptWithDataKey");
    expect(JSON.stringify(encrypt?.Condition)).toContain("s3.");
  });

  it("gives a pipeline without deploy.batch no batch grant, no batchUri input and no output", () => {
    expect(statementsOf("plain", "batchScore").filter((s) => s.Sid.includes("Batch"))).toEqual([]);
    expect(runInput("plain")).not.toHaveProperty("batchUri");
    expect(run.outputs.pipelines.plain).not.toHaveProperty("batchUri");
  });

  it("grants the batch prefix to no role but batchScore", () => {
    const buckets = ["arn:aws:s3:::scoring-bucket", "arn:aws:s3:::other-scoring"];
    // These pipelines have no monitor.capture, so no Monitor role (monitor-stack.test.ts
    // checks that one's keys).
    const others = DEPLOYED_STEP_ROLE_NAMES.filter((s) => s !== "batchScore" && s !== "monitor");
    for (const pipeline of ["scored", "local"]) {
      for (const step of others) {
        const resources = statementsOf(pipeline, step).flatMap((s) => s.Resource);
        const reached = resources.filter((r) => buckets.some((b) => r.startsWith(b)));
        expect(reached, `${pipeline} ${step}`).toEqual([]);
      }
    }
  });
});
