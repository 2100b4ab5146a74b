/**
 * The predict API as one function from a request to a response, with no transport in it:
 * `lambdas/predict.ts` calls it for function URL events, `orchard serve` for node:http
 * requests, so both answer every request (good or hostile) identically.
 *
 *   GET  /health    liveness: 200 {"status":"ok","pipeline","champion","canary","arms"?}; 503 while
 *                   shutting down (a process without a champion yet is alive)
 *   GET  /ready     readiness: 200 {"status":"ready",…} once a champion can be served; 503
 *                   {"status":"no-champion"|"draining"|"unavailable",…} otherwise, so a probe
 *                   never routes traffic to a pod that would answer every prediction 503
 *   POST /predict   200 {"modelVersion","predictions":[{"prediction","probabilities"?}]} in row order;
 *                   with "explain": true each prediction also has its "explanation" (TreeSHAP)
 *   POST /feedback  202 {"accepted"}: true outcomes `{"requestId"|"id","label","at"?}` or
 *                   `{"labels":[…]}` (pipeline/monitor/labels.ts); 501 where labels are not kept
 *   anything else   404, or 405 with Allow
 *
 * With `capture` set, each answered prediction is handed to it (a push onto a buffer; the
 * writing happens elsewhere, pipeline/monitor/capture.ts) and the response carries its
 * `x-orchard-request-id`, the key a label names it by.
 *
 * Every answer also yields `RequestMetrics` for the EMF log line.
 */
import type { Prediction } from "../model/bundle.ts";
import type { RawRow } from "../model/schema.ts";
import { type CapturedRequest, requestIdOf } from "../monitor/capture.ts";
import { type LabelRecord, readFeedbackBody } from "../monitor/labels.ts";
import {
  ExplanationUnavailableError,
  FeedbackUnavailableError,
  MethodNotAllowedError,
  RouteNotFoundError,
  ServiceUnavailableError,
} from "./errors.ts";
import type { ExplainedPrediction } from "./explain-served.ts";
import { DEFAULT_LIMITS, type ServingLimits } from "./limits.ts";
import type { RequestMetrics } from "./metrics.ts";
import { flagMissing, type LookedUp } from "./online-features.ts";
import {
  checkContentType,
  explainOfBody,
  type PredictRequest,
  parseJsonBody,
  parsePredictRequest,
  rowsOfBody,
} from "./parse-request.ts";
import { errorResponse, type HttpResponse, jsonResponse, type PredictBody } from "./respond.ts";
import type { ServedModel, ServingState } from "./served-models.ts";

export interface HttpRequest {
  method: string;
  /** The path without the query string. */
  path: string;
  /** Lower-case names. */
  headers: Record<string, string | undefined>;
  body: Uint8Array;
  /** The transport's request id (a function URL's); else `x-request-id` or a fresh UUID. */
  requestId?: string;
}

export interface PredictService {
  pipeline: string;
  /** The model for a request; `requestId` picks its A/B or bandit arm (served-models.ts). */
  next(requestId?: string): Promise<ServedModel>;
  describe(): ServingState | null;
  /** Loads the routing if needed; throws (NoChampionError) when nothing can be served. */
  ready?(): Promise<ServingState | null>;
  /**
   * Fills the features a model takes from feature views from the online store
   * (`online-features.ts`); absent: rows must carry every feature.
   */
  lookup?(model: ServedModel, rows: unknown[]): Promise<LookedUp>;
  /** Each prediction with its explanation, for `"explain": true`; absent: such requests get 501. */
  explain?(
    model: ServedModel,
    rows: RawRow[],
    predictions: Prediction[],
  ): Promise<ExplainedPrediction[]>;
}

export interface HandleOptions {
  limits?: ServingLimits;
  /** True once shutdown began: /health turns 503 so load balancers stop sending. */
  draining?: () => boolean;
  /** High-resolution clock in ms (latency). */
  clock?: () => number;
  /** Prediction capture: called once per answered predict request. Must not throw or wait. */
  capture?: (request: CapturedRequest) => void;
  /** Keeps the labels of POST /feedback (resolves once stored); absent: 501. */
  feedback?: (labels: LabelRecord[]) => Promise<void>;
}

export interface Handled {
  response: HttpResponse;
  metrics: RequestMetrics;
}

export const PREDICT_PATH = "/predict";
export const HEALTH_PATH = "/health";
export const READY_PATH = "/ready";
export const FEEDBACK_PATH = "/feedback";
export const REQUEST_ID_HEADER = "x-orchard-request-id";

export async function handleRequest(
  request: HttpRequest,
  service: PredictService,
  options: HandleOptions = {},
): Promise<Handled> {
  const clock = options.clock ?? (() => performance.now());
  const started = clock();
  const metrics: RequestMetrics = {
    pipeline: service.pipeline,
    status: 0,
    latencyMs: 0,
    rows: 0,
  };
  let response: HttpResponse;
  try {
    response = await route(request, service, options, metrics);
  } catch (err) {
    response = errorResponse(err);
  }
  metrics.status = response.status;
  metrics.latencyMs = clock() - started;
  return { response, metrics };
}

async function route(
  request: HttpRequest,
  service: PredictService,
  options: HandleOptions,
  metrics: RequestMetrics,
): Promise<HttpResponse> {
  const path = request.path.length > 1 ? request.path.replace(/\/+$/, "") : request.path;
  if (path === HEALTH_PATH) {
    if (request.method !== "GET" && request.method !== "HEAD") {
      throw new MethodNotAllowedError(`${HEALTH_PATH} answers GET only`, "GET, HEAD");
    }
    const draining = options.draining?.() ?? false;
    const state = service.describe();
    return jsonResponse(draining ? 503 : 200, {
      status: draining ? "draining" : "ok",
      pipeline: service.pipeline,
      champion: state?.champion ?? null,
      canary: state?.canary ?? null,
      ...(state?.arms ? { strategy: state.strategy, arms: state.arms } : {}),
    });
  }
  if (path === READY_PATH) {
    if (request.method !== "GET" && request.method !== "HEAD") {
      throw new MethodNotAllowedError(`${READY_PATH} answers GET only`, "GET, HEAD");
    }
    const body = (status: string, state: ServingState | null, reason?: string) => ({
      status,
      pipeline: service.pipeline,
      champion: state?.champion ?? null,
      canary: state?.canary ?? null,
      ...(state?.arms ? { strategy: state.strategy, arms: state.arms } : {}),
      ...(reason ? { reason } : {}),
    });
    if (options.draining?.()) return jsonResponse(503, body("draining", service.describe()));
    try {
      const state = service.ready ? await service.ready() : service.describe();
      if (state) return jsonResponse(200, body("ready", state));
      return jsonResponse(503, body("unavailable", null, "no model loaded yet"));
    } catch (err) {
      const name = err instanceof Error ? err.name : "Error";
      const status = name === "NoChampionError" ? "no-champion" : "unavailable";
      return jsonResponse(
        503,
        body(status, null, err instanceof ServiceUnavailableError ? (err as Error).message : name),
      );
    }
  }
  if (path === FEEDBACK_PATH) return feedback(request, options);
  if (path !== PREDICT_PATH) {
    throw new RouteNotFoundError(
      `no such path "${path.slice(0, 100)}"; POST rows to ${PREDICT_PATH}, GET ${HEALTH_PATH}`,
    );
  }
  if (request.method !== "POST") {
    throw new MethodNotAllowedError(`${PREDICT_PATH} takes POST with a JSON body`, "POST");
  }
  if (options.draining?.()) {
    throw new ServiceUnavailableError("the server is shutting down; retry on another instance");
  }
  checkContentType(request.headers["content-type"]);
  const limits = options.limits ?? DEFAULT_LIMITS;
  // Known before routing: an A/B or bandit arm is chosen by it, so a retry gets the same arm.
  const requestId = request.requestId ?? requestIdOf(request.headers["x-request-id"]);
  const model = await service.next(requestId);
  metrics.modelVersion = model.version;
  const { rows, explain, missing } = await readRows(request.body, model, service, limits);
  metrics.rows = rows.length;
  const predictions = flagMissing(model.bundle.predict(rows), missing);
  metrics.predictions = predictions;
  const headers = captureOf(request, requestId, service, options, model.version, rows, predictions);
  if (!explain) {
    return jsonResponse(
      200,
      { modelVersion: model.version, predictions } satisfies PredictBody,
      headers,
    );
  }
  if (!service.explain) {
    throw new ExplanationUnavailableError(
      'this server does not explain predictions; send the request without "explain"',
    );
  }
  const explained = await service.explain(model, rows, predictions);
  return jsonResponse(
    200,
    { modelVersion: model.version, predictions: explained } satisfies PredictBody,
    headers,
  );
}

/** Hands the answered request to capture; its id goes back as a header for feedback. */
function captureOf(
  request: HttpRequest,
  requestId: string,
  service: PredictService,
  options: HandleOptions,
  modelVersion: string,
  rows: RawRow[],
  predictions: Prediction[],
): Record<string, string> {
  if (!options.capture) return {};
  try {
    options.capture({
      requestId,
      at: Date.now(),
      pipeline: service.pipeline,
      modelVersion,
      body: request.body,
      rows,
      predictions,
    });
  } catch {
    // Capture is best effort: a prediction is never refused because it could not be recorded.
  }
  return { [REQUEST_ID_HEADER]: requestId };
}

async function feedback(request: HttpRequest, options: HandleOptions): Promise<HttpResponse> {
  if (request.method !== "POST") {
    throw new MethodNotAllowedError(`${FEEDBACK_PATH} takes POST with a JSON body`, "POST");
  }
  if (!options.feedback) {
    throw new FeedbackUnavailableError(
      "this server does not keep labels; send them with orchard feedback or as files under <pipeline>/labels/",
    );
  }
  checkContentType(request.headers["content-type"]);
  const labels = readFeedbackBody(
    parseJsonBody(request.body, options.limits ?? DEFAULT_LIMITS),
    new Date(),
  );
  await options.feedback(labels);
  return jsonResponse(202, { accepted: labels.length });
}

/** The request's rows, with view features looked up online when the model takes any. */
async function readRows(
  body: Uint8Array,
  model: ServedModel,
  service: PredictService,
  limits: ServingLimits,
): Promise<PredictRequest & { missing: LookedUp["missing"] | null }> {
  const views = model.bundle.header.lineage.featureViews ?? [];
  if (views.length === 0 || !service.lookup) {
    return { ...parsePredictRequest(body, model.bundle.header.schema, limits), missing: null };
  }
  const value = parseJsonBody(body, limits);
  const raw = (value as { rows?: unknown } | null)?.rows;
  // Only a well-formed rows array is looked up; anything else gets its 400 from the checks.
  if (!Array.isArray(raw) || raw.length === 0 || raw.length > limits.maxRows) {
    return { ...parsePredictRequest(body, model.bundle.header.schema, limits), missing: null };
  }
  const looked = await service.lookup(model, raw);
  const filled = { ...(value as object), rows: looked.rows };
  const rows = rowsOfBody(filled, model.bundle.header.schema, limits);
  return { rows, explain: explainOfBody(value), missing: looked.missing };
}
