export {
  type CompiledDerived,
  checkDerived,
  checkExpression,
  compileDerived,
  DERIVED_NAME,
  type DerivedFeature,
  type DerivedIssue,
  type DerivedSchema,
  deriveColumns,
  type Value,
  type ValueKind,
} from "./derived.ts";
export { columnsOf, type Expr, parseExpression } from "./parse-expression.ts";
export { derivedFeaturesOf, derivedSchemaOf, withDerivedColumns } from "./spec-derived.ts";
