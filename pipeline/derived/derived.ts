/**
 * Derived features: named expressions over a row's columns (`features.derived` in a pipeline
 * spec, `expression:` features in a feature view), type-checked against the columns' kinds and
 * evaluated by ONE function, `compileDerived(...).apply(row)`. Training (Preprocess, through
 * `deriveColumns`), every door that scores rows (`readModelRows`: orchard predict, batch
 * scoring, POST /predict, orchard serve) and materialization all call it, so a derived value is
 * the same wherever it is computed.
 *
 * Values: a number, a category (text), or null for missing. A missing input gives a missing
 * output (imputed afterwards like any missing value), and so does a numeric result that is not
 * finite: log(0), sqrt(-1), x / 0, exp(1000). Date parts read ISO-8601 text (as event times
 * are read, `parseEventTime`) in UTC; unreadable text is missing.
 */

import type { Column, Frame } from "../data/frame.ts";
import { cellValue } from "../data/frame.ts";
import { ExpressionError } from "../errors.ts";
import { parseEventTime } from "../feature-store/keys.ts";
import { didYouMean } from "../spec/did-you-mean.ts";
import { columnsOf, type Expr, parseExpression } from "./parse-expression.ts";

export type ValueKind = "numeric" | "categorical";
export type Value = number | string | null;

/** One derived feature as written: its name and expression text. */
export interface DerivedFeature {
  name: string;
  expression: string;
}

/**
 * What a model records to compute its derived features from raw rows: the expressions in
 * order, and the kind of every raw column they read (rows are read by those kinds).
 */
export interface DerivedSchema {
  features: DerivedFeature[];
  inputs: Record<string, ValueKind>;
}

/** Names a derived feature may have: they become columns (and one-hot names `name=level`). */
export const DERIVED_NAME = /^(?!__)[A-Za-z_][A-Za-z0-9_]{0,63}$/;

type Shape = "num1" | "num2" | "numN" | "bin" | "catN" | "date";
const FUNCTIONS: Record<string, Shape> = {
  log: "num1",
  log1p: "num1",
  exp: "num1",
  sqrt: "num1",
  abs: "num1",
  ratio: "num2",
  min: "numN",
  max: "numN",
  bin: "bin",
  cross: "catN",
  year: "date",
  month: "date",
  day: "date",
  weekday: "date",
  hour: "date",
  dayofyear: "date",
};
const USAGE: Record<Shape, string> = {
  num1: "(x) of one number",
  num2: "(a, b) of two numbers",
  numN: "(a, b, …) of two or more numbers",
  bin: "(x, [edge, edge, …]) of a number and increasing edges",
  catN: "(a, b, …) of two or more categories",
  date: "(column) of a date column (text such as 2024-05-01 or 2024-05-01T12:30:00Z)",
};

/**
 * The kind a name has where the expression is checked: a column's kind, "unknown" when the
 * column's kind cannot be known yet (a spec checked without its data), undefined when there is
 * no such column.
 */
export type KindOf = (name: string) => ValueKind | "unknown" | undefined;

/** The expression's result kind and every problem found, each a sentence saying what to do. */
export function checkExpression(
  expr: Expr,
  kindOf: KindOf,
  columns: readonly string[],
): { kind: ValueKind | "unknown"; problems: string[] } {
  const problems: string[] = [];
  const kind = (e: Expr): ValueKind | "unknown" => {
    switch (e.type) {
      case "number":
        return "numeric";
      case "list":
        problems.push("a list [ … ] is only the edges of bin(x, [edges])");
        return "unknown";
      case "column": {
        const k = kindOf(e.name);
        if (k === undefined) {
          problems.push(
            `column "${e.name}" is not in the data.${didYouMean(e.name, columns)} Columns: ${columns.join(", ")}`,
          );
          return "unknown";
        }
        return k;
      }
      case "negate":
        numeric(e.arg, "negate");
        return "numeric";
      case "binary":
        numeric(e.left, `use ${e.op} on`);
        numeric(e.right, `use ${e.op} on`);
        return "numeric";
      case "call":
        return call(e);
    }
  };
  const numeric = (e: Expr, what: string) => {
    const k = kind(e);
    if (k === "categorical") {
      problems.push(
        `cannot ${what} ${e.type === "column" ? `"${e.name}", a category` : "a category"}; arithmetic needs numbers (bin a number, cross categories)`,
      );
    }
  };
  const call = (e: Extract<Expr, { type: "call" }>): ValueKind | "unknown" => {
    const shape = FUNCTIONS[e.fn];
    if (shape === undefined) {
      problems.push(
        `unknown function "${e.fn}".${didYouMean(e.fn, Object.keys(FUNCTIONS))} Functions: ${Object.keys(FUNCTIONS).join(", ")}`,
      );
      return "unknown";
    }
    const n = e.args.length;
    const arity = {
      num1: n === 1,
      num2: n === 2,
      numN: n >= 2,
      bin: n === 2,
      catN: n >= 2,
      date: n === 1,
    };
    if (!arity[shape]) {
      problems.push(`${e.fn} takes ${USAGE[shape]}, but has ${n} argument${n === 1 ? "" : "s"}`);
      return shape === "bin" || shape === "catN" ? "categorical" : "numeric";
    }
    if (shape === "bin") {
      numeric(e.args[0], `bin`);
      const edges = e.args[1];
      if (edges.type !== "list") {
        problems.push(
          "bin's second argument is a list of increasing numbers, e.g. bin(age, [18, 40, 65])",
        );
      } else if (edges.values.some((v, i) => i > 0 && v <= edges.values[i - 1])) {
        problems.push(`bin's edges [${edges.values.join(", ")}] must increase strictly`);
      }
      return "categorical";
    }
    if (shape === "catN") {
      for (const arg of e.args) {
        if (kind(arg) === "numeric") {
          problems.push(
            `cross takes categories; ${arg.type === "column" ? `"${arg.name}" is` : "an argument is"} a number — bin it first, e.g. cross(bin(age, [18, 65]), …)`,
          );
        }
      }
      return "categorical";
    }
    if (shape === "date") {
      const [arg] = e.args;
      if (arg.type !== "column") {
        problems.push(`${e.fn} reads a date column by name, e.g. ${e.fn}(signup_date)`);
      } else if (kind(arg) === "numeric") {
        problems.push(
          `${e.fn} reads dates written as text (2024-05-01, 2024-05-01T12:30:00Z); "${arg.name}" is numeric — numbers cannot tell epoch seconds from milliseconds`,
        );
      }
      return "numeric";
    }
    for (const arg of e.args) numeric(arg, `take ${e.fn} of`);
    return "numeric";
  };
  const result = kind(expr);
  return { kind: result, problems };
}

/** A parse failure as one sentence: `expected ")" … at character 12 of "(a + b"`. */
export function expressionProblem(err: ExpressionError, text: string): string {
  return `${err.message} (at character ${err.at + 1} of "${text}")`;
}

type Compiled = (get: (name: string) => Value) => Value;

const finite = (x: number): number | null => (Number.isFinite(x) ? x : null);
const DAY_MS = 86_400_000;

function datePart(fn: string, ms: number): number {
  const d = new Date(ms);
  switch (fn) {
    case "year":
      return d.getUTCFullYear();
    case "month":
      return d.getUTCMonth() + 1;
    case "day":
      return d.getUTCDate();
    case "weekday":
      // Monday 0 … Sunday 6, as pandas' dayofweek.
      return (d.getUTCDay() + 6) % 7;
    case "hour":
      return d.getUTCHours();
    default:
      return Math.floor((ms - Date.UTC(d.getUTCFullYear(), 0, 1)) / DAY_MS) + 1;
  }
}

function binLabel(x: number, edges: readonly number[]): string {
  if (x < edges[0]) return `<${edges[0]}`;
  for (let i = 1; i < edges.length; i++) {
    if (x < edges[i]) return `[${edges[i - 1]}, ${edges[i]})`;
  }
  return `>=${edges[edges.length - 1]}`;
}

/** A closure per AST node: the tree is walked once, at compile time. */
function compile(e: Expr): Compiled {
  switch (e.type) {
    case "number": {
      const v = e.value;
      return () => v;
    }
    case "list":
      return () => null;
    case "column": {
      const name = e.name;
      return (get) => get(name);
    }
    case "negate": {
      const arg = compile(e.arg);
      return (get) => {
        const v = arg(get);
        return typeof v === "number" ? -v : null;
      };
    }
    case "binary": {
      const left = compile(e.left);
      const right = compile(e.right);
      const op = e.op;
      return (get) => {
        const a = left(get);
        const b = right(get);
        if (typeof a !== "number" || typeof b !== "number") return null;
        switch (op) {
          case "+":
            return finite(a + b);
          case "-":
            return finite(a - b);
          case "*":
            return finite(a * b);
          case "/":
            return finite(a / b);
          case "^":
            return finite(a ** b);
        }
      };
    }
    case "call":
      return compileCall(e.fn, e.args);
  }
}

function compileCall(fn: string, argExprs: Expr[]): Compiled {
  const args = argExprs.map(compile);
  const unary = (f: (x: number) => number): Compiled => {
    const [a] = args;
    return (get) => {
      const x = a(get);
      return typeof x === "number" ? finite(f(x)) : null;
    };
  };
  switch (fn) {
    case "log":
      return unary(Math.log);
    case "log1p":
      return unary(Math.log1p);
    case "exp":
      return unary(Math.exp);
    case "sqrt":
      return unary(Math.sqrt);
    case "abs":
      return unary(Math.abs);
    case "ratio": {
      const [a, b] = args;
      return (get) => {
        const x = a(get);
        const y = b(get);
        return typeof x === "number" && typeof y === "number" && y !== 0 ? finite(x / y) : null;
      };
    }
    case "min":
    case "max": {
      const pick = fn === "min" ? Math.min : Math.max;
      return (get) => {
        const xs = args.map((a) => a(get));
        return xs.every((x) => typeof x === "number") ? pick(...(xs as number[])) : null;
      };
    }
    case "bin": {
      const [a] = args;
      const edges = (argExprs[1] as Extract<Expr, { type: "list" }>).values;
      return (get) => {
        const x = a(get);
        return typeof x === "number" ? binLabel(x, edges) : null;
      };
    }
    case "cross":
      return (get) => {
        const parts = args.map((a) => a(get));
        return parts.every((p) => p !== null) ? parts.map(String).join("|") : null;
      };
    default: {
      const [a] = args;
      return (get) => {
        const text = a(get);
        const ms = typeof text === "string" ? parseEventTime(text) : undefined;
        return ms === undefined ? null : datePart(fn, ms);
      };
    }
  }
}

export interface CompiledDerived {
  readonly features: readonly DerivedFeature[];
  /** Every raw column the expressions read (derived names excluded), in order of first use. */
  readonly inputs: readonly string[];
  /**
   * Computes every derived feature of one row, in order (a later one may read an earlier
   * one), writing them into `row` and returning it. THE one evaluation of derived features.
   */
  apply<R extends Record<string, unknown>>(row: R): R;
}

/**
 * Parses every expression once. Throws ExpressionError for text that does not parse; type
 * problems are `checkDerived`'s (callers check first, where they can name the YAML path).
 */
export function compileDerived(features: readonly DerivedFeature[]): CompiledDerived {
  const names = new Set(features.map((f) => f.name));
  const inputs = new Set<string>();
  const steps = features.map((f) => {
    const ast = parseExpression(f.expression);
    for (const c of columnsOf(ast)) if (!names.has(c)) inputs.add(c);
    return { name: f.name, run: compile(ast) };
  });
  return {
    features,
    inputs: [...inputs],
    apply(row) {
      const target = row as Record<string, unknown>;
      const get = (name: string): Value => {
        const v = target[name];
        return typeof v === "number" || typeof v === "string" ? v : null;
      };
      for (const step of steps) target[step.name] = step.run(get);
      return row;
    },
  };
}

export interface DerivedIssue {
  /** The derived feature's name, or null for a problem of the list as a whole. */
  name: string;
  message: string;
}

/**
 * Every problem of a list of derived features against the columns they may read: parse
 * errors, unknown columns and functions, type errors, names taken by a column or used twice,
 * and references to derived features defined later. Returns each feature's kind too.
 */
export function checkDerived(
  features: readonly DerivedFeature[],
  kindOf: KindOf,
  columns: readonly string[],
): { issues: DerivedIssue[]; kinds: Record<string, ValueKind | "unknown"> } {
  const issues: DerivedIssue[] = [];
  const kinds: Record<string, ValueKind | "unknown"> = {};
  const later = new Set(features.map((f) => f.name));
  for (const f of features) {
    later.delete(f.name);
    if (!DERIVED_NAME.test(f.name)) {
      issues.push({
        name: f.name,
        message: `"${f.name}" is not a usable feature name: 1 to 64 letters, digits and _, not starting with a digit or __, e.g. income_per_person`,
      });
    }
    if (kindOf(f.name) !== undefined && !(f.name in kinds)) {
      issues.push({
        name: f.name,
        message: `"${f.name}" is already a column of the data; give the derived feature another name`,
      });
    }
    let ast: Expr;
    try {
      ast = parseExpression(f.expression);
    } catch (err) {
      if (!(err instanceof ExpressionError)) throw err;
      issues.push({ name: f.name, message: expressionProblem(err, f.expression) });
      kinds[f.name] = "unknown";
      continue;
    }
    const laterRefs = columnsOf(ast).filter((c) => later.has(c) || c === f.name);
    if (laterRefs.length > 0) {
      issues.push({
        name: f.name,
        message: `reads ${laterRefs.map((c) => `"${c}"`).join(", ")}, defined ${laterRefs.includes(f.name) ? "by itself" : "further down"}; a derived feature reads columns and derived features listed above it`,
      });
      kinds[f.name] = "unknown";
      continue;
    }
    const known = [...columns, ...Object.keys(kinds)];
    const checked = checkExpression(ast, (n) => (n in kinds ? kinds[n] : kindOf(n)), known);
    for (const message of checked.problems) issues.push({ name: f.name, message });
    kinds[f.name] = checked.kind;
  }
  return { issues, kinds };
}

/**
 * The frame with its derived columns appended, computed row by row by `compileDerived`'s
 * `apply` (the one evaluation), from the frame's own cells read as `cellValue` gives them —
 * exactly the values `readModelRows` gives a request's cells.
 */
export function deriveColumns<F extends Frame>(
  frame: F,
  derived: CompiledDerived,
  kinds: Readonly<Record<string, ValueKind | "unknown">>,
): F {
  const byName = new Map(frame.columns.map((c) => [c.name, c]));
  const inputs = derived.inputs.map((name) => byName.get(name)).filter((c) => c !== undefined);
  const n = frame.rowCount;
  const out = derived.features.map(() => new Array<Value>(n));
  for (let r = 0; r < n; r++) {
    const row: Record<string, Value> = Object.create(null);
    for (const c of inputs) row[c.name] = cellValue(c, r);
    derived.apply(row);
    derived.features.forEach((f, j) => {
      out[j][r] = row[f.name];
    });
  }
  const columns = derived.features.map(
    (f, j): Column => columnFromValues(f.name, out[j], kinds[f.name] === "categorical"),
  );
  return { ...frame, rowCount: n, columns: [...frame.columns, ...columns] };
}

/** A typed column of row values: text levels in order of first appearance, or numbers (NaN missing). */
export function columnFromValues(name: string, values: Value[], categorical: boolean): Column {
  if (categorical) {
    const levels: string[] = [];
    const index = new Map<string, number>();
    const codes = new Int32Array(values.length);
    values.forEach((v, i) => {
      if (v === null) {
        codes[i] = -1;
        return;
      }
      const text = String(v);
      let code = index.get(text);
      if (code === undefined) {
        code = levels.push(text) - 1;
        index.set(text, code);
      }
      codes[i] = code;
    });
    return { kind: "categorical", name, codes, levels };
  }
  return {
    kind: "numeric",
    name,
    values: Float64Array.from(values, (v) => (typeof v === "number" ? v : Number.NaN)),
  };
}
