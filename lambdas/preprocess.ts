/** The Preprocess step as a Lambda handler. */
import { preprocess } from "../pipeline/steps/preprocess.ts";
import { stepHandler } from "./step-handler.ts";

export const handler = stepHandler("preprocess", preprocess);
