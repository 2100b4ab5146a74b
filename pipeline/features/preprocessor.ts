/**
 * The fitted feature pipeline: numeric features go clip → impute → scale, categorical
 * features impute → one-hot. Everything is fitted on the frame given to `fitPreprocessor`
 * (the TRAIN rows) and applied unchanged to any later frame.
 *
 * Output columns: numeric features in declared order (named as the column), then each
 * categorical feature's one-hot block (`island=Biscoe`, …, `island=__other__`).
 *
 * `transform` finds columns by name and reads categorical levels by text, so a frame read
 * later (other column order, extra columns, another level dictionary) encodes the same.
 */

import type { Column, FeatureMatrix, Frame } from "../data/frame.ts";
import { getColumn, MISSING_CODE } from "../data/frame.ts";
import {
  InsufficientDataError,
  MissingColumnError,
  SpecError,
  TypeMismatchError,
} from "../errors.ts";
import { applyClipper, type ClipperState, fitClipper } from "./clipper.ts";
import {
  applyCategoricalImputer,
  applyNumericImputer,
  fitCategoricalImputer,
  fitNumericImputer,
} from "./imputer.ts";
import { decodeNumber, encodeNumber } from "./json-number.ts";
import { fitOneHot, type OneHotState, oneHotIndex, oneHotNames, oneHotWidth } from "./one-hot.ts";
import {
  type CategoricalFeatureState,
  type NumericFeatureState,
  PREPROCESSOR_FORMAT,
  PREPROCESSOR_VERSION,
  type PreprocessingOptions,
  type PreprocessorState,
  parsePreprocessorState,
} from "./preprocessor-state.ts";
import { applyScaler, fitScaler, type ScalerState } from "./scaler.ts";
import { columnStrings } from "./values.ts";

export type { PreprocessingOptions, PreprocessorState } from "./preprocessor-state.ts";

export interface FeatureLists {
  numeric: readonly string[];
  categorical: readonly string[];
}

export interface Preprocessor {
  transform(frame: Frame): FeatureMatrix;
  toJSON(): PreprocessorState;
  readonly outputNames: string[];
}

interface NumericStep {
  name: string;
  clip: ClipperState | null;
  fill: number | null;
  scale: ScalerState | null;
}

interface CategoricalStep {
  name: string;
  fill: string | null;
  onehot: OneHotState;
}

export function fitPreprocessor(
  frame: Frame,
  features: FeatureLists,
  options: PreprocessingOptions,
): Preprocessor {
  checkOptions(features, options);
  if (frame.rowCount === 0) {
    throw new InsufficientDataError(
      "cannot fit the preprocessor on 0 training rows; check the data and the split",
    );
  }
  const numeric = features.numeric.map((name): NumericStep => {
    let values = numericValues(requireColumn(frame, name));
    let clip: ClipperState | null = null;
    if (options.clipOutliers !== false) {
      clip = fitClipper(values, options.clipOutliers.iqrMultiplier);
      values = applyClipper(values, clip);
    }
    const { fill } = fitNumericImputer(
      values,
      options.impute.numeric,
      options.impute.numericFillValue,
    );
    values = applyNumericImputer(values, { fill });
    const scale = options.scale === "none" ? null : fitScaler(values, options.scale);
    return { name, clip, fill, scale };
  });
  const categorical = features.categorical.map((name): CategoricalStep => {
    let values = columnStrings(requireColumn(frame, name));
    const { fill } = fitCategoricalImputer(
      values,
      options.impute.categorical,
      options.impute.categoricalFillValue,
    );
    values = applyCategoricalImputer(values, { fill });
    return { name, fill, onehot: fitOneHot(values, options.onehot.maxCategories) };
  });
  return createPreprocessor(structuredClone(options), numeric, categorical);
}

/** Rebuilds a fitted preprocessor from `toJSON()` output; throws ArtifactError if invalid. */
export function loadPreprocessor(state: PreprocessorState): Preprocessor {
  const s = parsePreprocessorState(state);
  const numeric = s.numeric.map(
    (f): NumericStep => ({
      name: f.name,
      clip: f.clip && { low: decodeNumber(f.clip.low), high: decodeNumber(f.clip.high) },
      fill: f.fill === null ? null : decodeNumber(f.fill),
      scale: f.scale && {
        center: decodeNumber(f.scale.center),
        scale: decodeNumber(f.scale.scale),
      },
    }),
  );
  const categorical = s.categorical.map(
    (f): CategoricalStep => ({
      name: f.name,
      fill: f.fill,
      onehot: { levels: [...f.levels], infrequent: [...f.infrequent] },
    }),
  );
  return createPreprocessor(structuredClone(s.options), numeric, categorical);
}

function createPreprocessor(
  options: PreprocessingOptions,
  numeric: NumericStep[],
  categorical: CategoricalStep[],
): Preprocessor {
  const outputNames = [
    ...numeric.map((f) => f.name),
    ...categorical.flatMap((f) => oneHotNames(f.name, f.onehot)),
  ];
  const indexes = categorical.map((f) => oneHotIndex(f.onehot));
  const cols = outputNames.length;

  function transform(frame: Frame): FeatureMatrix {
    const rows = frame.rowCount;
    const out = new Float64Array(rows * cols);
    numeric.forEach((f, j) => {
      let values = numericValues(requireColumn(frame, f.name));
      if (f.clip) values = applyClipper(values, f.clip);
      values = applyNumericImputer(values, { fill: f.fill });
      if (f.scale) values = applyScaler(values, f.scale);
      for (let r = 0; r < rows; r++) out[r * cols + j] = values[r];
    });
    let offset = numeric.length;
    categorical.forEach((f, k) => {
      const values = applyCategoricalImputer(columnStrings(requireColumn(frame, f.name)), {
        fill: f.fill,
      });
      const index = indexes[k];
      for (let r = 0; r < rows; r++) {
        const v = values[r];
        const at = v === null ? undefined : index.get(v);
        if (at !== undefined) out[r * cols + offset + at] = 1;
      }
      offset += oneHotWidth(f.onehot);
    });
    return { values: out, rows, cols, names: [...outputNames] };
  }

  function toJSON(): PreprocessorState {
    return {
      format: PREPROCESSOR_FORMAT,
      version: PREPROCESSOR_VERSION,
      options: structuredClone(options),
      numeric: numeric.map(
        (f): NumericFeatureState => ({
          name: f.name,
          clip: f.clip && { low: encodeNumber(f.clip.low), high: encodeNumber(f.clip.high) },
          fill: f.fill === null ? null : encodeNumber(f.fill),
          scale: f.scale && {
            center: encodeNumber(f.scale.center),
            scale: encodeNumber(f.scale.scale),
          },
        }),
      ),
      categorical: categorical.map(
        (f): CategoricalFeatureState => ({
          name: f.name,
          fill: f.fill,
          levels: [...f.onehot.levels],
          infrequent: [...f.onehot.infrequent],
        }),
      ),
    };
  }

  return { transform, toJSON, outputNames };
}

function requireColumn(frame: Frame, name: string): Column {
  const col = getColumn(frame, name);
  if (!col) {
    throw new MissingColumnError(
      `feature column "${name}" is not in the data (columns: ${frame.columns.map((c) => c.name).join(", ") || "none"}); add it or remove it from the features`,
      { column: name },
    );
  }
  return col;
}

/** A numeric feature's values; a text column is accepted only if every present level is a number. */
function numericValues(col: Column): Float64Array {
  if (col.kind === "numeric") return col.values;
  const parsed = col.levels.map((l) => (l.trim() === "" ? Number.NaN : Number(l)));
  const out = new Float64Array(col.codes.length);
  for (let r = 0; r < out.length; r++) {
    const c = col.codes[r];
    if (c === MISSING_CODE) {
      out[r] = Number.NaN;
      continue;
    }
    const v = parsed[c];
    if (Number.isNaN(v)) {
      throw new TypeMismatchError(
        `numeric feature "${col.name}" has the text value "${col.levels[c]}" at row ${r + 1}; fix the value or declare the feature categorical`,
        { column: col.name, row: r + 1 },
      );
    }
    out[r] = v;
  }
  return out;
}

function checkOptions(features: FeatureLists, options: PreprocessingOptions): void {
  const all = [...features.numeric, ...features.categorical];
  const duplicate = all.find((n, i) => all.indexOf(n) !== i);
  if (duplicate !== undefined) {
    throw new SpecError(
      `feature "${duplicate}" is listed twice; list each feature once, as numeric or categorical`,
      { path: "features" },
    );
  }
  const max = options.onehot.maxCategories;
  if (max !== undefined && !(Number.isInteger(max) && max >= 1)) {
    throw new SpecError(
      `onehot.maxCategories must be a whole number >= 1, got ${max}; raise it or remove it`,
      { path: "onehot.maxCategories" },
    );
  }
  const clip = options.clipOutliers;
  if (clip !== false && !(Number.isFinite(clip.iqrMultiplier) && clip.iqrMultiplier >= 0)) {
    throw new SpecError(
      `clipOutliers.iqrMultiplier must be a finite number >= 0, got ${clip.iqrMultiplier}; 1.5 is the usual choice`,
      { path: "clipOutliers.iqrMultiplier" },
    );
  }
  // Fails early on a non-finite numeric fill, even before any numeric feature.
  fitNumericImputer(new Float64Array(0), options.impute.numeric, options.impute.numericFillValue);
}
