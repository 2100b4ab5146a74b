/** The Validate step as a Lambda handler. */
import { validate } from "../pipeline/steps/validate.ts";
import { stepHandler } from "./step-handler.ts";

export const handler = stepHandler("validate", validate);
