/**
 * Prediction capture in a deployed stack (docs/monitoring.md): a pipeline whose spec has
 * `monitor.capture` gets the capture settings in its predict function's environment, a
 * subscription filter on the predict log group into a Firehose stream that delivers JSON lines
 * under `<pipeline>/capture/<date>/<hour>/` encrypted with the data-lake key, service roles
 * scoped to that pipeline, and a lifecycle rule expiring its captures and labels; a pipeline
 * without it gets none of that. The Firehose role's policy is simulated.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { runSimulation } from "@cloud-copilot/iam-simulate";
import { beforeAll, describe, expect, it } from "vitest";
import { CAPTURE_FILTER_PATTERN, firehosePolicy } from "../../infra/capture-delivery.ts";
import { allRules } from "../../infra/policy/rules.ts";
import { evaluatePolicies } from "../../infra/synth/policy-findings.ts";
import { runStack, type StackRun } from "./harness.ts";
import { mandatoryFindings } from "./mandatory-findings.ts";

const T = {
  fn: "aws:lambda/function:Function",
  stream: "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream",
  filter: "aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter",
  rolePolicy: "aws:iam/rolePolicy:RolePolicy",
  role: "aws:iam/role:Role",
  lifecycle: "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
} as const;

function spec(dir: string, name: string, monitor = ""): string {
  const file = path.join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    `name: ${name}\nsource:\n  uri: s3://landing-bucket/${name}.csv\ntarget: y\ntask: classification\nid: customer\n${monitor}`,
  );
  return file;
}

describe("prediction capture in a stack", () => {
  let run: StackRun;
  beforeAll(async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "orchard-capture-"));
    run = await runStack("staging", {
      config: {
        "orchard:pipelines": JSON.stringify([
          {
            spec: spec(
              dir,
              "watched",
              "monitor:\n  capture: { sampleRate: 0.5, exclude: [email, phone], retentionDays: 14 }\n",
            ),
          },
          { spec: spec(dir, "plain") },
        ]),
      },
    });
  });

  it("tells the watched predict function what to capture, and the plain one nothing", () => {
    const env = (p: string) =>
      run.one(T.fn, `orchard-${p}-serving-predict-fn`).inputs.environment.variables;
    expect(env("watched")).toMatchObject({
      ORCHARD_CAPTURE_SAMPLE_RATE: "0.5",
      ORCHARD_CAPTURE_EXCLUDE: "email,phone",
      ORCHARD_ID_COLUMN: "customer",
    });
    expect(env("plain").ORCHARD_CAPTURE_SAMPLE_RATE).toBeUndefined();
  });

  it("delivers the capture lines through Firehose into the pipeline's capture prefix, encrypted", () => {
    const streams = run.ofType(T.stream);
    expect(streams).toHaveLength(1);
    const s3 = streams[0].inputs.extendedS3Configuration;
    expect(s3.prefix).toBe("watched/capture/!{timestamp:yyyy-MM-dd}/!{timestamp:HH}/");
    expect(s3.errorOutputPrefix).toMatch(/^watched\/capture-errors\//);
    expect(s3.fileExtension).toBe(".jsonl");
    expect(s3.kmsKeyArn).toBeTruthy();
    expect(s3.processingConfiguration.processors.map((p: { type: string }) => p.type)).toEqual([
      "Decompression",
      "CloudWatchLogProcessing",
      "AppendDelimiterToRecord",
    ]);
    const [filter] = run.ofType(T.filter);
    expect(filter.inputs.filterPattern).toBe(CAPTURE_FILTER_PATTERN);
  });

  it("scopes the service roles to the pipeline and the stream", () => {
    const firehose = JSON.parse(run.one(T.rolePolicy, "-capture-firehose-policy").inputs.policy);
    const write = firehose.Statement.find((s: { Sid: string }) => s.Sid === "WriteCaptureObjects");
    expect(write.Resource.every((r: string) => /\/watched\/capture(-errors)?\/\*$/.test(r))).toBe(
      true,
    );
    expect(JSON.stringify(firehose)).not.toContain('"*"');
    // CloudWatch Logs may put records into one resource, the stream (the mocks give it no
    // ARN, so only the count is checked here).
    const logs = JSON.parse(run.one(T.rolePolicy, "-capture-logs-policy").inputs.policy);
    expect(logs.Statement).toHaveLength(1);
    expect(logs.Statement[0].Action).toEqual(["firehose:PutRecord", "firehose:PutRecordBatch"]);
    expect(logs.Statement[0].Resource).toHaveLength(1);
    const trust = JSON.parse(run.one(T.role, "-capture-firehose").inputs.assumeRolePolicy);
    expect(trust.Statement[0].Condition.StringEquals["sts:ExternalId"]).toBe("123456789012");
  });

  it("passes every mandatory policy rule (limits, encryption, grants)", () => {
    expect(mandatoryFindings(evaluatePolicies(allRules, run.resources))).toEqual([]);
  });

  it("expires the watched pipeline's captures and labels after retentionDays", () => {
    const artifacts = run.ofType(T.lifecycle).find((l) => l.name.endsWith("-artifacts-lifecycle"));
    const rules = artifacts?.inputs.rules as {
      id: string;
      filter: { prefix?: string };
      expiration?: { days: number };
    }[];
    expect(
      rules.filter((r) => r.expiration).map((r) => [r.filter.prefix, r.expiration?.days]),
    ).toEqual([
      ["watched/capture/", 14],
      ["watched/labels/", 14],
    ]);
  });
});

describe("the Firehose role, simulated", () => {
  const ACCOUNT = "123456789012";
  const KEY = `arn:aws:kms:eu-west-1:${ACCOUNT}:key/k`;
  const doc = firehosePolicy("arn:aws:s3:::artifacts", KEY, "eu-west-1", [
    "watched/capture/",
    "watched/capture-errors/",
  ]);
  const keyPolicy = {
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
        Action: "kms:*",
        Resource: "*",
      },
    ],
  };
  async function decide(action: string, resource: string, context: Record<string, string> = {}) {
    const result = await runSimulation(
      {
        request: {
          principal: `arn:aws:iam::${ACCOUNT}:role/firehose`,
          action,
          resource: { resource, accountId: ACCOUNT },
          contextVariables: context,
        },
        identityPolicies: [{ name: "firehose", policy: doc }],
        serviceControlPolicies: [],
        resourceControlPolicies: [],
        ...(action.startsWith("kms:") ? { resourcePolicy: keyPolicy } : {}),
      },
      {},
    );
    if (result.resultType === "error") throw new Error(JSON.stringify(result.errors));
    return result.overallResult;
  }
  const via = { "kms:ViaService": "s3.eu-west-1.amazonaws.com" };

  it.each([
    ["s3:PutObject", "arn:aws:s3:::artifacts/watched/capture/2026-12-03/10/x.jsonl", {}],
    ["s3:PutObject", "arn:aws:s3:::artifacts/watched/capture-errors/processing-failed/x", {}],
    ["s3:ListBucket", "arn:aws:s3:::artifacts", {}],
    ["kms:GenerateDataKey", KEY, via],
  ])("may %s on %s", async (action, resource, context) => {
    expect(await decide(action, resource, context)).toBe("Allowed");
  });

  it.each([
    ["s3:PutObject", "arn:aws:s3:::artifacts/watched/models/m.orchard-model", {}],
    ["s3:PutObject", "arn:aws:s3:::artifacts/other/capture/x.jsonl", {}],
    ["s3:DeleteObject", "arn:aws:s3:::artifacts/watched/capture/x.jsonl", {}],
    ["s3:PutObject", "arn:aws:s3:::raw/watched/capture/x.jsonl", {}],
    ["kms:GenerateDataKey", KEY, {}],
  ])("may not %s on %s", async (action, resource, context) => {
    expect(await decide(action, resource, context)).not.toBe("Allowed");
  });
});
