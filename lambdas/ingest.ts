/** The Ingest step as a Lambda handler. */
import { ingest } from "../pipeline/steps/ingest.ts";
import { stepHandler } from "./step-handler.ts";

export const handler = stepHandler("ingest", ingest);
