/** The Promote step as a Lambda handler. */
import { promote } from "../pipeline/steps/promote.ts";
import { stepHandler } from "./step-handler.ts";

export const handler = stepHandler("promote", promote);
