/**
 * Where captures, labels and the Monitor's own records live in the artifacts area, written
 * and read through the `ArtifactStore` interface (plus a key listing, which the store does
 * not offer: `lambdas/io/list-keys.ts` implements it over S3).
 *
 *   <pipeline>/capture/<yyyy-mm-dd>/<HH>/<ms>-<uuid>.jsonl   CaptureRecord lines
 *   <pipeline>/labels/<yyyy-mm-dd>/<HH>/<ms>-<uuid>.jsonl    LabelRecord lines
 *   <pipeline>/monitor/state.json                             last retrain trigger (cool-down)
 *   <pipeline>/monitor/reports/<iso time>.html|.json          each Monitor run's report
 */
import { randomUUID } from "node:crypto";
import type { ArtifactStore } from "../store.ts";
import { type CaptureSink, capturePrefix } from "./capture.ts";
import { type LabelRecord, labelLines } from "./labels.ts";

/** Lists the keys under a prefix of the artifacts area (all pages). */
export type ListKeys = (prefix: string) => Promise<string[]>;

export function captureSink(artifacts: ArtifactStore): CaptureSink {
  return async (key, bytes) => {
    await artifacts.put("artifacts", key, bytes);
  };
}

/** Stores one batch of labels as one object; resolves once it is written. */
export async function storeLabels(
  artifacts: ArtifactStore,
  pipeline: string,
  labels: readonly LabelRecord[],
  now = new Date(),
): Promise<string> {
  const key = `${capturePrefix(pipeline, now, "labels")}${now.getTime()}-${randomUUID()}.jsonl`;
  await artifacts.put("artifacts", key, labelLines(labels));
  return key;
}

export function monitorStateKey(pipeline: string): string {
  return `${pipeline}/monitor/state.json`;
}

export function monitorReportKey(pipeline: string, at: Date, ext: "html" | "json"): string {
  return `${pipeline}/monitor/reports/${at.toISOString().replace(/[:.]/g, "-")}.${ext}`;
}

/** Date folders (`<yyyy-mm-dd>/`) from `since` to `until`, so a window lists only its days. */
export function dayPrefixes(
  pipeline: string,
  kind: "capture" | "labels",
  since: Date,
  until: Date,
): string[] {
  const out: string[] = [];
  const day = new Date(Date.UTC(since.getUTCFullYear(), since.getUTCMonth(), since.getUTCDate()));
  for (; day.getTime() <= until.getTime(); day.setUTCDate(day.getUTCDate() + 1)) {
    out.push(`${pipeline}/${kind}/${day.toISOString().slice(0, 10)}/`);
  }
  return out;
}
