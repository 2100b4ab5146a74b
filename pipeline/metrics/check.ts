/** Argument checks shared by the metric functions. */

import { InsufficientDataError } from "../errors.ts";

export function checkPair(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): void {
  if (yTrue.length !== yPred.length) {
    throw new RangeError(`yTrue has ${yTrue.length} rows but yPred has ${yPred.length}`);
  }
  checkNonEmpty(yTrue.length);
}

export function checkNonEmpty(rows: number): void {
  if (rows === 0) {
    throw new InsufficientDataError(
      "cannot compute metrics on 0 rows; check the split leaves rows to evaluate",
    );
  }
}

export function checkCodes(codes: Int32Array, nClasses: number, what: string): void {
  for (let i = 0; i < codes.length; i++) {
    const c = codes[i];
    if (!(c >= 0 && c < nClasses)) {
      throw new RangeError(`${what}[${i}] = ${c} is not a class code in [0, ${nClasses})`);
    }
  }
}

export function checkProba(proba: Float64Array, rows: number, nClasses: number): void {
  if (proba.length !== rows * nClasses) {
    throw new RangeError(
      `proba has ${proba.length} values, expected ${rows} rows x ${nClasses} classes`,
    );
  }
  for (let i = 0; i < proba.length; i++) {
    if (Number.isNaN(proba[i])) {
      throw new RangeError(`proba row ${Math.floor(i / nClasses)} holds NaN`);
    }
  }
}
