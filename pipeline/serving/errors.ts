/**
 * Named errors of the serving layer: each carries the HTTP status it is answered with, so the
 * Lambda function URL and `orchard serve` answer the same request the same way. Row and
 * column (1-based rows, as every Orchard message) travel in `location` and in the response.
 */
import { type Location, OrchardError } from "../errors.ts";

export class RequestError extends OrchardError {
  readonly status: number;
  constructor(status: number, message: string, location: Location = {}) {
    super(message, location);
    this.status = status;
  }
}

/** 400: the body is not the JSON the endpoint takes, or a row breaks the model's schema. */
export class BadRequestError extends RequestError {
  constructor(message: string, location: Location = {}) {
    super(400, message, location);
  }
}

/** 413: the body is over the size limit (checked before it is parsed). */
export class BodyTooLargeError extends RequestError {
  constructor(message: string) {
    super(413, message);
  }
}

/** 415: the body is not declared as JSON. */
export class UnsupportedMediaTypeError extends RequestError {
  constructor(message: string) {
    super(415, message);
  }
}

/** 404: no such path. */
export class RouteNotFoundError extends RequestError {
  constructor(message: string) {
    super(404, message);
  }
}

/** 405: the path exists, the method does not. */
export class MethodNotAllowedError extends RequestError {
  readonly allow: string;
  constructor(message: string, allow: string) {
    super(405, message);
    this.allow = allow;
  }
}

/** 503: nothing to serve yet (no champion), or the server is shutting down. */
export class ServiceUnavailableError extends RequestError {
  constructor(message: string) {
    super(503, message);
  }
}

/** 501: explanations were asked for a model that cannot give them (engine, or no stored cover). */
export class ExplanationUnavailableError extends RequestError {
  constructor(message: string) {
    super(501, message);
  }
}

/** 501: POST /feedback on a server that was not given a place to keep labels. */
export class FeedbackUnavailableError extends RequestError {
  constructor(message: string) {
    super(501, message);
  }
}
