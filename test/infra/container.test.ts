/** `compute: container`: a step runs as a Fargate task the state machine starts and waits on. */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import aslValidator from "asl-validator";
import { beforeAll, describe, expect, it } from "vitest";
import {
  CONTAINER_HEARTBEAT_SECONDS,
  type ContainerTarget,
  cloudDefinition,
  ECS_RUN_TASK_TOKEN,
  type ResolvedTarget,
  S3_PUT_OBJECT,
} from "../../infra/cloud-definition.ts";
import { PROJECT_ROOT } from "../../infra/config.ts";
import { CONTAINER_RUNNER_ENTRY_POINT } from "../../infra/pipeline-step.ts";
import { CONTAINER_HEARTBEAT_INTERVAL_SECONDS } from "../../lambdas/container-runner.ts";
import type { TaskState } from "../../pipeline/workflow/asl.ts";
import { localResources, STEP_NAMES, type StepName } from "../../pipeline/workflow/steps.ts";
import { runStack, type StackRun } from "./harness.ts";

const CONTAINER = {
  image: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/orchard-steps:1",
  subnets: ["subnet-0a1b2c"],
  securityGroups: ["sg-0a1b2c"],
};

function lambdaTargets(): Record<StepName, ResolvedTarget> {
  const arns = localResources("churn");
  return Object.fromEntries(
    STEP_NAMES.map((s) => [s, { kind: "lambda", functionArn: arns[s] }]),
  ) as Record<StepName, ResolvedTarget>;
}

const trainTask: ContainerTarget = {
  kind: "container",
  clusterArn: "arn:aws:ecs:eu-west-1:123456789012:cluster/steps",
  taskDefinitionArn: "arn:aws:ecs:eu-west-1:123456789012:task-definition/train:3",
  containerName: "step",
  network: { subnets: ["subnet-1"], securityGroups: ["sg-1"], assignPublicIp: false },
  timeoutSeconds: 7200,
  inputStore: { bucket: "orchard-artifacts-1a2b3c", prefix: "churn/container-inputs/" },
};

describe("cloudDefinition", () => {
  it("is the workflow builder's definition when every step is a Lambda", async () => {
    const { buildDefinition } = await import("../../pipeline/workflow/definition.ts");
    expect(cloudDefinition({ pipeline: "churn" }, lambdaTargets())).toEqual(
      buildDefinition({ pipeline: "churn" }, localResources("churn")),
    );
  });

  it("runs a container step's Task (inside the Map too) as a Fargate task with a task token", () => {
    const definition = cloudDefinition(
      { pipeline: "churn" },
      { ...lambdaTargets(), train: trainTask },
    );
    const train = definition.States.Train;
    if (train.Type !== "Map") throw new Error("Train is not a Map");
    const task = train.ItemProcessor.States.TrainCandidate as TaskState;
    expect(task.Resource).toBe(ECS_RUN_TASK_TOKEN);
    expect(task.TimeoutSeconds).toBe(7200);
    expect(task.Parameters).toMatchObject({
      LaunchType: "FARGATE",
      Cluster: trainTask.clusterArn,
      TaskDefinition: trainTask.taskDefinitionArn,
      NetworkConfiguration: {
        AwsvpcConfiguration: {
          Subnets: ["subnet-1"],
          SecurityGroups: ["sg-1"],
          AssignPublicIp: "DISABLED",
        },
      },
    });
    expect(JSON.stringify(task.Parameters)).toContain('"Value.$":"$$.Task.Token"');
    // The state itself is never an override (ECS caps overrides at 8 KiB): only a reference.
    expect(JSON.stringify(task.Parameters)).not.toContain("States.JsonToString");
    expect(task.Retry).toEqual((definition.States.Select as TaskState).Retry);
    expect(aslValidator(structuredClone(definition)).isValid).toBe(true);
  });

  it("fails a silent container step after HeartbeatSeconds, not at its timeout", () => {
    const definition = cloudDefinition(
      { pipeline: "churn" },
      { ...lambdaTargets(), train: trainTask, select: { ...trainTask, timeoutSeconds: 200 } },
    );
    const train = definition.States.Train;
    if (train.Type !== "Map") throw new Error("Train is not a Map");
    const task = train.ItemProcessor.States.TrainCandidate as TaskState;
    expect(task.HeartbeatSeconds).toBe(CONTAINER_HEARTBEAT_SECONDS);
    expect(CONTAINER_HEARTBEAT_SECONDS).toBeGreaterThan(4 * CONTAINER_HEARTBEAT_INTERVAL_SECONDS);
    // HeartbeatSeconds must be below TimeoutSeconds: a short step relies on its timeout.
    expect((definition.States.Select as TaskState).HeartbeatSeconds).toBeUndefined();
    expect(aslValidator(structuredClone(definition)).isValid).toBe(true);
  });

  it("stores a container step's input in S3 first and passes the task only its key", () => {
    const definition = cloudDefinition(
      { pipeline: "churn" },
      { ...lambdaTargets(), train: trainTask, validate: { ...trainTask } },
    );
    // Top level: what led to Validate now leads to the state naming its input's key.
    expect((definition.States.Ingest as TaskState).Next).toBe("ValidateInput");
    const name = definition.States.ValidateInput as unknown as Record<string, unknown>;
    expect(name).toMatchObject({
      Type: "Pass",
      ResultPath: "$.validate",
      Next: "ValidateStoreInput",
    });
    expect(JSON.stringify(name.Parameters)).toContain("churn/container-inputs/");
    const store = definition.States.ValidateStoreInput as TaskState;
    expect(store).toMatchObject({
      Resource: S3_PUT_OBJECT,
      Parameters: {
        Bucket: "orchard-artifacts-1a2b3c",
        "Key.$": "$.validate.key",
        "Body.$": "States.JsonToString($)",
      },
      ResultPath: null,
      Next: "Validate",
    });
    expect(store.Catch).toEqual((definition.States.Select as TaskState).Catch);
    const env = JSON.stringify((definition.States.Validate as TaskState).Parameters);
    expect(env).toContain('{"Name":"ORCHARD_EVENT_KEY","Value.$":"$.validate.key"}');
    expect(env).toContain('{"Name":"ORCHARD_EVENT_REF","Value":"validate"}');
    // Inside the Map: the iteration starts at the input state.
    const train = definition.States.Train;
    if (train.Type !== "Map") throw new Error("Train is not a Map");
    expect(train.ItemProcessor.StartAt).toBe("TrainCandidateInput");
    expect(JSON.stringify(train.ItemProcessor.States.TrainCandidate)).toContain(
      '"Value":"orchardContainerInput"',
    );
    expect(aslValidator(structuredClone(definition)).isValid).toBe(true);
  });

  it("refuses overrides that could pass ECS's 8 KiB at their largest", () => {
    expect(() =>
      cloudDefinition(
        { pipeline: "churn" },
        { ...lambdaTargets(), train: { ...trainTask, containerName: "c".repeat(7000) } },
      ),
    ).toThrow(/over ECS's 8192/);
  });

  it("leaves the other steps on their Lambda ARNs", () => {
    const definition = cloudDefinition(
      { pipeline: "churn" },
      { ...lambdaTargets(), train: trainTask },
    );
    expect((definition.States.Select as TaskState).Resource).toBe(localResources("churn").select);
  });
});

describe("a stack with train in a container", () => {
  let run: StackRun;
  beforeAll(async () => {
    run = await runStack("staging", {
      config: {
        "orchard:steps": JSON.stringify({
          train: { compute: "container", cpu: 2048, memoryMb: 8192 },
        }),
        "orchard:container": JSON.stringify(CONTAINER),
      },
    });
  });

  it("declares an arm64 Fargate task definition running the image as the train role", () => {
    const task = run.one("aws:ecs/taskDefinition:TaskDefinition", "-train-task");
    const role = run.one("aws:iam/role:Role", "-access-penguins-train");
    expect(task.inputs).toMatchObject({
      cpu: "2048",
      memory: "8192",
      networkMode: "awsvpc",
      requiresCompatibilities: ["FARGATE"],
      runtimePlatform: { cpuArchitecture: "ARM64" },
      taskRoleArn: role.state.arn,
    });
    const [container] = JSON.parse(task.inputs.containerDefinitions);
    expect(container.image).toBe(CONTAINER.image);
    // The image's own entry point is `orchard serve`: the task must run the container runner.
    expect(container.entryPoint).toEqual([...CONTAINER_RUNNER_ENTRY_POINT]);
    // The compiled runner (lib/, no tsx in the image) of a source that exists.
    const script = CONTAINER_RUNNER_ENTRY_POINT.at(-1)!;
    expect(script).toMatch(/^lib\/.*\.js$/);
    const source = script.replace(/^lib\//, "").replace(/\.js$/, ".ts");
    expect(existsSync(path.join(PROJECT_ROOT, source))).toBe(true);
    const dockerfile = readFileSync(path.join(PROJECT_ROOT, "Dockerfile"), "utf8");
    expect(dockerfile).toMatch(/^WORKDIR \/app$/m);
    expect(dockerfile).toMatch(/^COPY --from=build \/app\/lib \.\/lib$/m);
    expect(container.environment).toContainEqual({ name: "ORCHARD_STEP", value: "train" });
    // The image names the code: its step cache keys change with the image reference.
    expect(container.environment).toContainEqual({
      name: "ORCHARD_CODE_VERSION",
      value: `image:${CONTAINER.image}`,
    });
    expect(JSON.parse(role.inputs.assumeRolePolicy).Statement[0].Principal).toEqual({
      Service: "ecs-tasks.amazonaws.com",
    });
  });

  it("has no train Lambda, and the state machine starts the task instead", () => {
    expect(
      run.ofType("aws:lambda/function:Function").some((f) => f.name.endsWith("-train-fn")),
    ).toBe(false);
    const definition = JSON.parse(
      run.ofType("aws:sfn/stateMachine:StateMachine")[0].inputs.definition,
    );
    const task = definition.States.Train.ItemProcessor.States.TrainCandidate;
    expect(task.Resource).toBe(ECS_RUN_TASK_TOKEN);
    expect(task.Parameters.TaskDefinition).toBe(
      run.one("aws:ecs/taskDefinition:TaskDefinition", "-train-task").state.arn,
    );
    expect(task.Parameters.Cluster).toBe(run.ofType("aws:ecs/cluster:Cluster")[0].state.arn);
  });

  it("lets the state machine store, and the train task read, only the pipeline's container inputs", () => {
    const bucketArn = run
      .ofType("aws:s3/bucket:Bucket")
      .find((b) => b.inputs.tags.role === "artifacts")!.state.arn;
    const sfn = JSON.parse(run.one("aws:iam/rolePolicy:RolePolicy", "-sfn-policy").inputs.policy);
    // biome-ignore lint/suspicious/noExplicitAny: policy JSON
    const put = sfn.Statement.find((s: any) => s.Action.includes("s3:PutObject"));
    expect(put.Resource).toEqual([`${bucketArn}/penguins/container-inputs/*`]);
    const task = JSON.parse(
      run.one("aws:iam/rolePolicy:RolePolicy", "-train-task-token").inputs.policy,
    );
    // biome-ignore lint/suspicious/noExplicitAny: policy JSON
    const get = task.Statement.find((s: any) => s.Action.includes("s3:GetObject"));
    expect(get.Resource).toEqual([`${bucketArn}/penguins/container-inputs/*`]);
    const definition = JSON.parse(
      run.ofType("aws:sfn/stateMachine:StateMachine")[0].inputs.definition,
    );
    expect(JSON.stringify(definition)).toContain(
      `"Bucket":"${run.ofType("aws:s3/bucket:Bucket").find((b) => b.inputs.tags.role === "artifacts")!.state.bucket}"`,
    );
  });

  it("lets the state machine run exactly that task definition", () => {
    const doc = JSON.parse(run.one("aws:iam/rolePolicy:RolePolicy", "-sfn-policy").inputs.policy);
    // biome-ignore lint/suspicious/noExplicitAny: policy JSON
    const runTask = doc.Statement.find((s: any) => s.Action.includes("ecs:RunTask"));
    expect(runTask.Resource).toEqual([
      run.one("aws:ecs/taskDefinition:TaskDefinition", "-train-task").state.arn,
    ]);
  });
});
