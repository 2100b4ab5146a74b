/** The Select step (or the plan of a sharded refit) as a Lambda handler, answered from the step cache when its inputs are unchanged. */
import { cachedStep } from "../pipeline/steps/cache.ts";
import { SELECT_CACHE } from "../pipeline/steps/cache-policies.ts";
import { selectStep } from "../pipeline/steps/select.ts";
import { stepCacheSettings } from "./io/step-cache-settings.ts";
import { stepHandler } from "./step-handler.ts";

export const handler = stepHandler(
  "select",
  cachedStep(SELECT_CACHE, selectStep, stepCacheSettings),
);
