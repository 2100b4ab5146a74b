/**
 * The step cache's settings from the environment: ORCHARD_STEP_CACHE=off turns it off, and
 * ORCHARD_CODE_VERSION names the code computing the steps (part of every cache key). Deployed
 * Lambda steps get their bundle's hash and container steps their image reference
 * (infra/code.ts, infra/platform.ts); `orchard run` sets a hash of the pipeline and handler
 * sources, so editing any of them invalidates the local cache. Unset: the package version.
 */
import type { StepCacheSettings } from "../../pipeline/steps/cache.ts";
import { ORCHARD_VERSION } from "../../pipeline/version.ts";

export const STEP_CACHE_ENV = {
  enabled: "ORCHARD_STEP_CACHE",
  codeVersion: "ORCHARD_CODE_VERSION",
} as const;

export function stepCacheSettings(
  env: Record<string, string | undefined> = process.env,
): StepCacheSettings {
  const flag = env[STEP_CACHE_ENV.enabled]?.trim().toLowerCase();
  return {
    enabled: !(flag === "off" || flag === "0" || flag === "false"),
    codeVersion: env[STEP_CACHE_ENV.codeVersion]?.trim() || ORCHARD_VERSION,
  };
}
