/** The Preprocess step as a Lambda handler, answered from the step cache when its inputs are unchanged. */
import { cachedStep } from "../pipeline/steps/cache.ts";
import { PREPROCESS_CACHE } from "../pipeline/steps/cache-policies.ts";
import { preprocess } from "../pipeline/steps/preprocess.ts";
import { stepCacheSettings } from "./io/step-cache-settings.ts";
import { stepHandler } from "./step-handler.ts";

export const handler = stepHandler(
  "preprocess",
  cachedStep(PREPROCESS_CACHE, preprocess, stepCacheSettings),
);
