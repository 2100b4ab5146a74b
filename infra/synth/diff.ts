/**
 * Compares two manifests of the same stack (base ref and working tree) for review: counts;
 * added, removed and changed resources with property-level changes, each marked when it
 * forces a replacement (replacement.ts); and the review sections (diff-sections.ts): IAM
 * permissions per role, state machine graphs, schedules, Lambda code, policy findings.
 *
 * A property that a review section explains (a role policy's `policy`, a function's `code`,
 * a state machine's `definition`, a schedule's expression) is listed once on its resource with
 * `section` set and no values: the section shows the change in its own terms, so one edit is
 * one finding and not a wall of JSON.
 */
import {
  type CodeChange,
  diffCode,
  diffIam,
  diffPolicy,
  diffSchedules,
  diffStateMachines,
  type PolicyChanges,
  type RoleChange,
  type ScheduleChange,
  type StateMachineChange,
} from "./diff-sections.ts";
import { type Manifest, type ManifestResource, resourceKey, TYPES } from "./manifest.ts";
import type { Json } from "./normalize.ts";
import { forcesReplacement } from "./replacement.ts";

export type Section = "iam" | "code" | "stateMachine" | "schedule";

export interface PropertyChange {
  /** `inputs` paths like `rules[0].applyServerSideEncryptionByDefault.sseAlgorithm`; resource
   * options as `(protect)`, `(parent)`, `(retainOnDelete)`, `(dependsOn)`, `(ignoreChanges)`. */
  path: string;
  kind: "added" | "removed" | "changed";
  before?: Json;
  after?: Json;
  /** Changing this property replaces the resource. */
  replaces: boolean;
  /** The review section that shows this change (its values are left out here). */
  section?: Section;
}

export interface ResourceRef {
  type: string;
  name: string;
}

export interface ResourceChange extends ResourceRef {
  replace: boolean;
  changes: PropertyChange[];
}

export interface ManifestDiff {
  stack: string;
  counts: { added: number; removed: number; changed: number; replaced: number; same: number };
  added: ResourceRef[];
  removed: ResourceRef[];
  changed: ResourceChange[];
  iam: RoleChange[];
  stateMachines: StateMachineChange[];
  schedules: ScheduleChange[];
  code: CodeChange[];
  policy: PolicyChanges;
  /** True when nothing above differs (mandatory findings of the head may still exist). */
  noChanges: boolean;
}

const SECTION_OF: Record<string, Record<string, Section>> = {
  [TYPES.rolePolicy]: { policy: "iam" },
  [TYPES.role]: { assumeRolePolicy: "iam", inlinePolicies: "iam", managedPolicyArns: "iam" },
  "aws:iam/rolePolicyAttachment:RolePolicyAttachment": { policyArn: "iam" },
  [TYPES.function]: { code: "code" },
  [TYPES.stateMachine]: { definition: "stateMachine" },
  [TYPES.schedule]: {
    scheduleExpression: "schedule",
    scheduleExpressionTimezone: "schedule",
    state: "schedule",
  },
};

const isObject = (v: Json | undefined): v is { [key: string]: Json } =>
  typeof v === "object" && v !== null && !Array.isArray(v);
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** Leaf-level differences between two JSON values, with paths below `path`. */
export function diffValues(
  before: Json | undefined,
  after: Json | undefined,
  path: string,
): { path: string; kind: PropertyChange["kind"]; before?: Json; after?: Json }[] {
  if (same(before, after)) return [];
  if (before === undefined) return [{ path, kind: "added", after }];
  if (after === undefined) return [{ path, kind: "removed", before }];
  if (isObject(before) && isObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((k) => diffValues(before[k], after[k], path ? `${path}.${k}` : k));
  }
  const objects = (v: Json[]) => v.every((x) => isObject(x) || Array.isArray(x));
  if (Array.isArray(before) && Array.isArray(after) && objects(before) && objects(after)) {
    const n = Math.max(before.length, after.length);
    return Array.from({ length: n }, (_, i) =>
      diffValues(before[i], after[i], `${path}[${i}]`),
    ).flat();
  }
  return [{ path, kind: "changed", before, after }];
}

function optionChanges(b: ManifestResource, a: ManifestResource): PropertyChange[] {
  const out: PropertyChange[] = [];
  const options = ["parent", "protect", "retainOnDelete", "ignoreChanges", "dependsOn"] as const;
  for (const option of options) {
    const before = b[option] as Json | undefined;
    const after = a[option] as Json | undefined;
    if (same(before, after)) continue;
    out.push({
      path: `(${option})`,
      kind: before === undefined ? "added" : after === undefined ? "removed" : "changed",
      ...(before !== undefined ? { before } : {}),
      ...(after !== undefined ? { after } : {}),
      // A new parent is a new URN: Pulumi deletes and creates unless an alias says otherwise.
      replaces: option === "parent",
    });
  }
  return out;
}

export function diffResource(b: ManifestResource, a: ManifestResource): PropertyChange[] {
  const sections = SECTION_OF[a.type] ?? {};
  const changes: PropertyChange[] = [];
  const props = [...new Set([...Object.keys(b.inputs), ...Object.keys(a.inputs)])].sort();
  for (const prop of props) {
    const replaces = forcesReplacement(a.type, prop);
    const section = sections[prop];
    if (section) {
      if (!same(b.inputs[prop], a.inputs[prop])) {
        const kind =
          b.inputs[prop] === undefined
            ? "added"
            : a.inputs[prop] === undefined
              ? "removed"
              : "changed";
        changes.push({ path: prop, kind, replaces, section });
      }
      continue;
    }
    for (const c of diffValues(b.inputs[prop], a.inputs[prop], prop)) {
      changes.push({ ...c, replaces });
    }
  }
  return [...changes, ...optionChanges(b, a)];
}

export function diffManifests(base: Manifest, head: Manifest): ManifestDiff {
  const baseByKey = new Map(base.resources.map((r) => [resourceKey(r), r]));
  const headKeys = new Set(head.resources.map(resourceKey));
  const ref = (r: ManifestResource): ResourceRef => ({ type: r.type, name: r.name });
  const added = head.resources.filter((r) => !baseByKey.has(resourceKey(r))).map(ref);
  const removed = base.resources.filter((r) => !headKeys.has(resourceKey(r))).map(ref);
  const changed: ResourceChange[] = [];
  let sameCount = 0;
  for (const r of head.resources) {
    const old = baseByKey.get(resourceKey(r));
    if (!old) continue;
    const changes = diffResource(old, r);
    if (changes.length === 0) sameCount++;
    else changed.push({ ...ref(r), replace: changes.some((c) => c.replaces), changes });
  }
  const diff: Omit<ManifestDiff, "noChanges"> = {
    stack: head.stack,
    counts: {
      added: added.length,
      removed: removed.length,
      changed: changed.length,
      replaced: changed.filter((c) => c.replace).length,
      same: sameCount,
    },
    added,
    removed,
    changed,
    iam: diffIam(base, head),
    stateMachines: diffStateMachines(base, head),
    schedules: diffSchedules(base, head),
    code: diffCode(base, head),
    policy: diffPolicy(base, head),
  };
  const noChanges =
    [added, removed, changed, diff.iam, diff.stateMachines, diff.schedules, diff.code].every(
      (l) => l.length === 0,
    ) &&
    diff.policy.new.length === 0 &&
    diff.policy.fixed.length === 0;
  return { ...diff, noChanges };
}
