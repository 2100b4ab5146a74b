/**
 * The predict API over node:http: what `orchard serve` runs on a laptop and in the Kubernetes
 * Deployment. Requests go through the same `handleRequest` as the Lambda function URL.
 *
 * Hostile clients are bounded here, before any model work:
 * - a declared Content-Length over the limit is refused with 413 before the body is read, and
 *   a body that streams past the limit is cut off with 413 (the connection is closed);
 * - headers must arrive within `headersTimeoutMs` and the whole request within
 *   `requestTimeoutMs` (Node answers 408 and closes); a connection idle between requests is
 *   closed after `keepAliveTimeoutMs`; Node checks these every `checkIntervalMs`;
 * - headers are capped at 16 KiB (Node answers 431) and 64 lines.
 *
 * Shutdown (`close`): /health turns 503 (load balancers stop sending), the listener stops
 * accepting, idle keep-alive connections close, requests in flight finish (up to
 * `graceMs`), then whatever is left is closed.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { BodyTooLargeError } from "../../pipeline/serving/errors.ts";
import {
  type HandleOptions,
  type HttpRequest,
  handleRequest,
  type PredictService,
} from "../../pipeline/serving/handle.ts";
import { DEFAULT_LIMITS, type ServingLimits } from "../../pipeline/serving/limits.ts";
import type { RequestMetrics } from "../../pipeline/serving/metrics.ts";
import { checkBodySize } from "../../pipeline/serving/parse-request.ts";
import { errorResponse, type HttpResponse } from "../../pipeline/serving/respond.ts";

export interface ServerTimeouts {
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  checkIntervalMs: number;
  /** How long `close` waits for requests in flight. */
  graceMs: number;
}

export const DEFAULT_TIMEOUTS: ServerTimeouts = {
  headersTimeoutMs: 5_000,
  requestTimeoutMs: 10_000,
  keepAliveTimeoutMs: 5_000,
  checkIntervalMs: 1_000,
  graceMs: 10_000,
};

export const MAX_HEADER_BYTES = 16 * 1024;

export interface ServeOptions {
  service: PredictService;
  port: number;
  host?: string;
  limits?: ServingLimits;
  timeouts?: Partial<ServerTimeouts>;
  /** Prediction capture and POST /feedback (pipeline/serving/handle.ts). */
  capture?: HandleOptions["capture"];
  feedback?: HandleOptions["feedback"];
  /** Called once per answered request (EMF lines, counters). Must not throw. */
  onRequest?: (metrics: RequestMetrics) => void;
}

export interface RunningServer {
  url: string;
  port: number;
  server: Server;
  /** Graceful shutdown; resolves when every connection is closed. */
  close(): Promise<void>;
}

export async function startHttpServer(options: ServeOptions): Promise<RunningServer> {
  const limits = options.limits ?? DEFAULT_LIMITS;
  const timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
  let draining = false;
  let inFlight = 0;
  let idle: (() => void) | undefined;

  const server = createServer(
    {
      maxHeaderSize: MAX_HEADER_BYTES,
      requestTimeout: timeouts.requestTimeoutMs,
      headersTimeout: timeouts.headersTimeoutMs,
      keepAliveTimeout: timeouts.keepAliveTimeoutMs,
      connectionsCheckingInterval: timeouts.checkIntervalMs,
    },
    (req, res) => {
      inFlight++;
      serve(req, res).finally(() => {
        if (--inFlight === 0) idle?.();
      });
    },
  );
  server.maxHeadersCount = 64;
  server.maxRequestsPerSocket = 0;

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let body: Uint8Array;
    try {
      body = await readBody(req, limits);
    } catch (err) {
      // Refused before the body was read: close, or the client keeps streaming into us.
      const response = errorResponse(err);
      send(res, response, true);
      options.onRequest?.({
        pipeline: options.service.pipeline,
        status: response.status,
        latencyMs: 0,
        rows: 0,
      });
      return;
    }
    const request: HttpRequest = {
      method: req.method ?? "GET",
      path: (req.url ?? "/").split("?")[0],
      headers: req.headers as Record<string, string | undefined>,
      body,
    };
    const { response, metrics } = await handleRequest(request, options.service, {
      limits,
      draining: () => draining,
      ...(options.capture ? { capture: options.capture } : {}),
      ...(options.feedback ? { feedback: options.feedback } : {}),
    });
    send(res, response, draining);
    options.onRequest?.(metrics);
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host ?? "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;

  let closing: Promise<void> | undefined;
  function close(): Promise<void> {
    closing ??= (async () => {
      draining = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      if (inFlight > 0) {
        await Promise.race([
          new Promise<void>((resolve) => {
            idle = resolve;
          }),
          new Promise<void>((resolve) => setTimeout(resolve, timeouts.graceMs).unref()),
        ]);
      }
      server.closeAllConnections();
      await closed;
    })();
    return closing;
  }

  return { url: `http://${host}:${address.port}`, port: address.port, server, close };
}

function send(res: ServerResponse, response: HttpResponse, closeConnection: boolean): void {
  if (res.headersSent || res.destroyed) return;
  const headers: Record<string, string | number> = {
    ...response.headers,
    "content-length": Buffer.byteLength(response.body),
  };
  if (closeConnection) headers.connection = "close";
  res.writeHead(response.status, headers);
  res.end(response.body);
}

/** The body, refused with 413 by Content-Length or as soon as it streams past the limit. */
function readBody(req: IncomingMessage, limits: ServingLimits): Promise<Uint8Array> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared)) checkBodySize(declared, limits);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > limits.maxBodyBytes) {
        req.removeAllListeners("data");
        req.pause();
        reject(
          new BodyTooLargeError(
            `the body is over the limit of ${limits.maxBodyBytes} bytes (1 MiB); split the rows into smaller requests`,
          ),
        );
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks, size)));
    req.on("error", reject);
  });
}
