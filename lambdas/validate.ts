/** The Validate step as a Lambda handler, answered from the step cache when its inputs are unchanged. */
import { cachedStep } from "../pipeline/steps/cache.ts";
import { VALIDATE_CACHE } from "../pipeline/steps/cache-policies.ts";
import { validate } from "../pipeline/steps/validate.ts";
import { stepCacheSettings } from "./io/step-cache-settings.ts";
import { stepHandler } from "./step-handler.ts";

export const handler = stepHandler(
  "validate",
  cachedStep(VALIDATE_CACHE, validate, stepCacheSettings),
);
