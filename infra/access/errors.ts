import { OrchardError } from "../../pipeline/errors.ts";

/**
 * An access target is malformed (an ARN of the wrong service or shape, a pipeline name that
 * would widen an IAM pattern). Thrown while building a policy, so `pulumi preview` stops
 * before a role with a wrong grant exists; the message names the field and the value.
 */
export class AccessPolicyError extends OrchardError {}
