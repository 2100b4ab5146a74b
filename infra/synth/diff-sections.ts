/**
 * The review sections of a manifest diff beyond plain resources: IAM permissions per role,
 * state machine graphs, schedules, Lambda code and policy findings. Each compares the same
 * section of two manifests and returns only what differs.
 */
import { isWildcard, type Permission, permissionKey, permissionsOf } from "./iam.ts";
import type { Manifest, ScheduleEntry } from "./manifest.ts";
import { resourceKey, TYPES } from "./manifest.ts";
import type { Json } from "./normalize.ts";
import { findingKey, type PolicyFinding } from "./policy-findings.ts";
import type { GraphState } from "./state-graph.ts";

export type Status = "added" | "removed" | "changed";

export interface FlaggedPermission extends Permission {
  wildcard: boolean;
}

export interface RoleChange {
  role: string;
  status: Status;
  added: FlaggedPermission[];
  removed: FlaggedPermission[];
}

export interface StateChange {
  state: string;
  /** What changed: `type`, `resource`, `timeoutSeconds`, `retry`, `catch`, `settings`. */
  fields: (keyof GraphState)[];
  before: GraphState;
  after: GraphState;
}

export interface StateMachineChange {
  name: string;
  status: Status;
  startAt?: { before: string; after: string };
  statesAdded: string[];
  statesRemoved: string[];
  statesChanged: StateChange[];
  edgesAdded: string[];
  edgesRemoved: string[];
}

export interface ScheduleChange {
  name: string;
  status: Status;
  /** The fields that changed (all of them for an added or removed schedule). */
  fields: (keyof ScheduleEntry)[];
  before?: ScheduleEntry;
  after?: ScheduleEntry;
}

export interface CodeChange {
  /** The function's logical name. */
  function: string;
  bundle: string;
  before: string | null;
  after: string | null;
  /** The repo's own source files of the bundle that were added, removed or changed. */
  files: { added: string[]; removed: string[]; changed: string[] };
  dependenciesChanged: boolean;
}

export interface PolicyChanges {
  /** Findings in the head that the base did not have. */
  new: PolicyFinding[];
  /** Findings of the base that the head no longer has. */
  fixed: PolicyFinding[];
  /** Every mandatory finding of the head, new or not: any of them fails the review. */
  mandatory: PolicyFinding[];
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

function statusOf(before: unknown, after: unknown): Status {
  return before === undefined ? "added" : after === undefined ? "removed" : "changed";
}

function unionKeys(a: object, b: object): string[] {
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
}

export function diffIam(base: Manifest, head: Manifest): RoleChange[] {
  const changes: RoleChange[] = [];
  for (const role of unionKeys(base.iam, head.iam)) {
    const before = base.iam[role] ? permissionsOf(base.iam[role]) : [];
    const after = head.iam[role] ? permissionsOf(head.iam[role]) : [];
    const beforeKeys = new Set(before.map(permissionKey));
    const afterKeys = new Set(after.map(permissionKey));
    const flag = (p: Permission): FlaggedPermission => ({ ...p, wildcard: isWildcard(p) });
    const added = after.filter((p) => !beforeKeys.has(permissionKey(p))).map(flag);
    const removed = before.filter((p) => !afterKeys.has(permissionKey(p))).map(flag);
    const status = statusOf(base.iam[role], head.iam[role]);
    if (added.length > 0 || removed.length > 0 || status !== "changed") {
      changes.push({ role, status, added, removed });
    }
  }
  return changes;
}

const STATE_FIELDS = ["type", "resource", "timeoutSeconds", "retry", "catch", "settings"] as const;

export function diffStateMachines(base: Manifest, head: Manifest): StateMachineChange[] {
  const changes: StateMachineChange[] = [];
  for (const name of unionKeys(base.stateMachines, head.stateMachines)) {
    const b = base.stateMachines[name] ?? { startAt: "", states: {}, edges: [] };
    const a = head.stateMachines[name] ?? { startAt: "", states: {}, edges: [] };
    const statesChanged: StateChange[] = [];
    for (const state of Object.keys(a.states).sort()) {
      const before = b.states[state];
      const after = a.states[state];
      if (!before) continue;
      const fields = STATE_FIELDS.filter((f) => !same(before[f], after[f]));
      if (fields.length > 0) statesChanged.push({ state, fields: [...fields], before, after });
    }
    const change: StateMachineChange = {
      name,
      status: statusOf(base.stateMachines[name], head.stateMachines[name]),
      ...(b.startAt !== a.startAt && base.stateMachines[name] && head.stateMachines[name]
        ? { startAt: { before: b.startAt, after: a.startAt } }
        : {}),
      statesAdded: Object.keys(a.states)
        .filter((s) => !b.states[s])
        .sort(),
      statesRemoved: Object.keys(b.states)
        .filter((s) => !a.states[s])
        .sort(),
      statesChanged,
      edgesAdded: a.edges.filter((e) => !b.edges.includes(e)),
      edgesRemoved: b.edges.filter((e) => !a.edges.includes(e)),
    };
    const empty =
      change.status === "changed" &&
      !change.startAt &&
      [change.statesAdded, change.statesRemoved, statesChanged, change.edgesAdded].every(
        (l) => l.length === 0,
      ) &&
      change.edgesRemoved.length === 0;
    if (!empty) changes.push(change);
  }
  return changes;
}

const SCHEDULE_FIELDS: (keyof ScheduleEntry)[] = [
  "expression",
  "timeZone",
  "state",
  "target",
  "input",
];

export function diffSchedules(base: Manifest, head: Manifest): ScheduleChange[] {
  const changes: ScheduleChange[] = [];
  for (const name of unionKeys(base.schedules, head.schedules)) {
    const before = base.schedules[name];
    const after = head.schedules[name];
    const fields =
      before && after ? SCHEDULE_FIELDS.filter((f) => !same(before[f], after[f])) : SCHEDULE_FIELDS;
    if (fields.length === 0) continue;
    changes.push({
      name,
      status: statusOf(before, after),
      fields,
      ...(before ? { before } : {}),
      ...(after ? { after } : {}),
    });
  }
  return changes;
}

function bundleOf(inputs: Record<string, Json>): string | undefined {
  const code = inputs.code;
  if (code && typeof code === "object" && !Array.isArray(code)) {
    return typeof code.lambdaBundle === "string" ? code.lambdaBundle : undefined;
  }
  return undefined;
}

/** One line per function present on both sides whose bundle's sources changed. */
export function diffCode(base: Manifest, head: Manifest): CodeChange[] {
  const baseFunctions = new Map(
    base.resources.filter((r) => r.type === TYPES.function).map((r) => [resourceKey(r), r]),
  );
  const changes: CodeChange[] = [];
  for (const fn of head.resources.filter((r) => r.type === TYPES.function)) {
    const old = baseFunctions.get(resourceKey(fn));
    const bundle = bundleOf(fn.inputs);
    const oldBundle = old ? bundleOf(old.inputs) : undefined;
    if (!old || !bundle || !oldBundle) continue;
    const before = base.code[oldBundle];
    const after = head.code[bundle];
    if (oldBundle === bundle && before?.sha256 === after?.sha256) continue;
    const bf = before?.files ?? {};
    const af = after?.files ?? {};
    changes.push({
      function: fn.name,
      bundle,
      before: before?.sha256 ?? null,
      after: after?.sha256 ?? null,
      files: {
        added: Object.keys(af).filter((f) => !(f in bf)),
        removed: Object.keys(bf).filter((f) => !(f in af)),
        changed: Object.keys(af).filter((f) => f in bf && bf[f] !== af[f]),
      },
      dependenciesChanged: before?.dependencies !== after?.dependencies,
    });
  }
  return changes;
}

export function diffPolicy(base: Manifest, head: Manifest): PolicyChanges {
  const baseKeys = new Set(base.policy.findings.map(findingKey));
  const headKeys = new Set(head.policy.findings.map(findingKey));
  return {
    new: head.policy.findings.filter((f) => !baseKeys.has(findingKey(f))),
    fixed: base.policy.findings.filter((f) => !headKeys.has(findingKey(f))),
    mandatory: head.policy.findings.filter((f) => f.level === "mandatory"),
  };
}
