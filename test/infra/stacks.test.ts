/**
 * The staging and prod stacks, as `pulumi up` would declare them from their real config files
 * (stacks/Pulumi.<stack>.yaml), checked for the rules a reviewer cares about.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import * as aws from "@pulumi/aws";
import aslValidator from "asl-validator";
import { beforeAll, describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../../infra/config.ts";
import { STORAGE_ENV } from "../../lambdas/io/env.ts";
import { FEATURE_TABLE, REGISTRY_TABLE } from "../../lambdas/io/tables.ts";
import type { State, StateMachineDefinition } from "../../pipeline/workflow/asl.ts";
import { STEP_NAMES, TASK_STATE_OF_STEP } from "../../pipeline/workflow/steps.ts";
import { ACCOUNT_ID, type CapturedResource, runStack, type StackRun } from "./harness.ts";

const T = {
  bucket: "aws:s3/bucket:Bucket",
  sse: "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
  publicAccess: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
  ownership: "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
  bucketPolicy: "aws:s3/bucketPolicy:BucketPolicy",
  versioning: "aws:s3/bucketVersioning:BucketVersioning",
  lifecycle: "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
  logging: "aws:s3/bucketLogging:BucketLogging",
  object: "aws:s3/bucketObject:BucketObject",
  key: "aws:kms/key:Key",
  table: "aws:dynamodb/table:Table",
  fn: "aws:lambda/function:Function",
  alias: "aws:lambda/alias:Alias",
  url: "aws:lambda/functionUrl:FunctionUrl",
  logGroup: "aws:cloudwatch/logGroup:LogGroup",
  alarm: "aws:cloudwatch/metricAlarm:MetricAlarm",
  sfn: "aws:sfn/stateMachine:StateMachine",
  schedule: "aws:scheduler/schedule:Schedule",
  topic: "aws:sns/topic:Topic",
  subscription: "aws:sns/topicSubscription:TopicSubscription",
  role: "aws:iam/role:Role",
  rolePolicy: "aws:iam/rolePolicy:RolePolicy",
} as const;

/** What differs between the stack files, read by the tests from the files themselves. */
const EXPECTED = {
  staging: {
    protect: false,
    retention: 14,
    schedule: "cron(0 6 ? * MON-FRI *)",
    timeZone: "Europe/Berlin",
    executionData: true,
    email: undefined,
    trainMemory: 3008,
  },
  prod: {
    protect: true,
    retention: 365,
    schedule: "cron(0 4 * * ? *)",
    timeZone: "America/New_York",
    executionData: false,
    email: "ml-oncall@example.com",
    trainMemory: 4096,
  },
} as const;

const SPEC_FILE = path.join(PROJECT_ROOT, "examples/penguins/pipeline.yaml");
const SPEC_SHA = createHash("sha256").update(readFileSync(SPEC_FILE)).digest("hex");

function byBucket(run: StackRun, type: string): Map<string, CapturedResource> {
  return new Map(run.ofType(type).map((r) => [r.inputs.bucket as string, r]));
}

function definitionOf(run: StackRun): StateMachineDefinition {
  return JSON.parse(run.ofType(T.sfn)[0].inputs.definition);
}

function taskStates(states: Record<string, State>): [string, State & { Type: "Task" }][] {
  return Object.entries(states).flatMap(([name, s]) => {
    if (s.Type === "Task") return [[name, s] as [string, State & { Type: "Task" }]];
    if (s.Type === "Map") return taskStates(s.ItemProcessor.States);
    return [];
  });
}

/** Taggable = the @pulumi/aws resource class accepts a `tags` input. */
function isTaggable(type: string): boolean {
  const [, module, cls] = /^aws:([^/]+)\/[^:]+:(.+)$/.exec(type) ?? [];
  if (!module) return false;
  // biome-ignore lint/suspicious/noExplicitAny: looking a class up by its type token
  const ctor = (aws as any)[module === "index" ? "" : module]?.[cls] ?? (aws as any)[cls];
  if (typeof ctor !== "function") throw new Error(`no @pulumi/aws class for ${type}`);
  return String(ctor).includes('resourceInputs["tags"]');
}

describe.each(["staging", "prod"] as const)("the %s stack", (stack) => {
  const expected = EXPECTED[stack];
  let run: StackRun;
  let keyArn: string;
  beforeAll(async () => {
    run = await runStack(stack);
    keyArn = run.ofType(T.key)[0].state.arn;
  });

  describe("data at rest", () => {
    it("has the raw, features, artifacts and access-log buckets", () => {
      const roles = run.ofType(T.bucket).map((b) => b.inputs.tags.role);
      expect(roles.sort()).toEqual(["artifacts", "features", "logs", "raw"]);
    });

    it("encrypts every data bucket by default with the customer-managed key and bucket keys", () => {
      const sse = byBucket(run, T.sse);
      for (const bucket of run.ofType(T.bucket).filter((b) => b.inputs.tags.role !== "logs")) {
        const rule = sse.get(bucket.state.bucket)?.inputs.rules[0];
        expect(rule, bucket.name).toMatchObject({
          applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: keyArn },
          bucketKeyEnabled: true,
        });
      }
    });

    // S3 server access logging supports only SSE-S3 on the target bucket (S3 User Guide,
    // enable-server-access-logging): with SSE-KMS, logs would silently not be delivered.
    it("encrypts the access-log bucket with SSE-S3, and the key admits no log delivery", () => {
      const logs = run.ofType(T.bucket).find((b) => b.inputs.tags.role === "logs");
      expect(byBucket(run, T.sse).get(logs?.state.bucket)?.inputs.rules).toEqual([
        { applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } },
      ]);
      expect(run.ofType(T.key)[0].inputs.policy).not.toContain("logging.s3.amazonaws.com");
    });

    it("rotates the key", () => {
      expect(run.ofType(T.key)).toHaveLength(1);
      expect(run.ofType(T.key)[0].inputs.enableKeyRotation).toBe(true);
    });

    it("blocks every kind of public access and disables ACLs on every bucket", () => {
      const blocks = byBucket(run, T.publicAccess);
      const ownership = byBucket(run, T.ownership);
      for (const bucket of run.ofType(T.bucket)) {
        expect(blocks.get(bucket.state.bucket)?.inputs, bucket.name).toMatchObject({
          blockPublicAcls: true,
          blockPublicPolicy: true,
          ignorePublicAcls: true,
          restrictPublicBuckets: true,
        });
        expect(ownership.get(bucket.state.bucket)?.inputs.rule.objectOwnership).toBe(
          "BucketOwnerEnforced",
        );
      }
    });

    it("denies every non-TLS request to every bucket and its objects", () => {
      const policies = byBucket(run, T.bucketPolicy);
      for (const bucket of run.ofType(T.bucket)) {
        const doc = JSON.parse(policies.get(bucket.state.bucket)?.inputs.policy ?? "{}");
        const deny = doc.Statement.find(
          // biome-ignore lint/suspicious/noExplicitAny: policy JSON
          (s: any) => s.Effect === "Deny" && s.Condition?.Bool?.["aws:SecureTransport"] === "false",
        );
        expect(deny, bucket.name).toMatchObject({ Principal: "*", Action: "s3:*" });
        expect(deny.Resource).toEqual([bucket.state.arn, `${bucket.state.arn}/*`]);
      }
    });

    it("versions every bucket and expires noncurrent versions", () => {
      const versioning = byBucket(run, T.versioning);
      const lifecycle = byBucket(run, T.lifecycle);
      for (const bucket of run.ofType(T.bucket)) {
        expect(versioning.get(bucket.state.bucket)?.inputs.versioningConfiguration.status).toBe(
          "Enabled",
        );
        const rule = lifecycle.get(bucket.state.bucket)?.inputs.rules[0];
        expect(rule.status).toBe("Enabled");
        expect(rule.noncurrentVersionExpiration.noncurrentDays).toBeGreaterThan(0);
      }
    });

    it("logs requests to the data buckets into the log bucket, whose logs expire with the stack's retention", () => {
      const logs = run.ofType(T.bucket).find((b) => b.inputs.tags.role === "logs")!;
      const logging = byBucket(run, T.logging);
      for (const bucket of run.ofType(T.bucket).filter((b) => b !== logs)) {
        expect(logging.get(bucket.state.bucket)?.inputs.targetBucket).toBe(logs.state.bucket);
      }
      expect(byBucket(run, T.lifecycle).get(logs.state.bucket)?.inputs.rules[0].expiration).toEqual(
        {
          days: expected.retention,
        },
      );
    });

    it.each([
      ["features", FEATURE_TABLE],
      ["registry", REGISTRY_TABLE],
    ])(
      "keeps the %s table on demand, with PITR and SSE under the key, keyed as lambdas/io/tables.ts defines",
      (_, def) => {
        const table = run.ofType(T.table).find((t) => t.inputs.tags.table === def.logicalName)!;
        expect(table.inputs).toMatchObject({
          billingMode: "PAY_PER_REQUEST",
          hashKey: def.hashKey,
          pointInTimeRecovery: { enabled: true },
          serverSideEncryption: { enabled: true, kmsKeyArn: keyArn },
          deletionProtectionEnabled: expected.protect,
        });
        expect(table.inputs.rangeKey).toBe(def.rangeKey);
        expect(table.inputs.ttl?.attributeName).toBe(def.ttlAttribute);
      },
    );
  });

  describe("protection", () => {
    it(`${expected.protect ? "protects" : "does not protect"} the key, buckets and tables`, () => {
      const stateful = [...run.ofType(T.key), ...run.ofType(T.bucket), ...run.ofType(T.table)];
      expect(stateful).toHaveLength(7);
      for (const r of stateful) expect(r.protect, r.name).toBe(expected.protect);
      for (const b of run.ofType(T.bucket)) expect(b.inputs.forceDestroy).toBe(!expected.protect);
    });

    it("protects nothing replaceable, so code and definition changes still deploy", () => {
      for (const type of [T.fn, T.sfn, T.schedule, T.alarm, T.role, T.logGroup]) {
        for (const r of run.ofType(type)) expect(r.protect, r.name).toBe(false);
      }
    });

    it("keeps uploaded specs and sources when they are replaced or destroyed", () => {
      for (const o of run.ofType(T.object)) expect(o.options.retainOnDelete, o.name).toBe(true);
    });
  });

  describe("logs", () => {
    it("keeps every log group for the stack's retention", () => {
      const groups = run.ofType(T.logGroup);
      expect(groups).toHaveLength(16); // 14 steps, predict, the state machine
      for (const g of groups) expect(g.inputs.retentionInDays, g.name).toBe(expected.retention);
    });

    it(`logs every state machine event ${expected.executionData ? "with" : "without"} execution data, and traces`, () => {
      const sm = run.ofType(T.sfn)[0];
      const group = run.ofType(T.logGroup).find((g) => g.parent?.name === "orchard-penguins")!;
      expect(sm.inputs).toMatchObject({
        type: "STANDARD",
        loggingConfiguration: {
          level: "ALL",
          includeExecutionData: expected.executionData,
          logDestination: `${group.state.arn}:*`,
        },
        tracingConfiguration: { enabled: true },
      });
    });
  });

  describe("step functions", () => {
    const fnOf = (step: string) => run.one(T.fn, `-${step}-fn`);

    it("runs every step and predict on Node.js 22, arm64, X-Ray active, logging into its own group", () => {
      const fns = run.ofType(T.fn);
      expect(fns).toHaveLength(15); // 14 steps and predict
      const groups = new Map(run.ofType(T.logGroup).map((g) => [g.parent?.name, g.state.name]));
      for (const fn of fns) {
        expect(fn.inputs, fn.name).toMatchObject({
          runtime: "nodejs22.x",
          architectures: ["arm64"],
          handler: "index.handler",
          tracingConfig: { mode: "Active" },
          loggingConfig: { logFormat: "JSON", logGroup: groups.get(fn.parent?.name) },
        });
      }
    });

    it("sizes train from the stack config and every other step from the defaults", () => {
      expect(fnOf("train").inputs.memorySize).toBe(expected.trainMemory);
      expect(fnOf("promote").inputs).toMatchObject({ memorySize: 256, timeout: 60 });
      expect(fnOf("batchScore").inputs).toMatchObject({ memorySize: 2048, timeout: 900 });
    });

    it("names the buckets and tables in every function's environment", () => {
      const names = {
        [STORAGE_ENV.rawBucket]: "raw",
        [STORAGE_ENV.featuresBucket]: "features",
        [STORAGE_ENV.artifactsBucket]: "artifacts",
      };
      const buckets = new Map(
        run.ofType(T.bucket).map((b) => [b.inputs.tags.role, b.state.bucket]),
      );
      const tables = new Map(run.ofType(T.table).map((t) => [t.inputs.tags.table, t.state.name]));
      for (const fn of run.ofType(T.fn)) {
        const env = fn.inputs.environment.variables;
        for (const [variable, role] of Object.entries(names))
          expect(env[variable]).toBe(buckets.get(role));
        expect(env[STORAGE_ENV.featureTable]).toBe(tables.get("features"));
        expect(env[STORAGE_ENV.registryTable]).toBe(tables.get("registry"));
      }
      expect(fnOf("notifyFailure").inputs.environment.variables.ORCHARD_ALERT_TOPIC_ARN).toBe(
        run.ofType(T.topic)[0].state.arn,
      );
      expect(fnOf("predict").inputs.environment.variables.ORCHARD_PIPELINE).toBe("penguins");
      // A batch-score invoked by hand with only an inputUri scores this pipeline's champion.
      expect(fnOf("batchScore").inputs.environment.variables.ORCHARD_PIPELINE).toBe("penguins");
    });

    it.each(STEP_NAMES)(
      "gives %s its bundle's hash as the code version of its step cache keys",
      (step) => {
        const env = fnOf(step).inputs.environment.variables;
        expect(env.ORCHARD_CODE_VERSION).toMatch(/^bundle-[0-9a-f]{16}$/);
      },
    );

    it("versions each step's code by its own bundle", () => {
      const versions = STEP_NAMES.map(
        (step) => fnOf(step).inputs.environment.variables.ORCHARD_CODE_VERSION,
      );
      expect(new Set(versions).size).toBe(STEP_NAMES.length);
    });

    it.each([...STEP_NAMES, "predict"])(
      "runs %s with its own role, granted by one inline policy",
      (step) => {
        const role = run.one(T.role, `-access-penguins-${step}`);
        expect(fnOf(step).inputs.role).toBe(role.state.arn);
        expect(JSON.parse(role.inputs.assumeRolePolicy).Statement[0].Principal).toEqual({
          Service: "lambda.amazonaws.com",
        });
        const policies = run.ofType(T.rolePolicy).filter((p) => p.inputs.role === role.state.name);
        expect(policies).toHaveLength(1);
      },
    );
  });

  describe("the pipeline", () => {
    it("deploys the definition from pipeline/workflow wired to each step's own function", () => {
      const definition = definitionOf(run);
      const arnByState = new Map(
        STEP_NAMES.map((step) => [
          TASK_STATE_OF_STEP[step] as string,
          run.one(T.fn, `-${step}-fn`).state.arn,
        ]),
      );
      // The report step also runs as the NoDrift and failure paths' reports.
      for (const state of ["ReportNoDrift", "ReportFailure"]) {
        arnByState.set(state, arnByState.get(TASK_STATE_OF_STEP.report)!);
      }
      // The canary step also runs as CanaryCheck.
      arnByState.set("CanaryCheck", arnByState.get(TASK_STATE_OF_STEP.canary)!);
      // The batchScore step also runs in each ScoreFiles child execution.
      arnByState.set("ScoreFileBatch", arnByState.get(TASK_STATE_OF_STEP.batchScore)!);
      // ... and as BatchResults, reading the ScoreFiles export.
      arnByState.set("BatchResults", arnByState.get(TASK_STATE_OF_STEP.batchScore)!);
      const tasks = taskStates(definition.States);
      expect(tasks.map(([name]) => name).sort()).toEqual([...arnByState.keys()].sort());
      for (const [name, state] of tasks) expect(state.Resource, name).toBe(arnByState.get(name));
    });

    it("deploys a definition asl-validator accepts", () => {
      const result = aslValidator(structuredClone(definitionOf(run)));
      expect(result.errorsText()).toBe("");
      expect(result.isValid).toBe(true);
    });

    it("lets its role invoke exactly its own step functions", () => {
      const role = run.one(T.role, "-sfn-role");
      const doc = JSON.parse(run.one(T.rolePolicy, "-sfn-policy").inputs.policy);
      expect(run.one(T.rolePolicy, "-sfn-policy").inputs.role).toBe(role.state.name);
      const invoked = new Set(
        doc.Statement
          // biome-ignore lint/suspicious/noExplicitAny: policy JSON
          .filter((s: any) => s.Action.includes("lambda:InvokeFunction"))
          // biome-ignore lint/suspicious/noExplicitAny: policy JSON
          .flatMap((s: any) => s.Resource)
          .map((arn: string) => arn.replace(/:\*$/, "")),
      );
      const own = STEP_NAMES.map((step) => run.one(T.fn, `-${step}-fn`).state.arn);
      expect([...invoked].sort()).toEqual(own.sort());
    });

    it("lets its role run its own Distributed Map over the batch landing prefix, list only that, and export its results", () => {
      const role = run.one(T.role, "-sfn-role");
      const policy = run.one(T.rolePolicy, "-sfn-distributed-map");
      expect(policy.inputs.role).toBe(role.state.name);
      const sm = run.ofType(T.sfn)[0].state.arn as string;
      const raw = run.ofType(T.bucket).find((b) => b.inputs.tags.role === "raw")!;
      const artifacts = run.ofType(T.bucket).find((b) => b.inputs.tags.role === "artifacts")!;
      expect(JSON.parse(policy.inputs.policy).Statement).toEqual([
        expect.objectContaining({ Action: ["states:StartExecution"], Resource: [sm] }),
        expect.objectContaining({
          Action: ["states:DescribeExecution", "states:StopExecution"],
          Resource: [`${sm.replace(":stateMachine:", ":execution:")}/*:*`],
        }),
        expect.objectContaining({
          Action: ["s3:ListBucket"],
          Resource: [raw.state.arn],
          Condition: { StringLike: { "s3:prefix": ["penguins/batch/*"] } },
        }),
        expect.objectContaining({
          Sid: "ExportMapResults",
          Resource: [`arn:aws:s3:::${artifacts.state.bucket}/penguins/batch-results/*`],
        }),
        expect.objectContaining({
          Sid: "EncryptMapResults",
          Action: ["kms:GenerateDataKey", "kms:Decrypt"],
        }),
      ]);
    });

    it(`starts on ${expected.schedule} in ${expected.timeZone}, with retries`, () => {
      const schedule = run.ofType(T.schedule)[0];
      expect(schedule.inputs).toMatchObject({
        scheduleExpression: expected.schedule,
        scheduleExpressionTimezone: expected.timeZone,
        state: "ENABLED",
        target: { arn: run.ofType(T.sfn)[0].state.arn },
      });
      expect(schedule.inputs.target.retryPolicy.maximumRetryAttempts).toBeGreaterThan(0);
    });

    it("starts each run with the uploaded spec, content-addressed in the artifacts bucket", () => {
      const input = JSON.parse(run.ofType(T.schedule)[0].inputs.target.input);
      const spec = run.one(T.object, "-spec");
      const artifacts = run.ofType(T.bucket).find((b) => b.inputs.tags.role === "artifacts")!;
      expect(spec.inputs).toMatchObject({
        bucket: artifacts.state.bucket,
        key: `penguins/specs/${SPEC_SHA}.yaml`,
        content: readFileSync(SPEC_FILE, "utf8"),
        serverSideEncryption: "aws:kms",
        kmsKeyId: keyArn,
      });
      expect(input.run).toMatchObject({
        pipeline: "penguins",
        specUri: `s3://${artifacts.state.bucket}/penguins/specs/${SPEC_SHA}.yaml`,
      });
      expect(input.run.sourceUri).toMatch(/^s3:\/\//);
    });

    it("alarms on failed, timed-out and throttled executions and on step errors, into the encrypted topic", () => {
      const topic = run.ofType(T.topic)[0];
      expect(topic.inputs.kmsMasterKeyId).toBe(keyArn);
      // The model and drift alarms (namespace Orchard) are tested in monitoring.test.ts.
      const alarms = run.ofType(T.alarm).filter((a) => a.inputs.namespace !== "Orchard");
      const metrics = alarms.map((a) => a.inputs.metricName ?? "step errors");
      expect(metrics.sort()).toEqual(
        // Two step-errors alarms: 12 step functions, at most 10 metrics per alarm.
        [
          "ExecutionThrottled",
          "ExecutionsFailed",
          "ExecutionsTimedOut",
          "step errors",
          "step errors",
        ].sort(),
      );
      for (const alarm of alarms) expect(alarm.inputs.alarmActions).toEqual([topic.state.arn]);
      const functions = alarms
        .filter((a) => a.inputs.metricQueries)
        .flatMap((a) => a.inputs.metricQueries)
        // biome-ignore lint/suspicious/noExplicitAny: alarm JSON
        .filter((q: any) => q.metric)
        // biome-ignore lint/suspicious/noExplicitAny: alarm JSON
        .map((q: any) => q.metric.dimensions.FunctionName);
      expect(functions.sort()).toEqual(
        STEP_NAMES.map((s) => run.one(T.fn, `-${s}-fn`).state.name).sort(),
      );
    });

    it(`${expected.email ? "e-mails" : "e-mails nobody about"} failures`, () => {
      const subs = run.ofType(T.subscription);
      expect(subs.map((s) => s.inputs.endpoint)).toEqual(expected.email ? [expected.email] : []);
    });
  });

  describe("serving", () => {
    it("serves predict through a `live` alias and a function URL with AWS_IAM auth", () => {
      const predict = run.one(T.fn, "-predict-fn");
      expect(predict.inputs.publish).toBe(true);
      const alias = run.ofType(T.alias)[0];
      expect(alias.inputs).toMatchObject({ name: "live", functionName: predict.state.name });
      expect(run.ofType(T.url)[0].inputs).toMatchObject({
        functionName: predict.state.name,
        qualifier: "live",
        authorizationType: "AWS_IAM",
      });
    });
  });

  it("tags every taggable resource with project, stack and component", () => {
    const taggable = run.resources.filter((r) => r.custom && isTaggable(r.type));
    expect(taggable.length).toBeGreaterThan(30);
    for (const r of taggable) {
      expect(r.inputs.tags, `${r.type} ${r.name}`).toMatchObject({
        project: "orchard",
        stack,
        component: expect.stringMatching(/^[a-z-]+$/),
      });
    }
  });

  it("exports bucket and table names, the state machine, the predict URL and role ARNs", () => {
    const out = run.outputs;
    for (const key of [
      "rawBucket",
      "featuresBucket",
      "artifactsBucket",
      "featureTable",
      "registryTable",
    ]) {
      expect(out[key], key).toMatch(/^orchard-/);
    }
    const penguins = out.pipelines.penguins;
    expect(penguins.stateMachineArn).toBe(run.ofType(T.sfn)[0].state.arn);
    expect(penguins.predictUrl).toMatch(/^https:\/\/.+\.lambda-url\./);
    expect(Object.keys(penguins.roleArns).sort()).toEqual(
      [...STEP_NAMES, "predict", "stateMachine"].sort(),
    );
    for (const arn of Object.values(penguins.roleArns)) {
      expect(arn).toMatch(new RegExp(`^arn:aws:iam::${ACCOUNT_ID}:role/`));
    }
    expect(Object.keys(out.humanRoleArns).sort()).toEqual(["dataScientist", "platformAdmin"]);
    expect(out.region).toBe(run.region);
    const groups = new Map(run.ofType(T.logGroup).map((g) => [g.state.name, g]));
    expect(Object.keys(penguins.logGroups).sort()).toEqual(
      [...STEP_NAMES, "predict", "stateMachine"].sort(),
    );
    for (const name of Object.values(penguins.logGroups))
      expect(groups.has(name as string)).toBe(true);
  });
});
