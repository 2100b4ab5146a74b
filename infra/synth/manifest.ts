/**
 * The manifest `orchard synth` prints: a deterministic description of one stack as the Pulumi
 * program declares it, for review without cloud credentials.
 *
 *   format          "orchard-synth/1"
 *   stack, region
 *   resources       every resource in declaration order: type, name, parent (the parent's
 *                   name), custom, protect, retainOnDelete / ignoreChanges / dependsOn when
 *                   set, and its inputs (normalize.ts: secrets redacted, JSON documents
 *                   parsed, a Lambda function's `code` as { lambdaBundle, sources: sha256 })
 *   code            per bundle: sha256 over its sources, the repo's own files and their hashes,
 *                   a hash of the bundled node_modules files (code-sources.ts)
 *   iam             per role (logical name): trust, inline policies, managed policies, as
 *                   normalized statements (iam.ts)
 *   stateMachines   per state machine (logical name): states, edges, retry and catch
 *                   (state-graph.ts)
 *   schedules       per schedule (logical name): expression, time zone, state, target, input
 *   policy          the policy-rule findings and their counts by level
 *   outputs         the stack outputs
 *
 * `assembleManifest` is pure over the normalized parts; synthesize.ts gathers them.
 */
import type { BundleSources } from "./code-sources.ts";
import { type RoleAccess, rolesOf } from "./iam.ts";
import type { Json } from "./normalize.ts";
import type { PolicyFinding } from "./policy-findings.ts";
import { type StateGraph, stateGraph } from "./state-graph.ts";

export const MANIFEST_FORMAT = "orchard-synth/1";

export const TYPES = {
  function: "aws:lambda/function:Function",
  role: "aws:iam/role:Role",
  rolePolicy: "aws:iam/rolePolicy:RolePolicy",
  stateMachine: "aws:sfn/stateMachine:StateMachine",
  schedule: "aws:scheduler/schedule:Schedule",
  eventRule: "aws:cloudwatch/eventRule:EventRule",
} as const;

export interface ManifestResource {
  type: string;
  name: string;
  parent?: string;
  custom: boolean;
  protect: boolean;
  retainOnDelete?: boolean;
  ignoreChanges?: string[];
  dependsOn?: string[];
  inputs: Record<string, Json>;
}

export interface ScheduleEntry {
  expression: string | null;
  timeZone: string | null;
  state: string | null;
  target: string | null;
  input: Json;
}

export interface Manifest {
  format: typeof MANIFEST_FORMAT;
  stack: string;
  region: string;
  resources: ManifestResource[];
  code: Record<string, BundleSources>;
  iam: Record<string, RoleAccess>;
  stateMachines: Record<string, StateGraph>;
  schedules: Record<string, ScheduleEntry>;
  policy: { mandatory: number; advisory: number; findings: PolicyFinding[] };
  outputs: Json;
}

/** A normalized resource plus what the mocks said about it (physical name, ARN). */
export interface SynthResource extends ManifestResource {
  physicalName?: string;
  arn?: string;
}

export function resourceKey(r: { type: string; name: string }): string {
  return `${r.type}::${r.name}`;
}

const text = (v: Json | undefined): string | null => (typeof v === "string" ? v : null);

function scheduleOf(r: ManifestResource): ScheduleEntry {
  const target = r.inputs.target;
  const t = target && typeof target === "object" && !Array.isArray(target) ? target : {};
  return {
    expression: text(r.inputs.scheduleExpression),
    timeZone: text(r.inputs.scheduleExpressionTimezone),
    state: text(r.inputs.state) ?? (r.inputs.isEnabled === false ? "DISABLED" : null),
    target: text(t.arn),
    input: t.input ?? null,
  };
}

/** Every `{ lambdaBundle }` value's bundle name, anywhere in the inputs. */
export function bundlesIn(value: Json, into = new Set<string>()): Set<string> {
  if (Array.isArray(value)) for (const v of value) bundlesIn(v, into);
  else if (value && typeof value === "object") {
    if (typeof value.lambdaBundle === "string") into.add(value.lambdaBundle);
    else for (const v of Object.values(value)) bundlesIn(v, into);
  }
  return into;
}

function withSources(value: Json, code: Record<string, BundleSources>): Json {
  if (Array.isArray(value)) return value.map((v) => withSources(v, code));
  if (value && typeof value === "object") {
    if (typeof value.lambdaBundle === "string") {
      return {
        lambdaBundle: value.lambdaBundle,
        sources: code[value.lambdaBundle]?.sha256 ?? null,
      };
    }
    const out: Record<string, Json> = {};
    for (const [k, v] of Object.entries(value)) out[k] = withSources(v, code);
    return out;
  }
  return value;
}

export function assembleManifest(parts: {
  stack: string;
  region: string;
  resources: readonly SynthResource[];
  code: Record<string, BundleSources>;
  findings: readonly PolicyFinding[];
  outputs: Json;
}): Manifest {
  const resources: ManifestResource[] = parts.resources.map(
    ({ physicalName: _p, arn: _a, ...r }) => ({
      ...r,
      inputs: withSources(r.inputs, parts.code) as Record<string, Json>,
    }),
  );
  const stateMachines: Record<string, StateGraph> = {};
  const schedules: Record<string, ScheduleEntry> = {};
  for (const r of resources) {
    if (r.type === TYPES.stateMachine) stateMachines[r.name] = stateGraph(r.inputs.definition);
    if (r.type === TYPES.schedule) schedules[r.name] = scheduleOf(r);
    if (r.type === TYPES.eventRule && typeof r.inputs.scheduleExpression === "string") {
      schedules[r.name] = scheduleOf(r);
    }
  }
  const iam: Record<string, RoleAccess> = rolesOf(parts.resources);
  const count = (level: string) => parts.findings.filter((f) => f.level === level).length;
  return {
    format: MANIFEST_FORMAT,
    stack: parts.stack,
    region: parts.region,
    resources,
    code: parts.code,
    iam,
    stateMachines,
    schedules,
    policy: {
      mandatory: count("mandatory"),
      advisory: count("advisory"),
      findings: [...parts.findings],
    },
    outputs: parts.outputs,
  };
}
