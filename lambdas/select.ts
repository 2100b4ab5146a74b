/** The Select step as a Lambda handler. */
import { select } from "../pipeline/steps/select.ts";
import { stepHandler } from "./step-handler.ts";

export const handler = stepHandler("select", select);
