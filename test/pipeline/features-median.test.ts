import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { medianPresent, medianSorted, sortedPresent } from "../../pipeline/features/values.ts";

describe("medianPresent", () => {
  it("is the median of the sorted present values, without sorting", () => {
    const value = fc.oneof(
      fc.integer({ min: -3, max: 3 }),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.constant(Number.NaN),
    );
    fc.assert(
      fc.property(fc.array(value, { maxLength: 60 }), (values) => {
        const expected = medianSorted(sortedPresent(values));
        // 0 and -0 are the same median (equal as numbers; the order among equal values differs).
        expect(medianPresent(values) === expected || Number.isNaN(expected)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});
