/** One FitShards iteration as a Lambda handler: grows a tree range of the sharded final fit. */
import { trainShard } from "../pipeline/steps/shards.ts";
import { stepHandler } from "./step-handler.ts";

export const handler = stepHandler("trainShard", trainShard);
