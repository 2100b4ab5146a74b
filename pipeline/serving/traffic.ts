/**
 * The serving traffic record: during a canary, which share of predict requests the candidate
 * model answers instead of the champion. Written by the canary steps to the artifacts store
 * (`<pipeline>/serving/traffic.json`), read by every predict process (Lambda or `orchard
 * serve`) when it refreshes its champion. See docs/serving.md for why models are split here
 * and not by Lambda alias weights.
 *
 * The record is honoured only while `baseline` is still the champion: once the candidate is
 * promoted (or another run promotes something else) it is stale and ignored, so a crash
 * between "promote" and "clear the record" can never keep routing traffic to a loser.
 *
 * An A/B test or a bandit (`deploy.strategy`) writes the same record with `arms`: every
 * version served with its share, the champion first (a canary's record without `arms` is the
 * two arms baseline and candidate). A request goes to an arm by a hash of its request id, so a
 * retried request (same `x-request-id`) is answered by the same version.
 */
import { createHash } from "node:crypto";
import { ArtifactError } from "../errors.ts";

export type TrafficStrategy = "canary" | "ab" | "bandit";

export interface TrafficArm {
  version: string;
  /** Share of requests, 0 to 1; the arms' shares add up to 1. */
  weight: number;
  /** Bandit: the reward sums the Monitor last counted (Beta posterior 1 + successes, 1 + failures). */
  successes?: number;
  failures?: number;
}

export interface TrafficRecord {
  pipeline: string;
  /** The champion when the canary started. */
  baseline: string;
  /** The version under test, or null when no canary runs. */
  candidate: string | null;
  /** Share of requests the candidate answers, 0 to 1. */
  weight: number;
  /** ISO time the canary started. */
  startedAt: string;
  /** The execution that owns the canary (only it may end it). */
  executionId?: string;
  /** Absent: a canary. */
  strategy?: TrafficStrategy;
  /** A/B and bandit: every arm, the champion (`baseline`) first. */
  arms?: TrafficArm[];
  /** Bandit: ISO time the Monitor last wrote the weights. */
  updatedAt?: string;
}

export function trafficKey(pipeline: string): string {
  return `${pipeline}/serving/traffic.json`;
}

export function encodeTraffic(record: TrafficRecord): Uint8Array {
  return new TextEncoder().encode(`${JSON.stringify(record, null, 2)}\n`);
}

export function decodeTraffic(bytes: Uint8Array, uri: string): TrafficRecord {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(bytes));
  } catch (cause) {
    throw new ArtifactError(`${uri} is not JSON; re-run the pipeline to rewrite it`, {}, { cause });
  }
  const r = value as Partial<TrafficRecord> | null;
  const ok =
    r !== null &&
    typeof r === "object" &&
    typeof r.pipeline === "string" &&
    typeof r.baseline === "string" &&
    (r.candidate === null || typeof r.candidate === "string") &&
    typeof r.weight === "number" &&
    r.weight >= 0 &&
    r.weight <= 1;
  const armsOk =
    r?.arms === undefined ||
    (Array.isArray(r.arms) &&
      r.arms.every(
        (a) =>
          a !== null &&
          typeof a === "object" &&
          typeof a.version === "string" &&
          typeof a.weight === "number" &&
          a.weight >= 0 &&
          a.weight <= 1,
      ));
  if (!ok || !armsOk) {
    throw new ArtifactError(
      `${uri} is not a traffic record ({pipeline, baseline, candidate, weight, arms?}); re-run the pipeline to rewrite it`,
    );
  }
  return r as TrafficRecord;
}

/**
 * The arms that apply now, the champion first, shares adding up to 1; null when only the
 * champion is served (no record, a cleared one, or a stale baseline).
 */
export function activeArms(
  record: TrafficRecord | null,
  champion: string | null,
): TrafficArm[] | null {
  if (!record || champion === null || record.baseline !== champion) return null;
  if (!record.arms) {
    const canary = activeCanary(record, champion);
    if (!canary) return null;
    return [
      { version: champion, weight: 1 - canary.weight },
      { version: canary.version, weight: canary.weight },
    ];
  }
  const arms = record.arms.filter((a, i) => i === 0 || a.version !== champion);
  if (arms.length < 2 || arms[0].version !== champion) return null;
  const total = arms.reduce((s, a) => s + a.weight, 0);
  if (total <= 0 || arms.slice(1).every((a) => a.weight <= 0)) return null;
  return arms.map((a) => ({ ...a, weight: a.weight / total }));
}

/** A uniform number in [0, 1) from the request id, independent of capture's sampling hash. */
export function armPoint(requestId: string): number {
  const h = createHash("sha256").update("orchard-arm:").update(requestId).digest();
  return h.readUInt32BE(0) / 0x1_0000_0000;
}

/** The arm whose share covers `point` (cumulative shares in arm order). */
export function armAt(arms: readonly { weight: number }[], point: number): number {
  let acc = 0;
  for (let i = 0; i < arms.length; i++) {
    acc += arms[i].weight;
    if (point < acc) return i;
  }
  // Rounding left the shares a hair short of 1: the last arm with a share takes the rest.
  for (let i = arms.length - 1; i > 0; i--) if (arms[i].weight > 0) return i;
  return 0;
}

/** The canary that applies now, or null: no record, no candidate, or a stale baseline. */
export function activeCanary(
  record: TrafficRecord | null,
  champion: string | null,
): { version: string; weight: number } | null {
  if (!record || record.candidate === null || record.weight <= 0) return null;
  if (champion === null || record.baseline !== champion || record.candidate === champion)
    return null;
  return { version: record.candidate, weight: record.weight };
}

/**
 * Deterministic split: request n (0, 1, 2, …) goes to the candidate when ⌊(n+1)·w⌋ > ⌊n·w⌋.
 * Over any run of requests the candidate gets its share to within one request, with no
 * random choice to seed.
 */
export function routesToCandidate(n: number, weight: number): boolean {
  if (weight <= 0) return false;
  if (weight >= 1) return true;
  return Math.floor((n + 1) * weight) > Math.floor(n * weight);
}
