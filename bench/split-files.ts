/**
 * The benchmark's train/test split on disk, shared by every engine run: little-endian
 * row-major float64 features and int32 class codes (the format bench/sklearn_forest.py reads).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Dataset } from "./make-classification.ts";

export interface SplitShape {
  trainRows: number;
  testRows: number;
  features: number;
  classes: string[];
}

const FILES = ["X_train.f64", "y_train.i32", "X_test.f64", "y_test.i32"] as const;

function bytes(a: Float64Array | Int32Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** Writes the split to a fresh temp directory and returns it. */
export function writeSplit(train: Dataset, test: Dataset): string {
  const dir = mkdtempSync(join(tmpdir(), "orchard-bench-"));
  const arrays = [train.X.values, train.y.codes, test.X.values, test.y.codes];
  FILES.forEach((name, i) => {
    writeFileSync(join(dir, name), bytes(arrays[i]));
  });
  return dir;
}

export function readSplit(dir: string, shape: SplitShape): { train: Dataset; test: Dataset } {
  // large files get a Buffer of their own, so the typed arrays can view it without a copy
  const read = (name: string): ArrayBuffer => {
    const b = readFileSync(join(dir, name));
    const own = b.byteOffset === 0 && b.byteLength === b.buffer.byteLength;
    return own ? (b.buffer as ArrayBuffer) : new Uint8Array(b).buffer;
  };
  const names = Array.from({ length: shape.features }, (_, j) => `f${j}`);
  const make = (x: string, y: string, rows: number): Dataset => ({
    X: { values: new Float64Array(read(x)), rows, cols: shape.features, names },
    y: { kind: "classification", codes: new Int32Array(read(y)), classes: shape.classes },
  });
  return {
    train: make("X_train.f64", "y_train.i32", shape.trainRows),
    test: make("X_test.f64", "y_test.i32", shape.testRows),
  };
}

export function removeSplit(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
