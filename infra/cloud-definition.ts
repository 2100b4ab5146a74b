/**
 * The definition the cloud runs: `buildDefinition` from pipeline/workflow (the same ASL
 * `orchard run` executes) with each step's real target. Lambda steps keep the builder's Task
 * states untouched. A container step's Task states (TrainCandidate inside the Map included)
 * become Fargate tasks started with `ecs:runTask.waitForTaskToken` — see infra/pipeline-step.ts
 * for why not `.sync` — keeping their ResultPath, Retry, Catch and transitions.
 */
import type { State, StateMachineDefinition, TaskState } from "../pipeline/workflow/asl.ts";
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
}

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
  return { ...definition, States: rewrite(definition.States, placeholders) };
}

function rewrite(
  states: Record<string, State>,
  placeholders: Map<string, ContainerTarget>,
): Record<string, State> {
  const out: Record<string, State> = {};
  for (const [name, state] of Object.entries(states)) {
    if (state.Type === "Task" && placeholders.has(state.Resource)) {
      out[name] = containerTask(state, placeholders.get(state.Resource)!);
    } else if (state.Type === "Map") {
      out[name] = {
        ...state,
        ItemProcessor: {
          ...state.ItemProcessor,
          States: rewrite(state.ItemProcessor.States, placeholders),
        },
      };
    } else {
      out[name] = state;
    }
  }
  return out;
}

function containerTask(state: TaskState, target: ContainerTarget): TaskState {
  return {
    ...state,
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
      Overrides: {
        ContainerOverrides: [
          {
            Name: target.containerName,
            Environment: [
              { Name: "ORCHARD_EVENT", "Value.$": "States.JsonToString($)" },
              { Name: "ORCHARD_TASK_TOKEN", "Value.$": "$$.Task.Token" },
            ],
          },
        ],
      },
    },
    TimeoutSeconds: target.timeoutSeconds,
    // HeartbeatSeconds must be below TimeoutSeconds; a step that short needs no heartbeat.
    ...(target.timeoutSeconds > CONTAINER_HEARTBEAT_SECONDS
      ? { HeartbeatSeconds: CONTAINER_HEARTBEAT_SECONDS }
      : {}),
  };
}
