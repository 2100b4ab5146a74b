/**
 * AWS's documented limits as mandatory rules. Pulumi's mocks, s3rver and dynalite accept any
 * size; AWS refuses at `pulumi up` (or, for ECS overrides, at run time) what breaks these.
 * Each rule names its limit and the AWS page that documents it, so a reviewer can check the
 * number. Where a value is not known yet (a preview of a new resource), the rule says nothing.
 *
 * Physical names: with an explicit `name` the rule reads it; with `namePrefix` the provider
 * appends Terraform's 26-character unique suffix (which is why a role's name prefix may be at
 * most 64 - 26 = 38 characters); with neither, Pulumi auto-names the resource as its logical
 * name plus "-" and 7 random characters. CrossGuard hands rules the checked inputs, which
 * already hold the auto-name; the mocks do not, so the rule computes it.
 */
import { label, record, stackOf } from "./checks.ts";
import { isType, MANAGED_POLICY, POLICY_ATTACHMENT, ROLE, ROLE_POLICY } from "./resource-types.ts";
import type { ReportViolation, ResourceRule, RuleResource, StackRule } from "./types.ts";

/** Pulumi auto-naming: `<logical name>-<7 random characters>`. */
const AUTO_NAME_SUFFIX = 8;
/** Terraform's `id.PrefixedUniqueId` suffix, appended to a `namePrefix`. */
const PREFIX_SUFFIX = 26;

const ALARM = ["aws:cloudwatch/metricAlarm:MetricAlarm"];
const DASHBOARD = ["aws:cloudwatch/dashboard:Dashboard"];
const FUNCTION = ["aws:lambda/function:Function"];
const STATE_MACHINE = ["aws:sfn/stateMachine:StateMachine"];
const TASK_DEFINITION = ["aws:ecs/taskDefinition:TaskDefinition"];

/**
 * Metrics per metric-math alarm: 10, a hard limit.
 * Source: Amazon CloudWatch User Guide, "Limits" (alarm-limits: "Alarms based on metric math
 * expressions can reference a maximum of 10 metrics"), and the PutMetricAlarm API reference
 * (`Metrics`: up to 10 MetricDataQuery structures with a MetricStat).
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarm-limits.html
 */
export const MAX_METRICS_PER_ALARM = 10;

export const alarmMetricsLimit: ResourceRule = {
  name: "alarm-metrics-limit",
  description: `A metric-math alarm reads at most ${MAX_METRICS_PER_ALARM} metrics (CloudWatch's hard limit).`,
  enforcementLevel: "mandatory",
  validateResource(r, report) {
    if (!isType(r, ALARM) || !Array.isArray(r.props.metricQueries)) return;
    const metrics = r.props.metricQueries.filter((q) => record(q).metric !== undefined).length;
    if (metrics > MAX_METRICS_PER_ALARM) {
      report(
        `${label(r)} reads ${metrics} metrics; CloudWatch allows ${MAX_METRICS_PER_ALARM} per alarm. Split it into alarms of at most ${MAX_METRICS_PER_ALARM} (a composite alarm can combine them).`,
      );
    }
  },
};

/**
 * IAM policy sizes, in characters not counting whitespace: the aggregate of all inline
 * policies of one role 10,240; one managed policy 6,144; managed policies attached to one
 * role 10 (the default quota, adjustable to 20).
 * Source: IAM User Guide, "IAM and AWS STS quotas" (reference_iam-quotas: "Role policy size
 * cannot exceed 10,240 characters", "Managed policy size cannot exceed 6,144 characters",
 * "Managed policies attached to an IAM role: 10"; "IAM doesn't count white space").
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html
 */
export const MAX_INLINE_POLICY_CHARS_PER_ROLE = 10_240;
export const MAX_MANAGED_POLICY_CHARS = 6_144;
export const MAX_MANAGED_POLICIES_PER_ROLE = 10;

/** A policy document's size as IAM counts it: characters that are not whitespace. */
export function policyChars(document: unknown): number | undefined {
  const text =
    typeof document === "string"
      ? document
      : typeof document === "object" && document !== null
        ? JSON.stringify(document)
        : undefined;
  return text === undefined ? undefined : text.replace(/\s/g, "").length;
}

export const managedPolicySize: ResourceRule = {
  name: "managed-policy-size",
  description: `A managed policy has at most ${MAX_MANAGED_POLICY_CHARS.toLocaleString("en")} non-whitespace characters (IAM quota).`,
  enforcementLevel: "mandatory",
  validateResource(r, report) {
    if (!isType(r, MANAGED_POLICY)) return;
    const size = policyChars(r.props.policy);
    if (size !== undefined && size > MAX_MANAGED_POLICY_CHARS) {
      report(
        `${label(r)} has ${size} characters; IAM allows ${MAX_MANAGED_POLICY_CHARS} per managed policy. Split it.`,
      );
    }
  },
};

/** Whether `child.props[prop]` names the role `role` (by id, name or ARN, or a preview's dependency). */
function namesRole(child: RuleResource, prop: string, role: RuleResource): boolean {
  const deps = child.propertyDependencies?.[prop];
  if (deps && role.urn && deps.some((d) => d.urn === role.urn)) return true;
  const values = [child.props[prop]].flat().filter((v) => typeof v === "string" && v !== "");
  const ids = [role.id, role.props.name, role.props.id, role.props.arn].filter(
    (v) => typeof v === "string" && v !== "",
  );
  return values.some((v) => ids.includes(v));
}

function roleName(role: RuleResource): string {
  return typeof role.props.name === "string" ? role.props.name : label(role);
}

export const roleInlinePolicySize: StackRule = {
  name: "role-inline-policy-size",
  description: `The inline policies of one role have at most ${MAX_INLINE_POLICY_CHARS_PER_ROLE.toLocaleString("en")} non-whitespace characters together (IAM quota).`,
  enforcementLevel: "mandatory",
  validateStack({ resources }, report) {
    const policies = resources.filter((r) => isType(r, ROLE_POLICY));
    for (const role of resources.filter((r) => isType(r, ROLE))) {
      const inline = Array.isArray(role.props.inlinePolicies) ? role.props.inlinePolicies : [];
      const documents = [
        ...inline.map((p) => record(p).policy),
        ...policies.filter((p) => namesRole(p, "role", role)).map((p) => p.props.policy),
      ];
      const sizes = documents.map(policyChars);
      if (sizes.includes(undefined)) continue; // not known yet
      const total = (sizes as number[]).reduce((a, b) => a + b, 0);
      if (total > MAX_INLINE_POLICY_CHARS_PER_ROLE) {
        report(
          `${label(role)} (${roleName(role)}) has ${total} characters of inline policy in ${documents.length} document(s); IAM allows ${MAX_INLINE_POLICY_CHARS_PER_ROLE} per role. Move statements into managed policies (${MAX_MANAGED_POLICY_CHARS} characters each) or narrow them.`,
          role.urn,
        );
      }
    }
  },
};

export const roleManagedPolicyCount: StackRule = {
  name: "role-managed-policy-count",
  description: `A role has at most ${MAX_MANAGED_POLICIES_PER_ROLE} managed policies attached (IAM's default quota).`,
  enforcementLevel: "mandatory",
  validateStack({ resources }, report) {
    const attachments = resources.filter((r) => isType(r, POLICY_ATTACHMENT));
    for (const role of resources.filter((r) => isType(r, ROLE))) {
      const arns = new Set<string>(
        Array.isArray(role.props.managedPolicyArns) ? role.props.managedPolicyArns.map(String) : [],
      );
      for (const a of attachments) {
        const prop = a.props.roles !== undefined ? "roles" : "role";
        if (namesRole(a, prop, role)) arns.add(String(a.props.policyArn ?? a.name));
      }
      if (arns.size > MAX_MANAGED_POLICIES_PER_ROLE) {
        report(
          `${label(role)} (${roleName(role)}) has ${arns.size} managed policies attached; IAM allows ${MAX_MANAGED_POLICIES_PER_ROLE} by default.`,
          role.urn,
        );
      }
    }
  },
};

/**
 * Lambda environment variables: 4 KB in total. Lambda measures the variables as the JSON
 * object it stores (its error quotes "String measured: {…}").
 * Source: AWS Lambda Developer Guide, "Lambda quotas" (gettingstarted-limits: "Environment
 * variables: 4 KB, for all environment variables associated with the function, in
 * aggregate").
 * https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
 */
export const MAX_LAMBDA_ENVIRONMENT_BYTES = 4 * 1024;

export const lambdaEnvironmentSize: ResourceRule = {
  name: "lambda-environment-size",
  description: "A Lambda function's environment variables take at most 4 KB together.",
  enforcementLevel: "mandatory",
  validateResource(r, report) {
    if (!isType(r, FUNCTION)) return;
    const variables = record(record(r.props.environment).variables);
    if (Object.values(variables).some((v) => typeof v !== "string")) return; // not known yet
    const bytes = Buffer.byteLength(JSON.stringify(variables), "utf8");
    if (bytes > MAX_LAMBDA_ENVIRONMENT_BYTES) {
      report(
        `${label(r)} has ${bytes} bytes of environment variables; Lambda allows ${MAX_LAMBDA_ENVIRONMENT_BYTES}. Move configuration into a file or a parameter.`,
      );
    }
  },
};

/**
 * State machine definition: 1 MB (hard quota).
 * Source: AWS Step Functions Developer Guide, "Step Functions service quotas" (service-quotas,
 * "Quotas related to accounts": "Maximum size of state machine definition: 1 MB").
 * https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html
 */
export const MAX_DEFINITION_BYTES = 1024 * 1024;

function definitionOf(r: RuleResource): Record<string, unknown> | undefined {
  const text = r.props.definition;
  if (typeof text !== "string") return undefined;
  try {
    return record(JSON.parse(text));
  } catch {
    return undefined;
  }
}

export const stateMachineDefinitionSize: ResourceRule = {
  name: "state-machine-definition-size",
  description: "A state machine definition is at most 1 MB (Step Functions' hard quota).",
  enforcementLevel: "mandatory",
  validateResource(r, report) {
    if (!isType(r, STATE_MACHINE) || typeof r.props.definition !== "string") return;
    const bytes = Buffer.byteLength(r.props.definition, "utf8");
    if (bytes > MAX_DEFINITION_BYTES) {
      report(
        `${label(r)} has a ${bytes}-byte definition; Step Functions allows ${MAX_DEFINITION_BYTES}.`,
      );
    }
  },
};

/**
 * ECS RunTask overrides: 8,192 characters, JSON formatting included.
 * Source: Amazon ECS API Reference, "RunTask" (`overrides`: "A total of 8192 characters are
 * allowed for overrides. This limit includes the JSON formatting characters of the override
 * structure.").
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RunTask.html
 *
 * A value the state machine fills in at run time (`"Value.$": path`) is as large as what the
 * path selects. The context object's fields have documented maximum lengths; anything taken
 * from the state can be as large as a state (256 KiB, Step Functions' payload quota), so it
 * counts as that and breaks the limit: pass a reference (an S3 key) instead. A reference the
 * definition itself makes is bounded: a field a Pass state writes with `States.Format` over
 * literal text, bounded context fields and `States.UUID()` (36 characters) counts at that
 * format's largest (how infra/cloud-definition.ts names a container step's stored input).
 */
export const MAX_ECS_OVERRIDE_CHARS = 8192;
const MAX_STATE_PAYLOAD = 256 * 1024;
/** Context-object paths and their maximum lengths (Step Functions API reference). */
const CONTEXT_PATH_MAX: Record<string, number> = {
  // SendTaskSuccess / SendTaskFailure taskToken: 1..2048 characters.
  "$$.Task.Token": 2048,
  // Execution and state machine ARNs: at most 256; names at most 80.
  "$$.Execution.Id": 256,
  "$$.Execution.Name": 80,
  "$$.StateMachine.Id": 256,
  "$$.StateMachine.Name": 80,
  "$$.State.Name": 80,
};

/** `States.Format('literal', args…)` at its largest, or undefined when an argument is unbounded. */
function formatBound(expression: string): number | undefined {
  const match = /^States\.Format\('((?:[^'\\]|\\.)*)'((?:\s*,\s*[^,)]+(?:\(\))?)*)\)$/.exec(
    expression.trim(),
  );
  if (!match) return undefined;
  const literal = match[1] as string;
  const args = (match[2] as string)
    .split(",")
    .map((a) => a.trim())
    .filter(Boolean);
  let total = literal.replaceAll("{}", "").length;
  for (const arg of args) {
    const bound = arg === "States.UUID()" ? 36 : CONTEXT_PATH_MAX[arg];
    if (bound === undefined) return undefined;
    total += bound;
  }
  return total;
}

/** State paths that a Pass state of the definition writes with a bounded States.Format. */
function boundedStatePaths(states: unknown): Record<string, number> {
  const out: Record<string, number> = {};
  for (const raw of Object.values(record(states))) {
    const state = record(raw);
    if (state.Type === "Pass" && typeof state.ResultPath === "string") {
      for (const [key, value] of Object.entries(record(state.Parameters))) {
        const bound =
          key.endsWith(".$") && typeof value === "string" ? formatBound(value) : undefined;
        if (bound !== undefined) out[`${state.ResultPath}.${key.slice(0, -2)}`] = bound;
      }
    }
    for (const inner of [record(state.ItemProcessor), record(state.Iterator)]) {
      Object.assign(out, boundedStatePaths(inner.States));
    }
  }
  return out;
}

/** The largest size of an override structure, each run-time value at its largest. */
export function worstCaseOverrideChars(
  overrides: unknown,
  bounded: Record<string, number> = {},
): number {
  let dynamic = 0;
  const walk = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(walk);
    if (typeof value !== "object" || value === null) return value;
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) {
      if (key.endsWith(".$") && typeof v === "string") {
        // `"Name.$": "<path>"` becomes `"Name": "<value>"`: the path is replaced by the value.
        out[key.slice(0, -2)] = "";
        dynamic += CONTEXT_PATH_MAX[v.trim()] ?? bounded[v.trim()] ?? MAX_STATE_PAYLOAD;
      } else {
        out[key] = walk(v);
      }
    }
    return out;
  };
  return JSON.stringify(walk(overrides)).length + dynamic;
}

/** Every Task state of a definition, Map and Parallel branches included. */
function taskStates(states: unknown, path = ""): [string, Record<string, unknown>][] {
  const out: [string, Record<string, unknown>][] = [];
  for (const [name, raw] of Object.entries(record(states))) {
    const state = record(raw);
    const where = path ? `${path}/${name}` : name;
    if (state.Type === "Task") out.push([where, state]);
    for (const inner of [record(state.ItemProcessor), record(state.Iterator)]) {
      out.push(...taskStates(inner.States, where));
    }
    if (Array.isArray(state.Branches)) {
      for (const branch of state.Branches) out.push(...taskStates(record(branch).States, where));
    }
  }
  return out;
}

export const ecsOverrideSize: ResourceRule = {
  name: "ecs-override-size",
  description:
    "The overrides a state machine passes to ECS RunTask fit ECS's 8,192 characters however large the state grows.",
  enforcementLevel: "mandatory",
  validateResource(r, report) {
    if (!isType(r, STATE_MACHINE)) return;
    const definition = definitionOf(r);
    if (!definition) return;
    const bounded = boundedStatePaths(definition.States);
    for (const [name, state] of taskStates(definition.States)) {
      if (!String(state.Resource).startsWith("arn:aws:states:::ecs:runTask")) continue;
      const overrides = record(state.Parameters).Overrides;
      if (overrides === undefined) continue;
      const chars = worstCaseOverrideChars(overrides, bounded);
      if (chars > MAX_ECS_OVERRIDE_CHARS) {
        report(
          `${label(r)} state ${name} passes ECS overrides of up to ${chars} characters (values taken from the state count as a 256 KiB state); ECS allows ${MAX_ECS_OVERRIDE_CHARS}. Pass a reference (an S3 key) or context-object fields instead of the state.`,
        );
      }
    }
  },
};

/**
 * Fargate task sizes: only these CPU / memory (MiB) pairs.
 * Source: Amazon ECS Developer Guide, "Amazon ECS task definition parameters for Fargate"
 * (task size table) and "Troubleshoot Amazon ECS task definition invalid CPU or memory
 * errors" (task-cpu-memory-error).
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-tasks-services.html#fargate-tasks-size
 */
export const FARGATE_TASK_SIZES: Record<number, number[]> = {
  256: [512, 1024, 2048],
  512: [1024, 2048, 3072, 4096],
  1024: [2048, 3072, 4096, 5120, 6144, 7168, 8192],
  2048: steps(4096, 16384, 1024),
  4096: steps(8192, 30720, 1024),
  8192: steps(16384, 61440, 4096),
  16384: steps(32768, 122880, 8192),
};

function steps(from: number, to: number, by: number): number[] {
  const out: number[] = [];
  for (let m = from; m <= to; m += by) out.push(m);
  return out;
}

export const fargateTaskSize: ResourceRule = {
  name: "fargate-task-size",
  description: "A Fargate task definition uses one of the CPU / memory pairs Fargate supports.",
  enforcementLevel: "mandatory",
  validateResource(r, report) {
    if (!isType(r, TASK_DEFINITION)) return;
    const compat = r.props.requiresCompatibilities;
    if (!Array.isArray(compat) || !compat.includes("FARGATE")) return;
    const cpu = Number(r.props.cpu);
    const memory = Number(r.props.memory);
    const allowed = FARGATE_TASK_SIZES[cpu];
    if (!allowed) {
      report(
        `${label(r)} has cpu ${String(r.props.cpu)}; Fargate accepts ${Object.keys(FARGATE_TASK_SIZES).join(", ")}.`,
      );
    } else if (!allowed.includes(memory)) {
      report(
        `${label(r)} has memory ${String(r.props.memory)} MiB with cpu ${cpu}; Fargate accepts ${allowed.length > 8 ? `${allowed[0]} to ${allowed[allowed.length - 1]} in steps of ${allowed[1] - allowed[0]}` : allowed.join(", ")}.`,
      );
    }
  },
};

/**
 * Name lengths (the API's Length Constraints):
 * - Lambda function name 64: AWS Lambda API Reference, "CreateFunction" (FunctionName: "the
 *   function name is limited to 64 characters in length").
 * - IAM role name 64, and so a name prefix 38 (64 minus the provider's 26-character suffix):
 *   IAM API Reference, "CreateRole" (RoleName: maximum length of 64); IAM User Guide, "IAM
 *   and AWS STS quotas".
 * - S3 bucket name 63 (a prefix 37): Amazon S3 User Guide, "General purpose bucket naming
 *   rules" ("Bucket names must be between 3 (min) and 63 (max) characters long").
 * - State machine name 80: Step Functions API Reference, "CreateStateMachine" (name: maximum
 *   length of 80); Developer Guide, "Step Functions service quotas".
 * - EventBridge Scheduler schedule name 64: EventBridge Scheduler API Reference,
 *   "CreateSchedule" (Name: maximum length of 64).
 * - EventBridge rule name 64: EventBridge API Reference, "PutRule" (Name: maximum length of
 *   64); the Monitor's retrain trigger (infra/monitor.ts).
 */
const NAME_LIMITS: { types: string[]; field: string; prefixField: string; max: number }[] = [
  { types: FUNCTION, field: "name", prefixField: "namePrefix", max: 64 },
  { types: ROLE, field: "name", prefixField: "namePrefix", max: 64 },
  {
    types: ["aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"],
    field: "bucket",
    prefixField: "bucketPrefix",
    max: 63,
  },
  { types: STATE_MACHINE, field: "name", prefixField: "namePrefix", max: 80 },
  { types: ["aws:scheduler/schedule:Schedule"], field: "name", prefixField: "namePrefix", max: 64 },
  {
    types: ["aws:cloudwatch/eventRule:EventRule"],
    field: "name",
    prefixField: "namePrefix",
    max: 64,
  },
];

/** The physical name's length, and how it comes about, or undefined when not known. */
export function physicalNameLength(
  r: RuleResource,
  field: string,
  prefixField: string,
): { length: number; how: string } | undefined {
  const name = r.props[field];
  if (typeof name === "string") return { length: name.length, how: `${field} "${name}"` };
  const prefix = r.props[prefixField];
  if (typeof prefix === "string") {
    return {
      length: prefix.length + PREFIX_SUFFIX,
      how: `${prefixField} "${prefix}" plus a ${PREFIX_SUFFIX}-character unique suffix`,
    };
  }
  if (r.props[field] !== undefined || r.props[prefixField] !== undefined) return undefined;
  if (!r.name) return undefined;
  return {
    length: r.name.length + AUTO_NAME_SUFFIX,
    how: `Pulumi's auto-name "${r.name}-xxxxxxx"`,
  };
}

export const nameLengths: ResourceRule = {
  name: "name-lengths",
  description:
    "Physical names fit their service: Lambda function 64, IAM role 64 (name prefix 38), S3 bucket 63, state machine 80, schedule 64 characters.",
  enforcementLevel: "mandatory",
  validateResource(r, report) {
    const limit = NAME_LIMITS.find((l) => isType(r, l.types));
    if (!limit) return;
    const name = physicalNameLength(r, limit.field, limit.prefixField);
    if (name && name.length > limit.max) {
      report(
        `${label(r)}: ${name.how} is ${name.length} characters; AWS allows ${limit.max}. Shorten the logical name (or the pipeline name it contains).`,
      );
    }
  },
};

/**
 * Tags per resource: 50 user tags.
 * Source: "Tagging AWS resources and Tag Editor" user guide, "Tag naming limits and
 * requirements" ("Maximum number of tags per resource – 50").
 * https://docs.aws.amazon.com/tag-editor/latest/userguide/tagging.html
 */
export const MAX_TAGS_PER_RESOURCE = 50;

export const tagsPerResource: ResourceRule = {
  name: "tags-per-resource",
  description: `A resource carries at most ${MAX_TAGS_PER_RESOURCE} tags.`,
  enforcementLevel: "mandatory",
  validateResource(r, report) {
    const tags = r.props.tags;
    if (typeof tags !== "object" || tags === null) return;
    const count = Object.keys(tags).length;
    if (count > MAX_TAGS_PER_RESOURCE) {
      report(`${label(r)} has ${count} tags; AWS allows ${MAX_TAGS_PER_RESOURCE} per resource.`);
    }
  },
};

/**
 * Dashboard and alarm names are the resource's identity in the account: PutDashboard and
 * PutMetricAlarm with an existing name replace that dashboard or alarm. Dashboards are global
 * to the account; alarm names are unique per account and region. So two stacks deployed into
 * one account (staging and prod) overwrite each other's unless each name contains its stack.
 * Source: Amazon CloudWatch API Reference, "PutDashboard" ("All dashboards in your account are
 * global, not region-specific"; "If a dashboard with this name already exists, this call
 * modifies that dashboard") and "PutMetricAlarm" (AlarmName: "This name must be unique within
 * the Region").
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutDashboard.html
 */
export function accountWideNames(resources: RuleResource[]): { kind: string; name: string }[] {
  const out: { kind: string; name: string }[] = [];
  for (const r of resources) {
    if (isType(r, DASHBOARD) && typeof r.props.dashboardName === "string") {
      out.push({ kind: "dashboard", name: r.props.dashboardName });
    } else if (isType(r, ALARM) && typeof r.props.name === "string") {
      out.push({ kind: "alarm", name: r.props.name });
    }
  }
  return out;
}

/** The names two synthesized stacks would both claim in one account: the collisions. */
export function collidingNames(a: RuleResource[], b: RuleResource[]): string[] {
  const key = (n: { kind: string; name: string }) => `${n.kind} ${n.name}`;
  const theirs = new Set(accountWideNames(b).map(key));
  return accountWideNames(a)
    .map(key)
    .filter((k) => theirs.has(k));
}

/** The stack the resources belong to: their `stack` tag, or the stack part of a URN. */
function stackNameOf(resources: RuleResource[]): string | undefined {
  for (const r of resources) {
    const tagged = stackOf(r);
    if (tagged) return tagged;
  }
  for (const r of resources) {
    const m = /^urn:pulumi:([^:]+)::/.exec(r.urn ?? "");
    if (m) return m[1];
  }
  return undefined;
}

function containsToken(name: string, token: string): boolean {
  const escaped = token.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`(^|[-_./])${escaped}($|[-_./])`).test(name);
}

export const accountUniqueNames: StackRule = {
  name: "account-unique-names",
  description:
    "Dashboard and alarm names contain the stack name and are unique in the stack, so stacks sharing an account and region do not overwrite each other's.",
  enforcementLevel: "mandatory",
  validateStack({ resources }, report: ReportViolation) {
    const stack = stackNameOf(resources);
    const seen = new Set<string>();
    for (const { kind, name } of accountWideNames(resources)) {
      if (seen.has(`${kind} ${name}`)) {
        report(`Two ${kind}s of this stack are named "${name}"; the second replaces the first.`);
      }
      seen.add(`${kind} ${name}`);
      if (stack && !containsToken(name, stack)) {
        report(
          `The ${kind} "${name}" does not contain the stack name "${stack}"; another stack in the same account${kind === "alarm" ? " and region" : ""} would overwrite it. Name it orchard-${stack}-….`,
        );
      }
    }
  },
};

export const limitResourceRules: ResourceRule[] = [
  alarmMetricsLimit,
  managedPolicySize,
  lambdaEnvironmentSize,
  stateMachineDefinitionSize,
  ecsOverrideSize,
  fargateTaskSize,
  nameLengths,
  tagsPerResource,
];

export const limitStackRules: StackRule[] = [
  roleInlinePolicySize,
  roleManagedPolicyCount,
  accountUniqueNames,
];
