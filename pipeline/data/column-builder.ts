/**
 * Types one column from its cells as they stream past, row by row, without keeping the cells:
 * the incremental form of the typing rule in `build-frame.ts` (which runs every format's cells
 * through it, so there is one rule). A column not declared starts out numeric, filling a
 * Float64Array; its first text cell turns it categorical from that row on. The rows before it
 * held numbers whose text as written is the category level (`"01"` stays `"01"`), and that
 * text was not kept: `complete()` then says how many leading rows the caller must hand over
 * again (`refill`), which only happens for a column that mixes numbers and text.
 */

import type { Cell, RawValue } from "./cells.ts";
import { DECIMAL_COMMA } from "./cells.ts";
import type { Column } from "./frame.ts";

/** Kept here (not in build-frame.ts) so that build-frame can be built on this file. */
export type ColumnKind = "numeric" | "categorical";

/** One offending cell. `row` is the 1-based data row. */
export interface TypeMismatch {
  row: number;
  column: string;
  value: string;
}

/** All type mismatches of one column: the count and the first five examples. */
export interface ColumnMismatches {
  column: string;
  expected: "numeric";
  count: number;
  examples: TypeMismatch[];
}

/**
 * A column inferred categorical that holds numbers too: usually a numeric column with a few
 * placeholder texts (`n/a`, `?`) or decimal commas, which silently became categories. Only
 * for inferred columns (a pinned kind is the user's word); validation turns it into a warning.
 */
export interface TextInNumbers {
  column: string;
  /** Cells read as numbers. */
  numbers: number;
  /** Cells read as text. */
  texts: number;
  /** Distinct texts. */
  distinctTexts: number;
  /** Text cells that look like a number with a decimal comma (`3,5`). */
  decimalCommas: number;
  /** The first distinct texts with the first row of each (1-based). */
  examples: TypeMismatch[];
}

export const MAX_MISMATCH_EXAMPLES = 5;

export class ColumnBuilder {
  private categorical: boolean;
  private values: Float64Array;
  private codes: Int32Array | null = null;
  private readonly ids = new Map<string, number>();
  private readonly levels: string[] = [];
  /** Cells read as numbers, and as infinities (both count as numbers for inference). */
  private numbers = 0;
  private infinities = 0;
  private texts = 0;
  private decimalCommas = 0;
  private readonly seenTexts = new Set<string>();
  private readonly textExamples: TypeMismatch[] = [];
  private mismatchCount = 0;
  private readonly mismatchExamples: TypeMismatch[] = [];
  private rows = 0;
  /** Rows before this one were read as numbers but the column is categorical: see `complete`. */
  private rereadUntil = 0;

  constructor(
    readonly name: string,
    private readonly declared: ColumnKind | undefined,
    private readonly read: (raw: RawValue) => Cell,
    capacity = 1024,
  ) {
    this.categorical = declared === "categorical";
    this.values = new Float64Array(this.categorical ? 0 : Math.max(1, capacity));
    if (this.categorical) this.codes = new Int32Array(Math.max(1, capacity));
  }

  /** The cell of data row `row` (0-based; rows arrive in order, each once). */
  push(raw: RawValue, row: number): void {
    if (row >= this.rows) this.rows = row + 1;
    // A finite number needs no text while the column is numeric: skip building it.
    if (!this.categorical && typeof raw === "number" && Number.isFinite(raw)) {
      this.ensure(row);
      this.values[row] = raw;
      this.numbers++;
      return;
    }
    this.pushCell(this.read(raw), row);
  }

  private pushCell(cell: Cell, row: number): void {
    this.ensure(row);
    if (!this.categorical) {
      if (cell.kind === "number") {
        this.values[row] = cell.value;
        this.numbers++;
        return;
      }
      this.values[row] = Number.NaN;
      if (cell.kind === "missing") return;
      if (cell.kind === "text" && this.declared === undefined) {
        this.toCategorical(row);
      } else {
        if (cell.kind === "infinity") this.infinities++;
        this.mismatch(row, cell.text);
        return;
      }
    }
    const codes = this.codes as Int32Array;
    if (cell.kind === "missing") {
      codes[row] = -1;
      return;
    }
    codes[row] = this.idOf(cell.text);
    if (this.declared !== undefined) return;
    if (cell.kind !== "text") {
      this.numbers++;
      return;
    }
    this.texts++;
    if (DECIMAL_COMMA.test(cell.text)) this.decimalCommas++;
    if (this.seenTexts.has(cell.text)) return;
    this.seenTexts.add(cell.text);
    if (this.textExamples.length < MAX_MISMATCH_EXAMPLES) {
      this.textExamples.push({ row: row + 1, column: this.name, value: cell.text });
    }
  }

  /**
   * Call after the last row with the row count. Returns how many leading rows must be handed
   * over again with `refill` (0 almost always): the rows read as numbers before the column
   * turned out categorical.
   */
  complete(rowCount: number): number {
    this.rows = rowCount;
    this.ensure(Math.max(0, rowCount - 1));
    if (this.categorical) return this.rereadUntil;
    // Only infinities and missing cells: not numeric by the rule (no number), so categorical,
    // and every infinity's text is a level.
    if (this.declared === undefined && this.numbers === 0 && this.infinities > 0) {
      this.toCategorical(rowCount);
    }
    return this.rereadUntil;
  }

  /** A leading row again (see `complete`): only its level is recorded, nothing is counted. */
  refill(raw: RawValue, row: number): void {
    const cell = this.read(raw);
    if (cell.kind !== "missing") (this.codes as Int32Array)[row] = this.idOf(cell.text);
  }

  finish(): {
    column: Column;
    mismatches: ColumnMismatches | null;
    textInNumbers: TextInNumbers | null;
  } {
    const n = this.rows;
    if (!this.categorical) {
      const values = this.values.length === n ? this.values : this.values.slice(0, n);
      const mismatches: ColumnMismatches | null =
        this.mismatchCount === 0
          ? null
          : {
              column: this.name,
              expected: "numeric",
              count: this.mismatchCount,
              examples: this.mismatchExamples,
            };
      return {
        column: { kind: "numeric", name: this.name, values },
        mismatches,
        textInNumbers: null,
      };
    }
    const order = this.levels
      .map((_, i) => i)
      .sort((a, b) => byCodeUnit(this.levels[a], this.levels[b]));
    const rank = new Int32Array(order.length);
    order.forEach((id, i) => {
      rank[id] = i;
    });
    const first = this.codes as Int32Array;
    const codes = first.length === n ? first : first.slice(0, n);
    for (let i = 0; i < n; i++) if (codes[i] >= 0) codes[i] = rank[codes[i]];
    const levels = order.map((id) => this.levels[id]);
    return {
      column: { kind: "categorical", name: this.name, codes, levels },
      mismatches: null,
      textInNumbers: this.declared === undefined ? this.mixed() : null,
    };
  }

  private mixed(): TextInNumbers | null {
    const allCommas = this.texts > 0 && this.decimalCommas === this.texts;
    if (this.numbers === 0 && !allCommas) return null;
    return {
      column: this.name,
      numbers: this.numbers,
      texts: this.texts,
      distinctTexts: this.seenTexts.size,
      decimalCommas: this.decimalCommas,
      examples: this.textExamples,
    };
  }

  private toCategorical(row: number): void {
    this.categorical = true;
    const codes = new Int32Array(Math.max(1, this.values.length));
    codes.fill(-1);
    this.codes = codes;
    // Numbers (and infinities) before this row become levels by their text: read them again.
    if (this.numbers + this.infinities > 0) this.rereadUntil = row;
    this.numbers += this.infinities;
    this.values = new Float64Array(0);
    this.mismatchCount = 0;
    this.mismatchExamples.length = 0;
  }

  private mismatch(row: number, value: string): void {
    this.mismatchCount++;
    if (this.mismatchExamples.length < MAX_MISMATCH_EXAMPLES) {
      this.mismatchExamples.push({ row: row + 1, column: this.name, value });
    }
  }

  private idOf(text: string): number {
    let id = this.ids.get(text);
    if (id === undefined) {
      id = this.levels.length;
      this.ids.set(text, id);
      this.levels.push(text);
    }
    return id;
  }

  private ensure(row: number): void {
    const size = this.categorical ? (this.codes as Int32Array).length : this.values.length;
    if (row < size) return;
    const next = Math.max(row + 1, size * 2);
    if (this.categorical) {
      const codes = new Int32Array(next);
      codes.fill(-1, size);
      codes.set(this.codes as Int32Array);
      this.codes = codes;
    } else {
      const values = new Float64Array(next);
      values.set(this.values);
      this.values = values;
    }
  }
}

function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
