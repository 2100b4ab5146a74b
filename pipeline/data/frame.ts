/**
 * The in-memory table every pipeline stage works on: typed columns, no row objects.
 * Numbers are Float64Array with NaN for missing; categoricals are dictionary-encoded
 * (Int32Array codes into `levels`, -1 for missing).
 */

export interface NumericColumn {
  kind: "numeric";
  name: string;
  values: Float64Array;
}

export interface CategoricalColumn {
  kind: "categorical";
  name: string;
  codes: Int32Array;
  levels: string[];
}

export type Column = NumericColumn | CategoricalColumn;

export interface Frame {
  rowCount: number;
  columns: Column[];
}

/** Row-major dense matrix of model inputs, the output of the preprocessor. */
export interface FeatureMatrix {
  values: Float64Array;
  rows: number;
  cols: number;
  names: string[];
}

/** A classification target: class index per row into `classes` (sorted label strings). */
export interface ClassTarget {
  kind: "classification";
  codes: Int32Array;
  classes: string[];
}

export interface RegressionTarget {
  kind: "regression";
  values: Float64Array;
}

export type Target = ClassTarget | RegressionTarget;

export const MISSING_CODE = -1;

export function getColumn(frame: Frame, name: string): Column | undefined {
  return frame.columns.find((c) => c.name === name);
}

/** A new frame with the rows at `indices`, in that order (indices may repeat). */
export function takeRows(frame: Frame, indices: ArrayLike<number>): Frame {
  const n = indices.length;
  const columns = frame.columns.map((col): Column => {
    if (col.kind === "numeric") {
      const values = new Float64Array(n);
      for (let i = 0; i < n; i++) values[i] = col.values[indices[i]];
      return { kind: "numeric", name: col.name, values };
    }
    const codes = new Int32Array(n);
    for (let i = 0; i < n; i++) codes[i] = col.codes[indices[i]];
    return { kind: "categorical", name: col.name, codes, levels: col.levels };
  });
  return { rowCount: n, columns };
}

/** The value of one cell as a plain JS value: number, string, or null when missing. */
export function cellValue(col: Column, row: number): number | string | null {
  if (col.kind === "numeric") {
    const v = col.values[row];
    return Number.isNaN(v) ? null : v;
  }
  const c = col.codes[row];
  return c === MISSING_CODE ? null : col.levels[c];
}
