/**
 * Ground truth: the true outcome of a served prediction, sent back later as
 * `{"requestId" | "id", "label", "at"?, "reward"?}` (POST /feedback, a file under
 * `<pipeline>/labels/`, or `orchard feedback --input FILE`). A label names its prediction by
 * the request id serving answered with (`x-orchard-request-id`; `<id>#<n>` for row n of a
 * request of several rows) or by the spec's entity `id` column.
 *
 * Labels arrive late and more than once. `latestLabels` keeps, per key, the one with the
 * latest `at` (equal `at`: the one read last) and counts the others as duplicates.
 */
import { BadRequestError } from "../serving/errors.ts";

export interface LabelRecord {
  requestId?: string;
  id?: string;
  label: string | number;
  /** ISO-8601: when the outcome was known. Default: when it was received. */
  at: string;
  /** A reward for bandits (default: 1 when the prediction was right, else 0). */
  reward?: number;
}

/** At most this many labels per feedback request or file line batch. */
export const MAX_LABELS_PER_REQUEST = 1000;

const EXAMPLE = '{"requestId": "…", "label": "Adelie", "at": "2026-12-03T10:00:00Z"}';

/** Checks one label object (from JSON or a file row); a BadRequestError names the field. */
export function readLabel(value: unknown, n: number, receivedAt: Date): LabelRecord {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new BadRequestError(`label ${n} is not an object; send ${EXAMPLE}`, { row: n });
  }
  const v = value as Record<string, unknown>;
  for (const key of Object.keys(v)) {
    if (!["requestId", "id", "label", "at", "reward"].includes(key)) {
      throw new BadRequestError(
        `label ${n} has an unknown field "${key.slice(0, 60)}"; the fields are requestId or id, label, at, reward`,
        { row: n, column: key.slice(0, 60) },
      );
    }
  }
  const text = (x: unknown) => (typeof x === "number" && Number.isFinite(x) ? String(x) : x);
  const requestId = text(v.requestId);
  const id = text(v.id);
  if (
    (typeof requestId !== "string" || requestId === "") &&
    (typeof id !== "string" || id === "")
  ) {
    throw new BadRequestError(
      `label ${n} names no prediction; give "requestId" (the x-orchard-request-id serving answered with) or "id" (the spec's id column): ${EXAMPLE}`,
      { row: n, column: "requestId" },
    );
  }
  const label = v.label;
  if (
    !(typeof label === "string" && label !== "") &&
    !(typeof label === "number" && Number.isFinite(label))
  ) {
    throw new BadRequestError(`label ${n} has no "label" (text or a finite number): ${EXAMPLE}`, {
      row: n,
      column: "label",
    });
  }
  let at = receivedAt.toISOString();
  if (v.at !== undefined && v.at !== null && v.at !== "") {
    const ms = typeof v.at === "string" ? Date.parse(v.at) : Number.NaN;
    if (!Number.isFinite(ms)) {
      throw new BadRequestError(
        `label ${n}: "at" is not an ISO-8601 time; send e.g. "2026-12-03T10:00:00Z" or leave it out`,
        { row: n, column: "at" },
      );
    }
    at = new Date(ms).toISOString();
  }
  if (v.reward !== undefined && (typeof v.reward !== "number" || !Number.isFinite(v.reward))) {
    throw new BadRequestError(`label ${n}: "reward" must be a finite number`, {
      row: n,
      column: "reward",
    });
  }
  return {
    ...(typeof requestId === "string" && requestId !== "" ? { requestId } : {}),
    ...(typeof id === "string" && id !== "" ? { id } : {}),
    label,
    at,
    ...(typeof v.reward === "number" ? { reward: v.reward } : {}),
  };
}

/** The labels of a feedback body: one label object, or `{"labels": [...]}`. */
export function readFeedbackBody(value: unknown, receivedAt: Date): LabelRecord[] {
  if (value !== null && typeof value === "object" && !Array.isArray(value) && "labels" in value) {
    const list = (value as { labels: unknown }).labels;
    if (!Array.isArray(list) || list.length === 0) {
      throw new BadRequestError(`"labels" must be a non-empty array of ${EXAMPLE}`);
    }
    if (list.length > MAX_LABELS_PER_REQUEST) {
      throw new BadRequestError(
        `"labels" has ${list.length} labels, over the limit of ${MAX_LABELS_PER_REQUEST} per request; split them`,
      );
    }
    return list.map((x, i) => readLabel(x, i + 1, receivedAt));
  }
  return [readLabel(value, 1, receivedAt)];
}

/** `<pipeline>/labels/<yyyy-mm-dd>/<HH>/<ms>-<random>.jsonl` holds one label per line. */
export function labelLines(labels: readonly LabelRecord[]): Uint8Array {
  return Buffer.from(`${labels.map((l) => JSON.stringify(l)).join("\n")}\n`);
}

/** Every label line of an object; lines that are not labels are counted as rejected. */
export function parseLabelLines(
  bytes: Uint8Array,
  receivedAt: Date,
): { labels: LabelRecord[]; rejected: number } {
  const labels: LabelRecord[] = [];
  let rejected = 0;
  const lines = new TextDecoder().decode(bytes).split("\n");
  lines.forEach((line, i) => {
    const text = line.trim();
    if (text === "") return;
    try {
      labels.push(readLabel(JSON.parse(text), i + 1, receivedAt));
    } catch {
      rejected++;
    }
  });
  return { labels, rejected };
}

export interface LatestLabels {
  /** By `requestId` and by `id` (a label with both is under both). */
  byRequestId: Map<string, LabelRecord>;
  byId: Map<string, LabelRecord>;
  received: number;
  /** Labels replaced by a later one for the same prediction. */
  duplicates: number;
}

/** Last wins per prediction: the latest `at`; equal `at`, the one later in `labels`. */
export function latestLabels(labels: readonly LabelRecord[]): LatestLabels {
  const byRequestId = new Map<string, LabelRecord>();
  const byId = new Map<string, LabelRecord>();
  let duplicates = 0;
  const keep = (map: Map<string, LabelRecord>, key: string, label: LabelRecord) => {
    const seen = map.get(key);
    if (seen) duplicates++;
    if (!seen || Date.parse(label.at) >= Date.parse(seen.at)) map.set(key, label);
  };
  for (const label of labels) {
    if (label.requestId !== undefined) keep(byRequestId, label.requestId, label);
    else if (label.id !== undefined) keep(byId, label.id, label);
  }
  return { byRequestId, byId, received: labels.length, duplicates };
}
