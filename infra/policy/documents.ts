/**
 * Reading policy documents out of resource properties. A document may be a JSON string (the
 * usual `JSON.stringify` output), an object, or missing/unknown during a preview; statements
 * use the IAM grammar's single-value-or-list forms, normalized here to lists.
 */

export interface Statement {
  sid: string;
  effect: "Allow" | "Deny";
  actions: string[];
  notActions: string[];
  resources: string[];
  notResources: string[];
  /** Every principal value (`*`, ARNs, service names), flattened. */
  principals: string[];
  condition: Record<string, Record<string, unknown>>;
}

function list(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  return (Array.isArray(value) ? value : [value]).map(String);
}

function principalsOf(value: unknown): string[] {
  if (value === undefined) return [];
  if (typeof value === "string") return [value];
  if (typeof value === "object" && value !== null) {
    return Object.values(value as Record<string, unknown>).flatMap(list);
  }
  return [];
}

/** The statements of a document, or `undefined` if it is absent or not yet known. */
export function statementsOf(document: unknown): Statement[] | undefined {
  let doc = document;
  if (typeof doc === "string") {
    try {
      doc = JSON.parse(doc);
    } catch {
      return undefined;
    }
  }
  if (typeof doc !== "object" || doc === null) return undefined;
  const raw = (doc as { Statement?: unknown }).Statement;
  if (raw === undefined) return [];
  return (Array.isArray(raw) ? raw : [raw]).map((s: Record<string, unknown>, i) => ({
    sid: typeof s.Sid === "string" && s.Sid !== "" ? s.Sid : `#${i}`,
    effect: s.Effect === "Deny" ? "Deny" : "Allow",
    actions: list(s.Action),
    notActions: list(s.NotAction),
    resources: list(s.Resource),
    notResources: list(s.NotResource),
    principals: principalsOf(s.Principal),
    condition: (s.Condition ?? {}) as Record<string, Record<string, unknown>>,
  }));
}

/** True if a statement names everyone: `"*"` or `{ AWS: "*" }`. */
export function isPublicPrincipal(s: Statement): boolean {
  return s.principals.includes("*");
}

/**
 * The TLS-only statement: Deny, to everyone, of every S3 action (`s3:*` or `*`) when
 * `aws:SecureTransport` is false, on the bucket and its objects.
 */
export function isTlsDeny(s: Statement, bucketArn?: string): boolean {
  if (s.effect !== "Deny" || !isPublicPrincipal(s)) return false;
  if (!s.actions.some((a) => a === "s3:*" || a === "*")) return false;
  const secure = Object.entries(s.condition).find(([op]) => /^Bool(IfExists)?$/.test(op))?.[1];
  const value = secure?.["aws:SecureTransport"];
  if (!list(value).includes("false")) return false;
  if (bucketArn === undefined) return true;
  return s.resources.includes(bucketArn) && s.resources.includes(`${bucketArn}/*`);
}
