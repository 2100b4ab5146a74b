/** The Evaluate step as a Lambda handler. */
import { evaluate } from "../pipeline/steps/evaluate.ts";
import { stepHandler } from "./step-handler.ts";

export const handler = stepHandler("evaluate", evaluate);
