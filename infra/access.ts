/**
 * Access: the IAM roles of the platform. One execution role per step of every pipeline
 * (Lambda, or the task role of a Fargate step), the Monitor's of a pipeline that has one, the
 * shared ECS execution role when any step runs in a container, and the human roles
 * `data-scientist` and `platform-admin`.
 *
 * What each role may do is NOT decided here: `infra/access/policies.ts` builds every policy
 * from the access each step declares. Roles are created first (functions need their ARNs) and
 * granted afterwards with `grantStep` / `grantHumans`, once the functions and state machines
 * they are scoped to exist.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import {
  type AccessTargets,
  ECS_TASKS_TRUST_POLICY,
  type HumanRoleName,
  type HumanTargets,
  humanPolicyPartCount,
  humanPolicyParts,
  humanTrustPolicy,
  LAMBDA_TRUST_POLICY,
  MAX_MANAGED_POLICIES_PER_ROLE,
  MAX_MANAGED_POLICY_CHARS,
  MAX_PIPELINES_PER_STACK,
  PIPELINES_PER_HUMAN_POLICY,
  type StepRoleName,
  stepPolicy,
} from "./access/policies.ts";
import type { Compute, FunctionKey } from "./config.ts";
import { componentTags } from "./tags.ts";

export const HUMAN_ROLES: readonly HumanRoleName[] = ["data-scientist", "platform-admin"];

/**
 * AWS's managed policy for pulling the image and writing container logs. Its ECR and Logs
 * actions are on `*` (ecr:GetAuthorizationToken has no resource scope, and the image may live
 * in any repository the operator names); it grants nothing on Orchard's data.
 */
const ECS_EXECUTION_POLICY_ARN =
  "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy";

export interface AccessArgs {
  accountId: pulumi.Input<string>;
  /**
   * Each pipeline and how each of its steps runs; `monitor`: it has a Monitor (its spec has
   * `monitor.capture`), whose Lambda gets a role too (infra/monitor.ts).
   */
  pipelines: { name: string; compute: Record<FunctionKey, Compute>; monitor?: boolean }[];
}

export class Access extends pulumi.ComponentResource {
  /** `stepRoles[pipeline][step]`. */
  readonly stepRoles: Record<string, Record<FunctionKey, aws.iam.Role>> = {};
  /** `monitorRoles[pipeline]`, for the pipelines with a Monitor. */
  readonly monitorRoles: Record<string, aws.iam.Role> = {};
  readonly humanRoles: Record<HumanRoleName, aws.iam.Role>;
  /** The ECS task execution role, when any step runs in a container. */
  readonly executionRole?: aws.iam.Role;
  private readonly name: string;

  constructor(name: string, args: AccessArgs, opts?: pulumi.ComponentResourceOptions) {
    super("orchard:access:Access", name, {}, opts);
    this.name = name;
    const child = { parent: this };
    const tags = componentTags("access");

    for (const pipeline of args.pipelines) {
      const roles = {} as Record<FunctionKey, aws.iam.Role>;
      for (const [step, compute] of Object.entries(pipeline.compute) as [FunctionKey, Compute][]) {
        roles[step] = new aws.iam.Role(
          `${name}-${pipeline.name}-${step}`,
          {
            description: `Orchard ${pipeline.name}: the ${step} step`,
            assumeRolePolicy: JSON.stringify(
              compute === "lambda" ? LAMBDA_TRUST_POLICY : ECS_TASKS_TRUST_POLICY,
            ),
            tags: { ...tags, pipeline: pipeline.name, step },
          },
          child,
        );
      }
      this.stepRoles[pipeline.name] = roles;
      if (pipeline.monitor) {
        this.monitorRoles[pipeline.name] = new aws.iam.Role(
          `${name}-${pipeline.name}-monitor`,
          {
            description: `Orchard ${pipeline.name}: the Monitor`,
            assumeRolePolicy: JSON.stringify(LAMBDA_TRUST_POLICY),
            tags: { ...tags, pipeline: pipeline.name, step: "monitor" },
          },
          child,
        );
      }
    }

    const anyContainer = args.pipelines.some((p) => Object.values(p.compute).includes("container"));
    if (anyContainer) {
      this.executionRole = new aws.iam.Role(
        `${name}-ecs-execution`,
        {
          description: "Orchard: pulls step images and writes their logs",
          assumeRolePolicy: JSON.stringify(ECS_TASKS_TRUST_POLICY),
          tags,
        },
        child,
      );
      new aws.iam.RolePolicyAttachment(
        `${name}-ecs-execution-policy`,
        { role: this.executionRole.name, policyArn: ECS_EXECUTION_POLICY_ARN },
        child,
      );
    }

    const trust = pulumi
      .output(args.accountId)
      .apply((account) => JSON.stringify(humanTrustPolicy([`arn:aws:iam::${account}:root`])));
    this.humanRoles = Object.fromEntries(
      HUMAN_ROLES.map((role) => [
        role,
        new aws.iam.Role(
          `${name}-${role}`,
          {
            description: `Orchard ${role} (assumed with MFA)`,
            assumeRolePolicy: trust,
            maxSessionDuration: 3600,
            tags: { ...tags, human: role },
          },
          child,
        ),
      ]),
    ) as Record<HumanRoleName, aws.iam.Role>;

    this.registerOutputs({});
  }

  /** Grants one step role what its step declares, scoped to `targets` and its log group. */
  grantStep(
    pipeline: string,
    step: StepRoleName,
    targets: pulumi.Input<AccessTargets>,
    logGroupArn: pulumi.Input<string>,
  ): aws.iam.RolePolicy {
    // A role the stack does not deploy (the Monitor's of a pipeline without one) is absent.
    const roles = this.stepRoles[pipeline] as
      | Partial<Record<StepRoleName, aws.iam.Role>>
      | undefined;
    const role = step === "monitor" ? this.monitorRoles[pipeline] : roles?.[step];
    if (!role) throw new Error(`Access ${this.name}: no role for ${pipeline}/${step}`);
    return new aws.iam.RolePolicy(
      `${this.name}-${pipeline}-${step}-policy`,
      {
        role: role.id,
        policy: pulumi
          .all([pulumi.output(targets), logGroupArn])
          .apply(([t, logGroup]) =>
            JSON.stringify(stepPolicy(step, t as AccessTargets, { logGroupArn: logGroup })),
          ),
      },
      { parent: this },
    );
  }

  /**
   * Grants the human roles their access over every pipeline of the stack, as customer managed
   * policies (`humanPolicyParts`: one for the stack-wide grants, one per two pipelines), each
   * within IAM's 6,144 characters; an inline policy would pass IAM's 10,240 characters per
   * role with the second or third pipeline. `pipelines` are the stack's pipelines, in the
   * order of the targets' per-pipeline lists.
   */
  grantHumans(
    pipelines: string[],
    targets: pulumi.Input<HumanTargets>,
  ): { policies: aws.iam.Policy[]; attachments: aws.iam.RolePolicyAttachment[] } {
    const parts = humanPolicyPartCount(pipelines.length);
    if (parts > MAX_MANAGED_POLICIES_PER_ROLE) {
      throw new Error(
        `Access ${this.name}: ${pipelines.length} pipelines need ${parts} managed policies per human role; IAM attaches at most ${MAX_MANAGED_POLICIES_PER_ROLE} to a role by default. Deploy at most ${MAX_PIPELINES_PER_STACK} pipelines per stack (split the stack), or raise the quota and MAX_MANAGED_POLICIES_PER_ROLE (infra/access/policies.ts).`,
      );
    }
    const policies: aws.iam.Policy[] = [];
    const attachments: aws.iam.RolePolicyAttachment[] = [];
    for (const role of HUMAN_ROLES) {
      const documents = pulumi.output(targets).apply((t) => {
        const docs = humanPolicyParts(role, t as HumanTargets).map((d) => JSON.stringify(d));
        for (const [i, doc] of docs.entries()) {
          if (doc.length > MAX_MANAGED_POLICY_CHARS) {
            throw new Error(
              `Access ${this.name}: the ${role} policy part ${i + 1} has ${doc.length} characters, over IAM's ${MAX_MANAGED_POLICY_CHARS} per managed policy; lower PIPELINES_PER_HUMAN_POLICY (infra/access/policies.ts)`,
            );
          }
        }
        return docs;
      });
      for (let i = 0; i < parts; i++) {
        const what =
          i === 0
            ? "stack-wide access"
            : `pipelines ${pipelines.slice((i - 1) * PIPELINES_PER_HUMAN_POLICY, i * PIPELINES_PER_HUMAN_POLICY).join(", ")}`;
        const policy = new aws.iam.Policy(
          `${this.name}-${role}-policy-${i + 1}`,
          {
            description: `Orchard ${role}: ${what}`.slice(0, 1000),
            policy: documents.apply((docs) => docs[i]),
            tags: { ...componentTags("access"), human: role },
          },
          { parent: this },
        );
        policies.push(policy);
        attachments.push(
          new aws.iam.RolePolicyAttachment(
            `${this.name}-${role}-policy-${i + 1}`,
            { role: this.humanRoles[role].name, policyArn: policy.arn },
            { parent: this },
          ),
        );
      }
    }
    return { policies, attachments };
  }
}
