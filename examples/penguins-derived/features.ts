/**
 * The row transform of the penguins-derived example: every row (all columns but the target)
 * goes through it before the spec's derived expressions, which may read what it adds.
 * In your own repository the type comes from the package: `from "orchard-ml/pipeline"`.
 */
import type { RowTransform } from "../../pipeline/public.ts";

/** The bill's cross-section as a rectangle, in mm²; missing when a measurement is. */
export const transform: RowTransform = (row) => {
  const length = row.bill_length_mm;
  const depth = row.bill_depth_mm;
  return {
    bill_area: typeof length === "number" && typeof depth === "number" ? length * depth : null,
  };
};
