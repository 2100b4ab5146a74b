import { describe, expect, it } from "vitest";
import {
  decodeDataset,
  encodeDataset,
  type PreparedDataset,
} from "../../pipeline/steps/dataset.ts";

function dataset(overrides: Partial<PreparedDataset> = {}): PreparedDataset {
  return {
    frame: {
      rowCount: 3,
      columns: [{ kind: "numeric", name: "x", values: Float64Array.of(1, 2, Number.NaN) }],
    },
    target: { kind: "classification", codes: Int32Array.of(0, 1, 0), classes: ["a", "b"] },
    ids: ["r1", "r2", "r3"],
    train: Int32Array.of(0, 2),
    test: Int32Array.of(1),
    splitKeys: Uint32Array.of(0xffffffff, 1, 2, 3, 4, 0x80000000),
    times: Float64Array.of(10, 30, 20),
    ...overrides,
  };
}

describe("prepared dataset", () => {
  it("round-trips the split keys (full uint32 range) and times", () => {
    expect(decodeDataset(encodeDataset(dataset()))).toEqual(dataset());
    const bare = dataset({ splitKeys: null, times: null });
    expect(decodeDataset(encodeDataset(bare))).toEqual(bare);
  });

  it("still reads a version 1 dataset, without split keys or times", () => {
    const bytes = encodeDataset(dataset({ splitKeys: null, times: null }));
    const text = new TextDecoder().decode(bytes);
    const at = text.indexOf('"version":2');
    bytes.set(new TextEncoder().encode('"version":1'), at);
    const old = decodeDataset(bytes);
    expect(old.splitKeys).toBeNull();
    expect(old.times).toBeNull();
    expect(Array.from(old.test)).toEqual([1]);
  });
});
