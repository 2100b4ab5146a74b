/**
 * The definition the cloud runs: `buildDefinition` from pipeline/workflow (the same ASL
 * `orchard run` executes) with each step's real target. Lambda steps keep the builder's Task
 * states untouched. A container step's Task states (TrainCandidate inside the Map included)
 * become Fargate tasks started with `ecs:runTask.waitForTaskToken` — see infra/pipeline-step.ts
 * for why not `.sync` — keeping their ResultPath, Retry, Catch and transitions.
 */
import type {
  JsonValue,
  State,
  StateMachineDefinition,
  TaskState,
} from "../pipeline/workflow/asl.ts";
import { buildDefinition, type WorkflowOptions } from "../pipeline/workflow/definition.ts";
import { STEP_NAMES, type StepName, type StepResources } from "../pipeline/workflow/steps.ts";

export const ECS_RUN_TASK_TOKEN = "arn:aws:states:::ecs:runTask.waitForTaskToken";

/**
 * A container step that stops reporting fails after this long (States.HeartbeatTimeout, which
 * the Task's Retry and Catch see like any error) instead of waiting out its whole timeout
 * (3,600 s by default) when the task crashed without SendTaskFailure. Five minutes, because the
 * clock starts at RunTask and Fargate may take a few minutes to pull the image and start the
 * container before the runner's first heartbeat; the runner then beats every
 * CONTAINER_HEARTBEAT_INTERVAL_SECONDS (lambdas/container-runner.ts).
 */
export const CONTAINER_HEARTBEAT_SECONDS = 300;

export interface ContainerTarget {
  kind: "container";
  clusterArn: string;
  taskDefinitionArn: string;
  containerName: string;
  network: { subnets: string[]; securityGroups: string[]; assignPublicIp: boolean };
  timeoutSeconds: number;
  /** Where the state machine stores each container step's input: `s3://<bucket>/<prefix>…`. */
  inputStore: { bucket: string; prefix: string };
}

/** The key prefix of stored container inputs, under the pipeline's artifacts. */
export function containerInputPrefix(pipeline: string): string {
  return `${pipeline}/container-inputs/`;
}

export const S3_PUT_OBJECT = "arn:aws:states:::aws-sdk:s3:putObject";

/**
 * ECS caps a RunTask's overrides at 8,192 characters, JSON formatting included (Amazon ECS API
 * Reference, TaskOverride / RunTask: "A total of 8192 characters are allowed for overrides").
 * The state itself would not fit (the Train Map's results alone can pass it), so a container
 * step gets only a reference to its input, stored in S3 by the state before it; the bound of
 * what remains is checked when the definition is built.
 */
export const MAX_ECS_OVERRIDES_CHARS = 8192;

/** Step Functions task tokens are at most 2,048 characters (SendTaskSuccess `taskToken`). */
const MAX_TASK_TOKEN_CHARS = 2048;
/** Execution names are at most 80 characters; States.UUID() gives 36. */
const MAX_EXECUTION_NAME_CHARS = 80;
const UUID_CHARS = 36;

/** The top-level state key where a container step's input reference is kept until it runs. */
const DEFAULT_REF_KEY = "orchardContainerInput";

export type ResolvedTarget = { kind: "lambda"; functionArn: string } | ContainerTarget;

export function cloudDefinition(
  options: WorkflowOptions,
  targets: Record<StepName, ResolvedTarget>,
): StateMachineDefinition {
  // The builder checks every resource is a distinct Lambda ARN; container steps get a
  // placeholder that is replaced below and never reaches AWS.
  const placeholders = new Map<string, ContainerTarget>();
  const resources = {} as StepResources;
  for (const step of STEP_NAMES) {
    const target = targets[step];
    if (target.kind === "lambda") {
      resources[step] = target.functionArn;
    } else {
      const placeholder = `arn:aws:lambda:us-east-1:000000000000:function:orchard-container-${step}`;
      placeholders.set(placeholder, target);
      resources[step] = placeholder;
    }
  }
  const definition = buildDefinition(options, resources);
  if (placeholders.size === 0) return definition;
  const rewritten = rewrite(definition.States, placeholders, definition.StartAt);
  return { ...definition, StartAt: rewritten.startAt, States: rewritten.states };
}

function rewrite(
  states: Record<string, State>,
  placeholders: Map<string, ContainerTarget>,
  startAt: string,
): { states: Record<string, State>; startAt: string } {
  const out: Record<string, State> = {};
  const entry = new Map<string, string>(); // container task → the state that now starts it
  for (const [name, state] of Object.entries(states)) {
    if (state.Type === "Task" && placeholders.has(state.Resource)) {
      const stored = containerTask(name, state, placeholders.get(state.Resource)!);
      Object.assign(out, stored.states);
      entry.set(name, stored.entry);
    } else if (state.Type === "Map") {
      const inner = rewrite(state.ItemProcessor.States, placeholders, state.ItemProcessor.StartAt);
      out[name] = {
        ...state,
        ItemProcessor: { ...state.ItemProcessor, StartAt: inner.startAt, States: inner.states },
      };
    } else {
      out[name] = state;
    }
  }
  // Whatever led to a container task now leads to the state that stores its input first.
  const to = (next: string) => entry.get(next) ?? next;
  const added = new Set([...entry.keys()].flatMap((t) => [inputStateName(t), storeStateName(t)]));
  for (const [name, state] of Object.entries(out)) {
    if (added.has(name)) continue;
    const s = state as State & {
      Next?: string;
      Default?: string;
      Choices?: { Next: string }[];
      Catch?: { Next: string }[];
    };
    const copy = { ...s } as typeof s;
    if (copy.Next) copy.Next = to(copy.Next);
    if (copy.Default) copy.Default = to(copy.Default);
    if (copy.Choices) copy.Choices = copy.Choices.map((c) => ({ ...c, Next: to(c.Next) }));
    if (copy.Catch) copy.Catch = copy.Catch.map((c) => ({ ...c, Next: to(c.Next) }));
    out[name] = copy as State;
  }
  return { states: out, startAt: to(startAt) };
}

const inputStateName = (task: string) => `${task}Input`;
const storeStateName = (task: string) => `${task}StoreInput`;

/**
 * A container step as three states: a Pass that names a fresh S3 key for its input (under the
 * step's own result path, which the step's result then replaces), a Task that stores the
 * whole state there (S3 PutObject through Step Functions' SDK integration), and the Fargate
 * task, which gets only the bucket, the key and where the reference sits (the runner reads the
 * input and removes the reference before calling the handler).
 */
function containerTask(
  name: string,
  state: TaskState,
  target: ContainerTarget,
): { states: Record<string, State>; entry: string } {
  const resultPath = state.ResultPath;
  const refKey =
    typeof resultPath === "string" && /^\$\.[A-Za-z][A-Za-z0-9]*$/.test(resultPath)
      ? resultPath.slice(2)
      : DEFAULT_REF_KEY;
  const refPath = `$.${refKey}`;
  const overrides: JsonValue = {
    ContainerOverrides: [
      {
        Name: target.containerName,
        Environment: [
          { Name: "ORCHARD_EVENT_BUCKET", Value: target.inputStore.bucket },
          { Name: "ORCHARD_EVENT_KEY", "Value.$": `${refPath}.key` },
          { Name: "ORCHARD_EVENT_REF", Value: refKey },
          { Name: "ORCHARD_TASK_TOKEN", "Value.$": "$$.Task.Token" },
        ],
      },
    ],
  };
  checkOverridesBound(name, overrides, target);
  const { Next, End, ...rest } = state as TaskState & { Next?: string; End?: true };
  const task: TaskState = {
    ...(rest as TaskState),
    Resource: ECS_RUN_TASK_TOKEN,
    Parameters: {
      LaunchType: "FARGATE",
      Cluster: target.clusterArn,
      TaskDefinition: target.taskDefinitionArn,
      NetworkConfiguration: {
        AwsvpcConfiguration: {
          Subnets: target.network.subnets,
          SecurityGroups: target.network.securityGroups,
          AssignPublicIp: target.network.assignPublicIp ? "ENABLED" : "DISABLED",
        },
      },
      Overrides: overrides,
    },
    TimeoutSeconds: target.timeoutSeconds,
    // HeartbeatSeconds must be below TimeoutSeconds; a step that short needs no heartbeat.
    ...(target.timeoutSeconds > CONTAINER_HEARTBEAT_SECONDS
      ? { HeartbeatSeconds: CONTAINER_HEARTBEAT_SECONDS }
      : {}),
    ...(End ? { End: true } : { Next: Next as string }),
  } as TaskState;
  const name0 = inputStateName(name);
  const store: TaskState = {
    Type: "Task",
    Resource: S3_PUT_OBJECT,
    Parameters: {
      Bucket: target.inputStore.bucket,
      "Key.$": `${refPath}.key`,
      "Body.$": "States.JsonToString($)",
    },
    ResultPath: null,
    // S3 throttling or a brief outage: a few quick tries, then the step's own Catch.
    Retry: [{ ErrorEquals: ["States.ALL"], IntervalSeconds: 2, BackoffRate: 2, MaxAttempts: 3 }],
    ...(state.Catch ? { Catch: state.Catch.map((c) => ({ ...c })) } : {}),
    Next: name,
  } as TaskState;
  return {
    entry: name0,
    states: {
      [name0]: {
        Type: "Pass",
        Parameters: {
          "key.$": `States.Format('${target.inputStore.prefix}{}/{}.json', $$.Execution.Name, States.UUID())`,
        },
        ResultPath: refPath,
        Next: storeStateName(name),
      } as unknown as State,
      [storeStateName(name)]: store,
      [name]: task,
    },
  };
}

/** The overrides at their largest (longest token and key) must fit ECS's 8,192 characters. */
function checkOverridesBound(name: string, overrides: unknown, target: ContainerTarget): void {
  const key = `${target.inputStore.prefix}${"x".repeat(MAX_EXECUTION_NAME_CHARS)}/${"x".repeat(UUID_CHARS)}.json`;
  const largest = JSON.stringify(overrides)
    .replace(/"Value\.\$":"\$\$\.Task\.Token"/, `"Value":"${"x".repeat(MAX_TASK_TOKEN_CHARS)}"`)
    .replace(/"Value\.\$":"[^"]*\.key"/, `"Value":"${key}"`);
  if (largest.length > MAX_ECS_OVERRIDES_CHARS) {
    throw new Error(
      `the container overrides of ${name} may reach ${largest.length} characters, over ECS's ${MAX_ECS_OVERRIDES_CHARS}; shorten the container name or the artifacts bucket name`,
    );
  }
}
