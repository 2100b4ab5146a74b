/**
 * The canary step as a Lambda handler: CanaryStart and CanaryCheck (pipeline/steps/canary.ts).
 * Traffic comes from CloudWatch in the cloud and from nowhere locally (canary-metrics.ts).
 * ORCHARD_CANARY_WAIT_SECONDS overrides the spec's `minutes` (local default 0: with no local
 * traffic, waiting shows nothing); ORCHARD_CANARY_ALARMS names the alarms that veto a canary.
 */
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { type CanaryMetrics, type CanaryRunState, canary } from "../pipeline/steps/canary.ts";
import { cloudWatchCanaryMetrics, NO_TRAFFIC } from "./canary-metrics.ts";
import { STORAGE_ENV } from "./io/env.ts";
import { stepHandler } from "./step-handler.ts";

let source: CanaryMetrics | undefined;

/** Replaces the traffic source (tests); `undefined` restores the default. */
export function setCanaryMetrics(metrics: CanaryMetrics | undefined): void {
  source = metrics;
}

const isLocal = () => Boolean(process.env[STORAGE_ENV.s3Endpoint]);

function metrics(): CanaryMetrics {
  if (source) return source;
  if (isLocal()) return NO_TRAFFIC;
  source = cloudWatchCanaryMetrics(
    new CloudWatchClient({}),
    (process.env.ORCHARD_CANARY_ALARMS ?? "")
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean),
  );
  return source;
}

function waitSeconds(): number | undefined {
  const text = process.env.ORCHARD_CANARY_WAIT_SECONDS?.trim();
  if (text) {
    const n = Number(text);
    if (Number.isFinite(n) && n >= 0) return n;
  }
  return isLocal() ? 0 : undefined;
}

export const handler = stepHandler("canary", (state: CanaryRunState, deps) =>
  canary(state, deps, { metrics: metrics(), waitSeconds: waitSeconds() }),
);
