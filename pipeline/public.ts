/**
 * `orchard-ml/pipeline`: the pipeline spec (parse, validate, types) and the errors a spec or
 * data problem raises. What is not exported here is free to change between versions.
 */

export type {
  RowTransform,
  TransformRow,
  TransformValue,
} from "./derived/transform.ts";
export {
  ArtifactError,
  DataFormatError,
  ExpressionError,
  InsufficientDataError,
  type Location,
  MissingColumnError,
  OrchardError,
  SpecError,
  TargetError,
  TransformError,
  TypeMismatchError,
} from "./errors.ts";
export * from "./spec/index.ts";
export { type InferredSpec, type InferSpecOptions, inferSpec } from "./spec/infer-spec.ts";
export { ORCHARD_VERSION } from "./version.ts";
