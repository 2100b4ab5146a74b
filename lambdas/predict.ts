/**
 * Predict: the serving Lambda behind the `live` alias's function URL (AWS_IAM auth). Function
 * URL events (payload format 2.0) go through the same `handleRequest` as `orchard serve`:
 * `POST /predict` with `{"rows":[{…}]}` (at most 1,000 rows, 1 MiB), `GET /health`; every bad
 * request is a 4xx naming row and column. Each request writes one CloudWatch embedded metric
 * format line (latency, rows, errors, prediction distribution) to stdout.
 *
 * The champion comes from the registry and is cached per version; the pointer (and a canary's
 * traffic record) is re-read at most every ORCHARD_CHAMPION_REFRESH_SECONDS (default 5), so a
 * promotion reaches serving without a redeploy.
 *
 * Prediction capture (docs/monitoring.md): with ORCHARD_CAPTURE_SAMPLE_RATE set, each sampled
 * row becomes one `{"orchard":"capture",…}` log line, written after the answer is computed; a
 * CloudWatch Logs subscription filter hands those lines to Kinesis Data Firehose, which buffers
 * them into `<pipeline>/capture/` objects. So the function never waits on S3 for a prediction.
 * ORCHARD_CAPTURE_EXCLUDE (comma-separated) and ORCHARD_ID_COLUMN shape the record.
 * `POST /feedback` labels are written to `<pipeline>/labels/` at once (the 202 means stored).
 *
 * A direct invocation `{ "rows": [...] }` (the console, `aws lambda invoke`) still returns
 * `{ "modelVersion", "predictions" }` and throws named errors, as before.
 */
import type { APIGatewayProxyStructuredResultV2, LambdaFunctionURLEvent } from "aws-lambda";
import { TypeMismatchError } from "../pipeline/errors.ts";
import type { ModelBundle, Prediction } from "../pipeline/model/bundle.ts";
import type { RawRow } from "../pipeline/model/schema.ts";
import {
  type CapturedRequest,
  type CaptureSettings,
  captureRecords,
  clientRequestId,
  sampled,
} from "../pipeline/monitor/capture.ts";
import { storeLabels } from "../pipeline/monitor/store.ts";
import { type HttpRequest, handleRequest } from "../pipeline/serving/handle.ts";
import { emfRecord, type RequestMetrics } from "../pipeline/serving/metrics.ts";
import {
  DEFAULT_REFRESH_MS,
  NoChampionError,
  ServedModels,
} from "../pipeline/serving/served-models.ts";
import { runAs } from "./io/caller.ts";
import { createLogger } from "./io/logger.ts";
import { withExplanations } from "./predict-explain.ts";
import { stepDeps, stepHandler } from "./step-handler.ts";

export { NoChampionError };

export interface PredictEvent {
  /** Default: the ORCHARD_PIPELINE environment variable. */
  pipeline?: string;
  rows: RawRow[];
  /** Add each row's TreeSHAP explanation (lambdas/predict-explain.ts). */
  explain?: boolean;
}

export interface PredictResult {
  modelVersion: string;
  predictions: Prediction[];
}

const served = new Map<string, { deps: object; models: ServedModels }>();

/**
 * The process's model source for `pipeline`: one per pipeline, reused across invocations, and
 * created anew when the step dependencies were reset (`orchard run` between state dirs).
 */
export function servedModels(pipeline: string): ServedModels {
  const deps = stepDeps();
  let models = served.get(pipeline)?.deps === deps ? served.get(pipeline)?.models : undefined;
  if (!models) {
    const log = createLogger().child({ step: "predict", pipeline });
    models = new ServedModels({
      pipeline,
      registry: deps.registry,
      artifacts: deps.artifacts,
      features: deps.features,
      featureCacheMs: cacheMs(process.env.ORCHARD_FEATURE_CACHE_SECONDS),
      refreshMs: refreshMs(process.env.ORCHARD_CHAMPION_REFRESH_SECONDS),
      onRefreshError: (error) =>
        log.warn("champion refresh failed; serving the cached model", { error }),
    });
    served.set(pipeline, { deps, models });
  }
  return models;
}

/** Forgets cached models (tests, and `orchard run`/`predict` between state directories). */
export function resetServedModels(): void {
  served.clear();
}

/** The champion's bundle for `pipeline` (no canary routing). */
export async function championBundle(
  pipeline: string,
): Promise<{ version: string; bundle: ModelBundle }> {
  return servedModels(pipeline).champion();
}

/** ORCHARD_FEATURE_CACHE_SECONDS: how long looked-up feature rows are reused (default 1 s). */
function cacheMs(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === "") return undefined;
  const seconds = Number(value);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined;
}

function refreshMs(value: string | undefined): number {
  if (value === undefined || value.trim() === "") return DEFAULT_REFRESH_MS;
  const seconds = Number(value);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : DEFAULT_REFRESH_MS;
}

function pipelineOf(event: { pipeline?: string } | undefined): string {
  const pipeline = event?.pipeline ?? process.env.ORCHARD_PIPELINE;
  if (!pipeline) {
    throw new TypeMismatchError("no pipeline: pass event.pipeline or set ORCHARD_PIPELINE");
  }
  return pipeline;
}

/** One EMF line on stdout, where Lambda's JSON log format passes it through unwrapped. */
export function writeMetrics(
  metrics: RequestMetrics,
  write = (line: string) => process.stdout.write(line),
): void {
  write(`${JSON.stringify(emfRecord(metrics, new Date()))}\n`);
}

function isFunctionUrlEvent(event: unknown): event is LambdaFunctionURLEvent {
  const e = event as Partial<LambdaFunctionURLEvent> | null;
  return typeof e === "object" && e !== null && typeof e.requestContext?.http?.method === "string";
}

/** The HTTP request of a function URL event (payload format 2.0). */
export function requestOf(event: LambdaFunctionURLEvent): HttpRequest {
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(event.headers ?? {}))
    headers[name.toLowerCase()] = value;
  const body = event.body ?? "";
  return {
    method: event.requestContext.http.method.toUpperCase(),
    path: event.rawPath ?? event.requestContext.http.path ?? "/",
    headers,
    body: event.isBase64Encoded ? Buffer.from(body, "base64") : Buffer.from(body, "utf8"),
  };
}

/** Capture settings from the environment the stack sets; null when capture is off. */
export function captureSettingsOf(env: NodeJS.ProcessEnv = process.env): CaptureSettings | null {
  const rate = env.ORCHARD_CAPTURE_SAMPLE_RATE;
  if (rate === undefined || rate.trim() === "") return null;
  const sampleRate = Number(rate);
  if (!Number.isFinite(sampleRate) || sampleRate <= 0) return null;
  return {
    sampleRate: Math.min(1, sampleRate),
    exclude: (env.ORCHARD_CAPTURE_EXCLUDE ?? "")
      .split(",")
      .map((c) => c.trim())
      .filter((c) => c !== ""),
    idColumn: env.ORCHARD_ID_COLUMN || null,
    source: "lambda",
  };
}

/**
 * The capture log lines of one request (one per row), for the Firehose subscription; each is
 * written on its own, so each is one log event the subscription filter can match as JSON.
 */
export function captureLogLines(request: CapturedRequest, settings: CaptureSettings): string[] {
  if (!sampled(request.requestId, settings.sampleRate)) return [];
  return captureRecords(request, settings).map(
    (r) => `${JSON.stringify({ orchard: "capture", ...r })}\n`,
  );
}

async function serveUrl(event: LambdaFunctionURLEvent): Promise<APIGatewayProxyStructuredResultV2> {
  const pipeline = pipelineOf(undefined);
  const settings = captureSettingsOf();
  let captured: CapturedRequest | undefined;
  const request = {
    ...requestOf(event),
    // The caller's own id first: a retry carrying it is routed to the same A/B or bandit arm.
    requestId: clientRequestId(event.headers?.["x-request-id"]) ?? event.requestContext.requestId,
  };
  const { response, metrics } = await runAs({ role: "predict", pipeline }, () =>
    handleRequest(request, servedModels(pipeline), {
      ...(settings
        ? {
            capture: (c: CapturedRequest) => {
              captured = c;
            },
          }
        : {}),
      feedback: async (labels) => {
        await storeLabels(stepDeps().artifacts, pipeline, labels);
      },
    }),
  );
  writeMetrics(metrics);
  if (captured && settings) {
    for (const line of captureLogLines(captured, settings)) process.stdout.write(line);
  }
  return { statusCode: response.status, headers: response.headers, body: response.body };
}

const direct = stepHandler("predict", async (event: PredictEvent): Promise<PredictResult> => {
  const pipeline = pipelineOf(event);
  if (!Array.isArray(event.rows)) {
    throw new TypeMismatchError('the event needs "rows": an array of objects, one per row');
  }
  const { version, bundle } = await championBundle(pipeline);
  const predictions = bundle.predict(event.rows);
  if (event.explain !== true) return { modelVersion: version, predictions };
  return {
    modelVersion: version,
    predictions: await withExplanations(pipeline, version, bundle, event.rows, predictions),
  };
});

export async function handler(
  event: PredictEvent | LambdaFunctionURLEvent,
): Promise<PredictResult | APIGatewayProxyStructuredResultV2> {
  return isFunctionUrlEvent(event) ? serveUrl(event) : direct(event as PredictEvent);
}
