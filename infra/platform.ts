/**
 * Platform: the whole stack as one component, so the entry point stays three lines and tests
 * can build it with a fake code archive. Shared: the data lake (buckets + key), the feature
 * store, the model registry, the alert topic and the roles. Per pipeline spec: the spec
 * upload, a function (or Fargate task) per workflow step, the serving function, the state
 * machine with its schedule (its input carries the spec's batch prefix, if any) and alarms,
 * and the step grants.
 *
 * `protect` (prod) applies to the stateful resources only: the key, the buckets and the
 * tables. Everything else is replaceable by design, and uploaded specs are content-addressed
 * and kept on delete (`retainOnDelete`) so old models' lineage still resolves.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { BUNDLE_OF, MATERIALIZE_BUNDLE, MONITOR_BUNDLE } from "../lambdas/bundles.ts";
import { STORAGE_ENV } from "../lambdas/io/env.ts";
import { STEP_CACHE_ENV } from "../lambdas/io/step-cache-settings.ts";
import { shardPrefix } from "../pipeline/steps/intermediate-keys.ts";
import { STEP_NAMES, type StepName } from "../pipeline/workflow/steps.ts";
import type { AccessTargets } from "./access/policies.ts";
import { Access } from "./access.ts";
import { canaryAlarmNames } from "./alarm-names.ts";
import { Alerts } from "./alerts.ts";
import { CaptureDelivery, captureEnvironment } from "./capture-delivery.ts";
import type { LambdaCode } from "./code.ts";
import { FUNCTION_KEYS, type FunctionKey, type OrchardConfig } from "./config.ts";
import { DataLake } from "./data-lake.ts";
import { FeatureStore } from "./feature-store.ts";
import { FeatureViewMaterialization } from "./feature-view.ts";
import { KubernetesServing } from "./kubernetes.ts";
import { stateMachineLogGroupRoot, stepLogGroupRoot } from "./log-group-names.ts";
import { ModelRegistry } from "./model-registry.ts";
import { Monitor } from "./monitor.ts";
import { gateAlarmBound, Monitoring } from "./monitoring.ts";
import { Pipeline } from "./pipeline.ts";
import { createStepCluster, PipelineStep, type StepTarget } from "./pipeline-step.ts";
import { Serving } from "./serving.ts";
import type { DeploySpec, DeployView } from "./specs.ts";
import { componentTags } from "./tags.ts";

export interface PlatformArgs {
  config: OrchardConfig;
  specs: DeploySpec[];
  code: LambdaCode;
  /** Default: the deploying account (`aws.getCallerIdentity`). */
  accountId?: pulumi.Input<string>;
}

export interface PipelineOutputs {
  stateMachineArn: pulumi.Output<string>;
  scheduleName: pulumi.Output<string>;
  specUri: pulumi.Output<string>;
  sourceUri: pulumi.Output<string>;
  /** Where BatchScore scores (`s3://bucket/prefix`); absent when the spec has no deploy.batch. */
  batchUri?: pulumi.Output<string>;
  /** The batch-score Lambda's name, to invoke by hand (absent when it runs as a container). */
  batchScoreFunction?: pulumi.Output<string>;
  predictUrl: pulumi.Output<string>;
  predictFunctionArn: pulumi.Output<string>;
  roleArns: Record<string, pulumi.Output<string>>;
  /** Log group names per step (`predict` included) and of the state machine (`stateMachine`). */
  logGroups: Record<string, pulumi.Output<string>>;
  /** The Monitor's state machine, when the spec has `monitor.capture` (infra/monitor.ts). */
  monitorStateMachineArn?: pulumi.Output<string>;
}

export class Platform extends pulumi.ComponentResource {
  readonly dataLake: DataLake;
  readonly featureStore: FeatureStore;
  readonly registry: ModelRegistry;
  readonly alerts: Alerts;
  readonly access: Access;
  readonly pipelines: Record<string, PipelineOutputs> = {};
  /** Per feature view the pipelines consume: its materialization (state machine, schedule, role). */
  readonly views: Record<string, FeatureViewMaterialization> = {};
  /** `orchard serve` in a cluster, with `orchard:serving.target: kubernetes`. */
  readonly kubernetes?: KubernetesServing;

  constructor(name: string, args: PlatformArgs, opts?: pulumi.ComponentResourceOptions) {
    super("orchard:platform:Platform", name, {}, opts);
    const { config, specs } = args;
    if (specs.length === 0)
      throw new Error(`Platform ${name}: specs is empty; deploy at least one pipeline`);
    const child = { parent: this };
    const accountId = args.accountId ?? aws.getCallerIdentityOutput({}, { parent: this }).accountId;

    this.dataLake = new DataLake(
      `${name}-data`,
      {
        accountId,
        region: config.region,
        protect: config.protect,
        accessLogDays: config.logRetentionDays,
        // Captured predictions and their labels are kept for monitor.capture.retentionDays.
        artifactExpirations: [
          ...specs.flatMap((s) => {
            const capture = s.spec.monitor.capture;
            if (!capture) return [];
            return (["capture", "labels"] as const).map((kind) => ({
              id: `expire-${s.name}-${kind}`,
              prefix: `${s.name}/${kind}/`,
              days: capture.retentionDays,
            }));
          }),
          // A sharded fit's tree shards are intermediate: Assemble reads them in the same run.
          ...specs
            .filter((s) => s.spec.model.shards > 1)
            .map((s) => ({
              id: `expire-${s.name}-shards`,
              prefix: shardPrefix(s.name),
              days: config.shardObjectDays,
            })),
        ],
      },
      child,
    );
    const keyArn = this.dataLake.key.arn;
    this.featureStore = new FeatureStore(
      `${name}-features`,
      { keyArn, protect: config.protect },
      child,
    );
    this.registry = new ModelRegistry(
      `${name}-registry`,
      { keyArn, protect: config.protect },
      child,
    );
    this.alerts = new Alerts(
      `${name}-alerts`,
      { keyArn, accountId, ...(config.alarmEmail ? { email: config.alarmEmail } : {}) },
      child,
    );
    const compute = Object.fromEntries(
      FUNCTION_KEYS.map((k) => [k, config.steps[k].compute]),
    ) as Record<FunctionKey, "lambda" | "container">;
    this.access = new Access(
      `${name}-access`,
      {
        accountId,
        pipelines: specs.map((s) => ({
          name: s.name,
          compute,
          monitor: s.spec.monitor.capture !== null,
        })),
      },
      child,
    );

    const storageEnv: Record<string, pulumi.Input<string>> = {
      [STORAGE_ENV.rawBucket]: this.dataLake.raw.bucket.bucket,
      [STORAGE_ENV.featuresBucket]: this.dataLake.features.bucket.bucket,
      [STORAGE_ENV.artifactsBucket]: this.dataLake.artifacts.bucket.bucket,
      [STORAGE_ENV.featureTable]: this.featureStore.table.name,
      [STORAGE_ENV.registryTable]: this.registry.table.name,
    };
    const stateMachineArns: pulumi.Output<string>[] = [];
    const sourceObjectArns: pulumi.Output<string>[] = [];

    for (const spec of specs) {
      const out = this.deployPipeline(name, spec, args, storageEnv, accountId);
      stateMachineArns.push(out.stateMachineArn);
      sourceObjectArns.push(...out.sourceObjectArns);
      this.pipelines[spec.name] = out.outputs;
    }
    this.deployViews(name, specs, args, storageEnv, accountId);
    if (config.serving?.target === "kubernetes") {
      this.kubernetes = new KubernetesServing(
        `${name}-k8s`,
        {
          config: config.serving.kubernetes,
          region: config.region,
          storageEnv,
          pipelines: specs.map((s) => ({
            name: s.name,
            specYaml: s.yaml,
            targets: pulumi.output({
              pipeline: s.name,
              ...this.sharedTargets(),
              predictFunctionArn: this.pipelines[s.name].predictFunctionArn,
              sourceObjectArns: [],
              // The pods look up the views' online items, as the predict Lambda does.
              views: s.spec.features.from.map((f) => f.view),
            }),
            views: s.spec.features.from.length > 0,
          })),
        },
        child,
      );
    }

    this.access.grantHumans(
      specs.map((s) => s.name),
      pulumi.output({
        pipelines: specs.map((s) => s.name),
        ...this.sharedTargets(),
        // Humans may read every pipeline's sources; the data scientist's grants decide.
        sourceObjectArns,
        predictFunctionArns: Object.values(this.pipelines).map((p) => p.predictFunctionArn),
        stateMachineArns,
        // Every feature view of the stack: people read them with `orchard features`.
        views: [...new Set(specs.flatMap((s) => s.views.map((v) => v.view.name)))],
        // Every log group of the stack (steps, serving, state machines), by name prefix.
        logGroupNamePrefixes: [
          stepLogGroupRoot(pulumi.getStack()),
          stateMachineLogGroupRoot(pulumi.getStack()),
        ],
      }),
    );
    this.registerOutputs({});
  }

  private sharedTargets() {
    return {
      buckets: {
        raw: this.dataLake.raw.bucket.arn,
        features: this.dataLake.features.bucket.arn,
        artifacts: this.dataLake.artifacts.bucket.arn,
      },
      tables: { features: this.featureStore.table.arn, registry: this.registry.table.arn },
      keyArn: this.dataLake.key.arn,
      alertTopicArn: this.alerts.topic.arn,
    };
  }

  private deployPipeline(
    name: string,
    spec: DeploySpec,
    args: PlatformArgs,
    storageEnv: Record<string, pulumi.Input<string>>,
    accountId: pulumi.Input<string>,
  ) {
    const { config, code } = args;
    const p = `${name}-${spec.name}`;
    const child = { parent: this };
    const tags = componentTags("pipeline", { pipeline: spec.name });
    const roles = this.access.stepRoles[spec.name];
    const artifacts = this.dataLake.artifacts.bucket;
    const keyArn = this.dataLake.key.arn;

    const specObject = new aws.s3.BucketObject(
      `${p}-spec`,
      {
        bucket: artifacts.id,
        key: spec.specKey,
        content: spec.yaml,
        contentType: "application/yaml",
        serverSideEncryption: "aws:kms",
        kmsKeyId: keyArn,
        bucketKeyEnabled: true,
        tags,
      },
      { parent: this, retainOnDelete: true },
    );
    const specUri = pulumi.interpolate`s3://${specObject.bucket}/${specObject.key}`;
    const raw = this.dataLake.raw.bucket;
    let sourceUri: pulumi.Output<string>;
    let sourceObjectArn: pulumi.Output<string>;
    if (spec.source.kind === "s3") {
      sourceUri = pulumi.output(spec.source.uri);
      sourceObjectArn = pulumi.output(`arn:aws:s3:::${spec.source.bucket}/${spec.source.key}`);
    } else {
      const upload = new aws.s3.BucketObject(
        `${p}-source`,
        {
          bucket: raw.id,
          key: spec.source.key,
          source: new pulumi.asset.FileAsset(spec.source.file),
          serverSideEncryption: "aws:kms",
          kmsKeyId: keyArn,
          bucketKeyEnabled: true,
          tags,
        },
        { parent: this, retainOnDelete: true },
      );
      sourceUri = pulumi.interpolate`s3://${upload.bucket}/${upload.key}`;
      sourceObjectArn = pulumi.interpolate`${raw.arn}/${upload.key}`;
    }
    // The batch location: a user's bucket, or the pipeline's landing prefix in the raw bucket.
    const batch =
      spec.batch?.kind === "lake"
        ? {
            uri: pulumi.interpolate`s3://${raw.bucket}/${spec.batch.key}`,
            prefix: { bucketArn: raw.arn, prefix: spec.batch.key },
          }
        : spec.batch
          ? {
              uri: pulumi.output(spec.batch.uri),
              prefix: { bucketArn: `arn:aws:s3:::${spec.batch.bucket}`, prefix: spec.batch.key },
            }
          : null;

    const serving = new Serving(
      `${p}-serving`,
      {
        pipeline: spec.name,
        settings: config.steps.predict,
        role: roles.predict,
        code: code(BUNDLE_OF.predict).archive,
        environment: {
          ...storageEnv,
          ...captureEnvironment(spec.spec.monitor.capture, spec.spec.id),
        },
        logRetentionDays: config.logRetentionDays,
        logKeyArn: keyArn,
      },
      child,
    );

    if (spec.spec.monitor.capture) {
      new CaptureDelivery(
        `${p}-capture`,
        {
          pipeline: spec.name,
          region: config.region,
          accountId,
          bucketArn: artifacts.arn,
          keyArn,
          logGroupName: serving.step.logGroup.name,
          logGroupArn: serving.step.logGroup.arn,
        },
        child,
      );
    }

    const anyContainer = STEP_NAMES.some((s) => config.steps[s].compute === "container");
    const cluster = anyContainer ? createStepCluster(`${p}-cluster`, spec.name, child) : undefined;
    // Names known before the alarms exist (infra/alarm-names.ts): no cycle through the
    // step-errors alarm, which watches the canary function too.
    const canaryAlarms = canaryAlarmNames(pulumi.getStack(), spec.name, {
      stepFunctions: STEP_NAMES.filter((s) => config.steps[s].compute === "lambda").length,
      gate: gateAlarmBound(spec.spec.gate) !== null,
    });
    const steps = {} as Record<StepName, PipelineStep>;
    for (const step of STEP_NAMES) {
      const settings = config.steps[step];
      const bundle = settings.compute === "lambda" ? code(BUNDLE_OF[step]) : undefined;
      steps[step] = new PipelineStep(
        `${p}-${step}`,
        {
          pipeline: spec.name,
          step,
          settings,
          role: roles[step],
          ...(bundle ? { code: bundle.archive } : {}),
          environment: {
            ...storageEnv,
            // The default pipeline of a hand-invoked batch-score (`{"inputUri": …}`).
            ORCHARD_PIPELINE: spec.name,
            // Part of every step cache key: new code never reuses old cached outputs.
            [STEP_CACHE_ENV.codeVersion]: bundle?.version ?? `image:${config.container?.image}`,
            ...(step === "notifyFailure" ? { ORCHARD_ALERT_TOPIC_ARN: this.alerts.topic.arn } : {}),
            ...(step === "canary" ? { ORCHARD_CANARY_ALARMS: canaryAlarms.join(",") } : {}),
          },
          logRetentionDays: config.logRetentionDays,
          logKeyArn: keyArn,
          ...(settings.compute === "container" &&
          config.container &&
          cluster &&
          this.access.executionRole
            ? {
                container: {
                  config: config.container,
                  executionRole: this.access.executionRole,
                  region: config.region,
                  cluster,
                  inputs: { bucketArn: artifacts.arn, keyArn },
                },
              }
            : {}),
        },
        child,
      );
    }

    const targets: pulumi.Input<AccessTargets> = pulumi.output({
      pipeline: spec.name,
      ...this.sharedTargets(),
      predictFunctionArn: serving.function.arn,
      sourceObjectArns: [sourceObjectArn],
      batchPrefix: batch?.prefix ?? null,
      // Read grants on the feature views the spec takes features from (`features.from`).
      views: spec.spec.features.from.map((f) => f.view),
    });
    for (const step of STEP_NAMES) {
      this.access.grantStep(spec.name, step, targets, steps[step].logGroup.arn);
    }
    this.access.grantStep(spec.name, "predict", targets, serving.step.logGroup.arn);

    const lambdaSteps = STEP_NAMES.filter((s) => config.steps[s].compute === "lambda");
    const pipeline = new Pipeline(
      p,
      {
        pipeline: spec.name,
        accountId,
        region: config.region,
        targets: Object.fromEntries(STEP_NAMES.map((s) => [s, steps[s].target])) as Record<
          StepName,
          StepTarget
        >,
        functionNames: lambdaSteps.map((s) => steps[s].function!.name),
        steps: lambdaSteps,
        ...(spec.config.trainConcurrency !== undefined
          ? { trainConcurrency: spec.config.trainConcurrency }
          : {}),
        taskTimeoutSeconds: Math.max(...lambdaSteps.map((s) => config.steps[s].timeoutSeconds), 1),
        ...(batch
          ? {
              batchPrefix: batch.prefix,
              batchResults: { bucketArn: artifacts.arn, keyArn },
              batchToleratedFailurePercent: spec.spec.deploy.batch?.toleratedFailurePercent ?? 0,
            }
          : {}),
        logRetentionDays: config.logRetentionDays,
        logKeyArn: keyArn,
        logExecutionData: config.logExecutionData,
        schedule: {
          expression: spec.config.schedule,
          timeZone: spec.config.timeZone,
          enabled: spec.config.enabled,
        },
        input: pulumi.output({
          run: {
            pipeline: spec.name,
            specUri,
            sourceUri,
            ...(batch ? { batchUri: batch.uri } : {}),
          },
        }),
        alertTopicArn: this.alerts.topic.arn,
        ...(anyContainer
          ? {
              containerInputs: {
                bucketName: artifacts.bucket,
                bucketArn: artifacts.arn,
                keyArn,
              },
            }
          : {}),
      },
      child,
    );
    new Monitoring(
      `${p}-monitoring`,
      {
        pipeline: spec.name,
        region: config.region,
        task: spec.spec.task,
        gate: spec.spec.gate,
        retrain: spec.spec.retrain,
        stateMachineArn: pipeline.stateMachine.arn,
        stepFunctions: lambdaSteps.map((s) => ({ step: s, functionName: steps[s].function!.name })),
        alertTopicArn: this.alerts.topic.arn,
      },
      child,
    );

    // The Monitor, with capture: nothing to join without captured predictions.
    let monitor: Monitor | undefined;
    if (spec.spec.monitor.capture) {
      const monitorCode = code(MONITOR_BUNDLE);
      monitor = new Monitor(
        `${p}-monitor`,
        {
          pipeline: spec.name,
          accountId,
          region: config.region,
          role: this.access.monitorRoles[spec.name],
          code: monitorCode.archive,
          codeVersion: monitorCode.version,
          storageEnv,
          gateMetric: spec.spec.gate.metric,
          minLabels: spec.spec.monitor.minLabels,
          logRetentionDays: config.logRetentionDays,
          keyArn,
          specUri,
          pipelineStateMachineArn: pipeline.stateMachine.arn,
          retrainInput: pulumi.output({
            run: {
              pipeline: spec.name,
              specUri,
              sourceUri,
              ...(batch ? { batchUri: batch.uri } : {}),
            },
          }),
          retrainEnabled: spec.config.enabled,
          alertTopicArn: this.alerts.topic.arn,
        },
        child,
      );
      this.access.grantStep(spec.name, "monitor", targets, monitor.logGroup.arn);
    }

    const roleArns: Record<string, pulumi.Output<string>> = Object.fromEntries(
      FUNCTION_KEYS.map((k) => [k, roles[k].arn]),
    );
    roleArns.stateMachine = pipeline.role.arn;
    const logGroups: Record<string, pulumi.Output<string>> = Object.fromEntries(
      STEP_NAMES.map((s) => [s, steps[s].logGroup.name]),
    );
    logGroups.predict = serving.step.logGroup.name;
    logGroups.stateMachine = pipeline.logGroup.name;
    if (monitor) {
      roleArns.monitor = this.access.monitorRoles[spec.name].arn;
      logGroups.monitor = monitor.logGroup.name;
    }
    return {
      stateMachineArn: pipeline.stateMachine.arn,
      sourceObjectArns: [sourceObjectArn],
      outputs: {
        stateMachineArn: pipeline.stateMachine.arn,
        scheduleName: pipeline.schedule.name,
        specUri,
        sourceUri,
        ...(batch ? { batchUri: batch.uri } : {}),
        ...(steps.batchScore.function
          ? { batchScoreFunction: steps.batchScore.function.name }
          : {}),
        predictUrl: serving.url.functionUrl,
        predictFunctionArn: serving.function.arn,
        roleArns,
        logGroups,
        ...(monitor ? { monitorStateMachineArn: monitor.stateMachine.arn } : {}),
      } satisfies PipelineOutputs,
    };
  }

  /**
   * One materialization per feature view the specs consume. Two pipelines sharing a view
   * share its materialization; two different files with one view name are refused.
   */
  private deployViews(
    name: string,
    specs: DeploySpec[],
    args: PlatformArgs,
    storageEnv: Record<string, pulumi.Input<string>>,
    accountId: pulumi.Input<string>,
  ): void {
    const seen = new Map<string, DeployView>();
    for (const spec of specs) {
      for (const v of spec.views) {
        const other = seen.get(v.view.name);
        if (other && other.yaml !== v.yaml) {
          throw new Error(
            `Platform ${name}: feature view "${v.view.name}" is defined twice, differently (${other.file} and ${v.file}); keep one definition`,
          );
        }
        seen.set(v.view.name, v);
      }
    }
    if (seen.size === 0) return;
    const code = args.code(MATERIALIZE_BUNDLE);
    for (const v of seen.values()) {
      this.views[v.view.name] = new FeatureViewMaterialization(
        `${name}-view-${v.view.name.replaceAll("_", "-")}`,
        {
          view: v.view,
          yaml: v.yaml,
          source: v.source,
          accountId,
          region: args.config.region,
          keyArn: this.dataLake.key.arn,
          featuresBucket: {
            name: this.dataLake.features.bucket.bucket,
            arn: this.dataLake.features.bucket.arn,
          },
          featureTable: { name: this.featureStore.table.name, arn: this.featureStore.table.arn },
          storageEnv,
          code: code.archive,
          codeVersion: code.version,
          logRetentionDays: args.config.logRetentionDays,
          alertTopicArn: this.alerts.topic.arn,
        },
        { parent: this },
      );
    }
  }
}
