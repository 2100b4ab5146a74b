/**
 * Named errors of the pipeline layer. Step Functions `Retry`/`Catch` match on `name`, so a
 * class name here is part of the public contract: data and spec errors fail fast, transient
 * errors (raised by adapters, not here) retry.
 *
 * Every message says what was wrong, where (file, row, column, YAML path) and what to do.
 */

export interface Location {
  file?: string;
  /** 1-based data row (the header is row 0 for CSV). */
  row?: number;
  column?: string;
  /** Dotted YAML path, e.g. `model.maxDepth`. */
  path?: string;
}

export class OrchardError extends Error {
  readonly location: Location;
  constructor(message: string, location: Location = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.location = location;
  }
}

/** The pipeline spec is invalid: wrong field, unknown key, bad value. */
export class SpecError extends OrchardError {}

/** The data cannot be read or parsed at all (unreadable file, malformed CSV/Parquet/JSONL). */
export class DataFormatError extends OrchardError {}

/** A column the spec or the model needs is not in the data. */
export class MissingColumnError extends OrchardError {}

/** A value has the wrong type for its column (e.g. text in a numeric column at predict time). */
export class TypeMismatchError extends OrchardError {}

/** The target cannot be learned: missing values, a single class, non-numeric regression target. */
export class TargetError extends OrchardError {}

/** Too few rows to split, cross-validate or train. */
export class InsufficientDataError extends OrchardError {}

/** A serialized artifact (model, preprocessor, bundle) is corrupt or of an unsupported version. */
export class ArtifactError extends OrchardError {}

/**
 * A custom trainer (`model.type: custom`) failed: its command exited non-zero or could not
 * start, or it left no model or no metrics.json where it was told to.
 */
export class CustomTrainingError extends OrchardError {}

/** Formats a location as `file, row 12, column "age"` for messages. */
export function formatLocation(loc: Location): string {
  const parts: string[] = [];
  if (loc.file) parts.push(loc.file);
  if (loc.path) parts.push(`at ${loc.path}`);
  if (loc.row !== undefined) parts.push(`row ${loc.row}`);
  if (loc.column !== undefined) parts.push(`column "${loc.column}"`);
  return parts.join(", ");
}

/**
 * A failure that may succeed when tried again (a throttled or briefly unavailable dependency).
 * The state machine retries this name with backoff; every other Orchard error fails fast.
 */
export class TransientError extends OrchardError {}

/** An artifact URI (s3://bucket/key) names no stored object. The message says the URI. */
export class ArtifactNotFoundError extends OrchardError {}

/** A model registry lookup or promotion names a version the registry does not hold. */
export class ModelVersionNotFoundError extends OrchardError {}

/** A value that must be present is missing (e.g. the time of a row when splitting by time). */
export class MissingValueError extends OrchardError {}

/** The source data named by the spec or the execution input cannot be read. */
export class SourceNotFoundError extends OrchardError {}

/**
 * The data is beyond one of Orchard's documented limits: values outside the range storage can
 * hold, or a feature list too wide for a state payload. The message names the limit.
 */
export class DataLimitError extends OrchardError {}

/**
 * A derived-feature expression does not parse (`pipeline/derived/`); `at` is the offset of the
 * character where it went wrong, which the spec and view checks turn into a message.
 */
export class ExpressionError extends SpecError {
  readonly at: number;
  constructor(message: string, at: number) {
    super(message);
    this.at = at;
  }
}

/**
 * The user's row transform (`features.transform`) failed: it threw, or returned a value that
 * is not finite or has another type than its column. The message names the module, the row and
 * the column. A data error: the run fails fast.
 */
export class TransformError extends OrchardError {}

/**
 * A spec or a model needs a row transform this process has not loaded: the Lambda bundles were
 * built without it, or the module changed since the model was trained.
 */
export class TransformNotLoadedError extends OrchardError {}
