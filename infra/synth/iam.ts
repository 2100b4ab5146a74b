/**
 * IAM in the manifest: per role, its trust policy and every policy attached to it (inline
 * `aws:iam/rolePolicy:RolePolicy` resources, `inlinePolicies`, managed policy ARNs), each as
 * normalized statements: single values become lists, lists are sorted and deduplicated, keys
 * are fixed. `permissionsOf` flattens a role into (effect, action, resource, condition) rows,
 * the unit the diff compares, so "one action added" shows as exactly the rows it adds.
 */
import type { Json } from "./normalize.ts";

export interface NormalStatement {
  sid?: string;
  effect: string;
  actions?: string[];
  notActions?: string[];
  resources?: string[];
  notResources?: string[];
  principals?: Json;
  condition?: Json;
}

export interface RoleAccess {
  /** Who may assume the role (its assumeRolePolicy). */
  trust: NormalStatement[];
  /** Inline policies by the logical name of the RolePolicy (or `inline:<name>`). */
  policies: Record<string, NormalStatement[]>;
  /** Managed policy ARNs attached to the role. */
  managedPolicies: string[];
}

export interface Permission {
  effect: string;
  /** An action, or `not <action>` for a NotAction statement. */
  action: string;
  /** A resource ARN pattern, or `not <arn>` for a NotResource statement. */
  resource: string;
  /** The statement's condition as compact JSON, when it has one. */
  condition?: string;
  /** Where it comes from: a policy name, `managed`, or `trust`. */
  policy: string;
}

/** What a role's side of the manifest needs from a resource. */
export interface IamResource {
  type: string;
  name: string;
  inputs: Record<string, Json>;
  /** The physical name the mocks gave the resource (roles are referred to by it). */
  physicalName?: string;
  arn?: string;
}

const ROLE = "aws:iam/role:Role";
const ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy";
const ROLE_POLICY_ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment";
const MANAGED_POLICY = "aws:iam/policy:Policy";

const list = (value: Json | undefined): string[] | undefined => {
  if (value === undefined || value === null) return undefined;
  const items = (Array.isArray(value) ? value : [value]).map((v) =>
    typeof v === "string" ? v : JSON.stringify(v),
  );
  return [...new Set(items)].sort();
};

/** The statements of a policy document (parsed JSON, or anything else: none). */
export function normalizeStatements(document: Json | undefined): NormalStatement[] {
  if (!document || typeof document !== "object" || Array.isArray(document)) return [];
  const raw = document.Statement;
  const statements = raw === undefined || raw === null ? [] : Array.isArray(raw) ? raw : [raw];
  return statements.map((s) => {
    const st = (s && typeof s === "object" && !Array.isArray(s) ? s : {}) as Record<string, Json>;
    const out: NormalStatement = { effect: String(st.Effect ?? "Allow") };
    if (typeof st.Sid === "string" && st.Sid !== "") out.sid = st.Sid;
    const fields = [
      ["actions", st.Action],
      ["notActions", st.NotAction],
      ["resources", st.Resource],
      ["notResources", st.NotResource],
    ] as const;
    for (const [key, value] of fields) {
      const items = list(value);
      if (items) out[key] = items;
    }
    if (st.Principal !== undefined) out.principals = st.Principal;
    if (st.NotPrincipal !== undefined) out.principals = { not: st.NotPrincipal };
    if (st.Condition !== undefined) out.condition = st.Condition;
    return out;
  });
}

/** Every role of the stack with the policies that reach it, by the role's logical name. */
export function rolesOf(resources: readonly IamResource[]): Record<string, RoleAccess> {
  const roles: Record<string, RoleAccess> = {};
  const byReference = new Map<string, string>();
  for (const r of resources.filter((x) => x.type === ROLE)) {
    const policies: Record<string, NormalStatement[]> = {};
    const inline = r.inputs.inlinePolicies;
    if (Array.isArray(inline)) {
      for (const p of inline) {
        const policy = (p ?? {}) as Record<string, Json>;
        policies[`inline:${String(policy.name ?? "")}`] = normalizeStatements(policy.policy);
      }
    }
    roles[r.name] = {
      trust: normalizeStatements(r.inputs.assumeRolePolicy),
      policies,
      managedPolicies: list(r.inputs.managedPolicyArns) ?? [],
    };
    for (const ref of [r.physicalName, r.arn, r.name]) if (ref) byReference.set(ref, r.name);
  }
  // Customer managed policies the stack declares: their statements count as the role's.
  const managed = new Map<string, IamResource>();
  for (const r of resources.filter((x) => x.type === MANAGED_POLICY))
    if (r.arn) managed.set(r.arn, r);
  for (const r of resources) {
    const role = byReference.get(String(r.inputs.role ?? ""));
    if (!role) continue;
    if (r.type === ROLE_POLICY) roles[role].policies[r.name] = normalizeStatements(r.inputs.policy);
    if (r.type === ROLE_POLICY_ATTACHMENT && typeof r.inputs.policyArn === "string") {
      roles[role].managedPolicies = [
        ...new Set([...roles[role].managedPolicies, r.inputs.policyArn]),
      ].sort();
      const policy = managed.get(r.inputs.policyArn);
      if (policy) roles[role].policies[policy.name] = normalizeStatements(policy.inputs.policy);
    }
  }
  return roles;
}

function statementRows(s: NormalStatement, policy: string): Permission[] {
  const actions = [...(s.actions ?? []), ...(s.notActions ?? []).map((a) => `not ${a}`)];
  const resources = [...(s.resources ?? []), ...(s.notResources ?? []).map((r) => `not ${r}`)];
  const condition = s.condition === undefined ? undefined : JSON.stringify(s.condition);
  const rows: Permission[] = [];
  for (const action of actions.length > 0 ? actions : ["(none)"]) {
    for (const resource of resources.length > 0 ? resources : ["(none)"]) {
      rows.push({
        effect: s.effect,
        action,
        resource,
        ...(condition ? { condition } : {}),
        policy,
      });
    }
  }
  return rows;
}

/** The role's permissions as rows; trust statements are rows of policy `trust`. */
export function permissionsOf(role: RoleAccess): Permission[] {
  const rows: Permission[] = [];
  for (const [name, statements] of Object.entries(role.policies)) {
    for (const s of statements) rows.push(...statementRows(s, name));
  }
  for (const arn of role.managedPolicies) {
    rows.push({ effect: "Allow", action: "(managed policy)", resource: arn, policy: "managed" });
  }
  for (const s of role.trust) {
    const principals = s.principals === undefined ? "(none)" : JSON.stringify(s.principals);
    for (const row of statementRows({ ...s, resources: [principals] }, "trust")) rows.push(row);
  }
  return rows;
}

/** A row key that ignores nothing a reviewer would care about. */
export function permissionKey(p: Permission): string {
  return [p.policy, p.effect, p.action, p.resource, p.condition ?? ""].join("\u0000");
}

/**
 * Whether an Allow row is broad enough for a reviewer to look twice: a wildcard action
 * (`s3:*`, `s3:Get*`, `*`), NotAction / NotResource, `Resource: "*"`, a wildcard service,
 * region or account in the ARN, or every resource of a type (`table/*`, `arn:aws:s3:::*`).
 * A wildcard below a named resource (`bucket/<pipeline>/*`) is how prefixes are scoped and is
 * not flagged.
 */
export function isWildcard(p: Permission): boolean {
  if (p.effect !== "Allow" || p.policy === "trust") return false;
  if (p.action.startsWith("not ") || p.resource.startsWith("not ")) return true;
  if (/[*?]/.test(p.action) || p.resource === "*") return true;
  const parts = p.resource.split(":");
  if (parts.length < 6) return false;
  const [, , service, region, account, ...rest] = parts;
  const id = rest.join(":");
  if ([service, region, account].some((x) => /[*?]/.test(x))) return true;
  return /^[*?]+$/.test(id) || /^[\w-]+[/:][*?]+$/.test(id);
}
