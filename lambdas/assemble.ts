/** The Assemble step as a Lambda handler: joins the shards of a sharded fit into the model. */
import { assemble } from "../pipeline/steps/shards.ts";
import { stepHandler } from "./step-handler.ts";

export const handler = stepHandler("assemble", assemble);
