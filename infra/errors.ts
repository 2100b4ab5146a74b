/**
 * Named errors of the Pulumi program. Messages name the config key (`orchard:steps.train.memoryMb`)
 * or file that was wrong and say what to set instead.
 */
import { OrchardError } from "../pipeline/errors.ts";

/** A stack config value is missing, malformed or out of range. The message names the key. */
export class InfraConfigError extends OrchardError {}

/** Something the deployment needs on disk (a spec, a source file, a Lambda bundle) is missing. */
export class DeployInputError extends OrchardError {}
