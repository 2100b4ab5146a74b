import { OrchardError } from "../../pipeline/errors.ts";

/**
 * The program could not be synthesized under the mocks (a resource created inside `.apply()`,
 * a checkout without `infra/index.ts`), or a manifest is not one `orchard synth` wrote. The
 * message names the resource or file and says what to change.
 */
export class SynthError extends OrchardError {}
