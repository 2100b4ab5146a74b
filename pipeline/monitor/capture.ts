/**
 * Prediction capture: what serving records of each prediction so that the Monitor can later
 * join it with the true outcome (docs/monitoring.md).
 *
 * The request path does the least possible: `CaptureBuffer.add` decides sampling by a hash of
 * the request id and pushes one reference (the request body it already holds, the rows, the
 * predictions) onto an array. Building the JSON lines (inputs minus `exclude`, the entity id
 * read from the raw body) and writing them happens at flush time, off the request path: when
 * `maxRecords` rows are waiting, every `maxAgeMs`, and on `close` (orchard serve's SIGTERM).
 * A write that fails is retried at the next flush; past `maxBuffered` rows the oldest are
 * dropped and counted, so a dead sink never grows the process without bound.
 *
 * Objects are `<pipeline>/capture/<yyyy-mm-dd>/<HH>/<first ms>-<random>.jsonl` in the artifacts
 * area (UTC), one JSON line per row: `CaptureRecord`.
 */
import { createHash, randomUUID } from "node:crypto";
import type { Prediction } from "../model/bundle.ts";
import type { RawRow } from "../model/schema.ts";

export interface CaptureRecord {
  /** The request's id; a request of several rows gives its n-th row `<id>#<n>` (from 1). */
  requestId: string;
  /** ISO-8601 time of the prediction. */
  at: string;
  pipeline: string;
  modelVersion: string;
  /** Where it was served: `serve` (orchard serve, Kubernetes), `lambda`, `batch`. */
  source: "serve" | "lambda" | "batch";
  /** The value of the spec's `id` column in the row as sent, when it had one. */
  id?: string;
  /** The row as sent, minus `capture.exclude`. */
  inputs: Record<string, unknown>;
  prediction: string | number;
  probabilities?: Record<string, number>;
}

/** One answered predict request, as the request path hands it over (no copying). */
export interface CapturedRequest {
  requestId: string;
  /** Epoch ms. */
  at: number;
  pipeline: string;
  modelVersion: string;
  /** The request body; rows are re-read from it at flush time (ids, excluded columns). */
  body?: Uint8Array;
  /** The rows the model read (used when there is no body, e.g. batch scoring). */
  rows: readonly RawRow[];
  predictions: readonly Prediction[];
}

export interface CaptureSettings {
  sampleRate: number;
  exclude: readonly string[];
  /** The spec's entity id column, captured as `id`. */
  idColumn?: string | null;
  source: CaptureRecord["source"];
}

/** The request id of the `n`-th row (from 1) of a request of `count` rows. */
export function rowRequestId(requestId: string, n: number, count: number): string {
  return count === 1 ? requestId : `${requestId}#${n}`;
}

/** Whether a request is sampled: a stable hash of its id below the rate (same id, same answer). */
export function sampled(requestId: string, rate: number): boolean {
  if (rate >= 1) return true;
  const h = createHash("sha256").update(requestId).digest();
  return h.readUInt32BE(0) / 0x1_0000_0000 < rate;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The caller's `x-request-id` when it is a plain token, else a fresh UUID. */
export function requestIdOf(header: string | undefined): string {
  return clientRequestId(header) ?? randomUUID();
}

/** The caller's `x-request-id` when it is a plain token, else undefined. */
export function clientRequestId(header: string | undefined): string | undefined {
  return header !== undefined && REQUEST_ID.test(header) ? header : undefined;
}

const utf8 = new TextDecoder();

/** The JSON lines of one captured request (one per row). */
export function captureRecords(entry: CapturedRequest, settings: CaptureSettings): CaptureRecord[] {
  let raw: unknown[] | undefined;
  if (entry.body) {
    try {
      const value = JSON.parse(utf8.decode(entry.body)) as { rows?: unknown };
      if (Array.isArray(value.rows) && value.rows.length === entry.predictions.length)
        raw = value.rows;
    } catch {
      // The request was parsed before it was answered; a body that no longer parses cannot
      // happen, and would only cost the captured ids.
    }
  }
  const exclude = new Set(settings.exclude);
  const at = new Date(entry.at).toISOString();
  return entry.predictions.map((p, i) => {
    const row = (raw?.[i] ?? entry.rows[i] ?? {}) as Record<string, unknown>;
    const inputs: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(row)) if (!exclude.has(name)) inputs[name] = value;
    const id = settings.idColumn ? row[settings.idColumn] : undefined;
    const record: CaptureRecord = {
      requestId: rowRequestId(entry.requestId, i + 1, entry.predictions.length),
      at,
      pipeline: entry.pipeline,
      modelVersion: entry.modelVersion,
      source: settings.source,
      ...(id !== undefined && id !== null && id !== "" ? { id: String(id) } : {}),
      inputs,
      prediction: p.prediction,
      ...(p.probabilities ? { probabilities: p.probabilities } : {}),
    };
    return record;
  });
}

/** `<pipeline>/capture/<yyyy-mm-dd>/<HH>/` of a time (UTC). */
export function capturePrefix(pipeline: string, at: Date, kind = "capture"): string {
  const iso = at.toISOString();
  return `${pipeline}/${kind}/${iso.slice(0, 10)}/${iso.slice(11, 13)}/`;
}

/** Where the sink writes: a key in the artifacts area and its bytes. */
export type CaptureSink = (key: string, bytes: Uint8Array) => Promise<void>;

export interface CaptureBufferOptions extends CaptureSettings {
  pipeline: string;
  sink: CaptureSink;
  /** Flush once this many rows wait. Default 1,000. */
  maxRecords?: number;
  /** Flush at least this often while rows wait. Default 60,000 ms. */
  maxAgeMs?: number;
  /** Rows kept while the sink fails; older ones are dropped. Default 100,000. */
  maxBuffered?: number;
  onError?: (err: unknown) => void;
}

export interface CaptureCounters {
  requests: number;
  sampledRequests: number;
  rows: number;
  written: number;
  objects: number;
  dropped: number;
  failedFlushes: number;
}

/** The longest the flush works before it yields to the event loop (requests waiting). */
const SLICE_MS = 0.2;

export class CaptureBuffer {
  private readonly options: CaptureBufferOptions;
  private pending: CapturedRequest[] = [];
  private pendingRows = 0;
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  readonly counters: CaptureCounters = {
    requests: 0,
    sampledRequests: 0,
    rows: 0,
    written: 0,
    objects: 0,
    dropped: 0,
    failedFlushes: 0,
  };

  constructor(options: CaptureBufferOptions) {
    this.options = options;
  }

  /** The request path's whole cost: a hash and a push. Never throws. */
  add(entry: CapturedRequest): void {
    this.counters.requests++;
    if (!sampled(entry.requestId, this.options.sampleRate)) return;
    this.counters.sampledRequests++;
    this.counters.rows += entry.predictions.length;
    this.pending.push(entry);
    this.pendingRows += entry.predictions.length;
    if (this.pendingRows >= (this.options.maxRecords ?? 1000)) {
      void this.flush();
    } else if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        void this.flush();
      }, this.options.maxAgeMs ?? 60_000);
      this.timer.unref();
    }
  }

  /** Writes whatever waits (one object per UTC hour); resolves when written or failed. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.writePending());
    return this.flushing;
  }

  /** Flushes and stops the timer (shutdown). */
  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.flush();
  }

  private async writePending(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.pending;
    if (batch.length === 0) return;
    this.pending = [];
    this.pendingRows = 0;
    const byHour = new Map<string, { at: number; lines: string[] }>();
    let slice = performance.now();
    for (const entry of batch) {
      // The flush shares the event loop with the requests: it works in slices of at most
      // SLICE_MS and lets waiting requests run between them, so building thousands of lines
      // never holds a prediction back for more than a slice.
      if (performance.now() - slice > SLICE_MS) {
        await new Promise((r) => setImmediate(r));
        slice = performance.now();
      }
      const prefix = capturePrefix(this.options.pipeline, new Date(entry.at));
      const group = byHour.get(prefix) ?? { at: entry.at, lines: [] };
      for (const record of captureRecords(entry, this.options))
        group.lines.push(JSON.stringify(record));
      byHour.set(prefix, group);
    }
    for (const [prefix, group] of byHour) {
      const records = group.lines;
      const key = `${prefix}${group.at}-${randomUUID()}.jsonl`;
      const bytes = Buffer.from(`${records.join("\n")}\n`);
      try {
        await this.options.sink(key, bytes);
        this.counters.written += records.length;
        this.counters.objects++;
      } catch (err) {
        this.counters.failedFlushes++;
        this.options.onError?.(err);
        this.requeue(
          batch.filter((e) => capturePrefix(this.options.pipeline, new Date(e.at)) === prefix),
        );
      }
    }
  }

  /** A failed hour waits for the next flush, within `maxBuffered` rows (oldest dropped). */
  private requeue(entries: CapturedRequest[]): void {
    this.pending = [...entries, ...this.pending];
    this.pendingRows = this.pending.reduce((n, e) => n + e.predictions.length, 0);
    const max = this.options.maxBuffered ?? 100_000;
    while (this.pendingRows > max && this.pending.length > 0) {
      const old = this.pending.shift();
      const n = old?.predictions.length ?? 0;
      this.pendingRows -= n;
      this.counters.dropped += n;
    }
  }
}

/** Reads capture objects' JSON lines; also a CloudWatch log line with `"orchard":"capture"`. */
export function parseCaptureLines(bytes: Uint8Array): CaptureRecord[] {
  const out: CaptureRecord[] = [];
  for (const line of utf8.decode(bytes).split("\n")) {
    const text = line.trim();
    if (!text.startsWith("{")) continue;
    try {
      const value = JSON.parse(text) as CaptureRecord & { orchard?: string };
      if (typeof value.requestId === "string" && typeof value.modelVersion === "string") {
        delete value.orchard;
        out.push(value);
      }
    } catch {
      // A truncated line (a crash mid-write) costs that line, not the file.
    }
  }
  return out;
}
