/** The Train step as a Lambda handler. */
import { train } from "../pipeline/steps/train.ts";
import { stepHandler } from "./step-handler.ts";

export const handler = stepHandler("train", train);
