/** The data layer: bytes → typed Frame, column roles, and the validation report. */

export {
  type ColumnKind,
  type ColumnMismatches,
  MAX_MISMATCH_EXAMPLES,
  type TextInNumbers,
  type TypeMismatch,
} from "./build-frame.ts";
export { type CellReading, cellReader, MISSING_TOKENS } from "./cells.ts";
export {
  type ColumnRole,
  cellReadingOf,
  columnTypesForSpec,
  type FeatureSchema,
  inferSchema,
  type RoleOptions,
  roleOf,
} from "./infer-schema.ts";
export type { ColumnProfile, NumericStats } from "./profile.ts";
export {
  type ReadTableOptions,
  readTable,
  type TableFormat,
  type TableRead,
} from "./read-table.ts";
export {
  assertValid,
  DEFAULT_MIN_CLASS_ROWS,
  DEFAULT_MIN_ROWS,
  HIGH_MISSING_SHARE,
  type ValidateOptions,
  type ValidationErrorCode,
  type ValidationIssue,
  type ValidationReport,
  type ValidationWarningCode,
  validateData,
} from "./validate.ts";
