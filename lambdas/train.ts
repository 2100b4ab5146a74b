/** The Train step as a Lambda handler, answered from the step cache when its inputs are unchanged. */
import { cachedStep } from "../pipeline/steps/cache.ts";
import { TRAIN_CACHE } from "../pipeline/steps/cache-policies.ts";
import { train } from "../pipeline/steps/train.ts";
import { stepCacheSettings } from "./io/step-cache-settings.ts";
import { stepHandler } from "./step-handler.ts";

export const handler = stepHandler("train", cachedStep(TRAIN_CACHE, train, stepCacheSettings));
