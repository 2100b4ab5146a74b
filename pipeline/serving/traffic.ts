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
 */
import { ArtifactError } from "../errors.ts";

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
  if (!ok) {
    throw new ArtifactError(
      `${uri} is not a traffic record ({pipeline, baseline, candidate, weight}); re-run the pipeline to rewrite it`,
    );
  }
  return r as TrafficRecord;
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
