/**
 * The plain shapes the policy rules work on. They are structural subsets of @pulumi/policy's
 * `ResourceValidationArgs`, `StackValidationArgs` and `PolicyResource`, so the CrossGuard pack
 * hands its arguments to the rules unchanged, and tests hand them resources captured by the
 * Pulumi mocks. Nothing here imports @pulumi/policy (its entry starts a gRPC server).
 */

export type EnforcementLevel = "mandatory" | "advisory";

export type ReportViolation = (message: string, urn?: string) => void;

/** A resource as a rule sees it: its type token and input properties. */
export interface RuleResource {
  /** Type token, e.g. `aws:s3/bucket:Bucket`. */
  type: string;
  /** Logical name (`orchard-raw`). */
  name?: string;
  urn?: string;
  /** The physical id, when known (mocks: the id `newResource` returned). */
  id?: string;
  props: Record<string, unknown>;
  opts?: { protect?: boolean };
  /** CrossGuard: the resources each property depends on (resolves `bucket: bucket.id`). */
  propertyDependencies?: Record<string, { urn: string }[]>;
}

export interface ResourceRule {
  name: string;
  description: string;
  enforcementLevel: EnforcementLevel;
  validateResource: (args: RuleResource, reportViolation: ReportViolation) => void;
}

export interface StackRule {
  name: string;
  description: string;
  enforcementLevel: EnforcementLevel;
  validateStack: (args: { resources: RuleResource[] }, reportViolation: ReportViolation) => void;
}

export type Rule = ResourceRule | StackRule;
