/**
 * The derived-feature expression language, parsed once into an AST (see pipeline/spec/README.md
 * "Derived features"): numbers, column names (`age`, or `` `monthly income` `` in backticks),
 * `+ - * /`, `^` (power, right-associative and above unary minus, so `-x^2` is `-(x^2)`),
 * parentheses, function calls and, as the second argument of `bin`, a list of numbers `[0, 18, 65]`.
 *
 * A small hand-written Pratt parser rather than jsep or expr-eval: expr-eval is unmaintained and
 * had a code-injection CVE; jsep is maintained but parses `^` as JavaScript's bitwise XOR below
 * `+`, has no quoted identifiers for column names with spaces, and reports offsets in its own
 * words. Sixty lines of grammar give messages that name the expression and the character.
 */

import { ExpressionError } from "../errors.ts";

export type BinaryOp = "+" | "-" | "*" | "/" | "^";

export type Expr =
  | { type: "number"; value: number }
  | { type: "column"; name: string }
  | { type: "negate"; arg: Expr }
  | { type: "binary"; op: BinaryOp; left: Expr; right: Expr }
  | { type: "call"; fn: string; args: Expr[] }
  | { type: "list"; values: number[] };

type Token =
  | { kind: "number"; value: number; at: number }
  | { kind: "name"; name: string; quoted: boolean; at: number }
  | { kind: "op"; op: string; at: number }
  | { kind: "end"; at: number };

const NUMBER = /^(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/;
const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const rest = text.slice(i);
    const number = NUMBER.exec(rest);
    if (number) {
      tokens.push({ kind: "number", value: Number(number[0]), at: i });
      i += number[0].length;
      continue;
    }
    const name = NAME.exec(rest);
    if (name) {
      tokens.push({ kind: "name", name: name[0], quoted: false, at: i });
      i += name[0].length;
      continue;
    }
    if (c === "`") {
      const end = text.indexOf("`", i + 1);
      if (end < 0) throw new ExpressionError("a `quoted column name` is not closed", i);
      if (end === i + 1) throw new ExpressionError("`` is an empty column name", i);
      tokens.push({ kind: "name", name: text.slice(i + 1, end), quoted: true, at: i });
      i = end + 1;
      continue;
    }
    if ("+-*/^(),[]".includes(c)) {
      tokens.push({ kind: "op", op: c, at: i });
      i++;
      continue;
    }
    if (c === "×" || c === "÷") {
      throw new ExpressionError(`"${c}" is not an operator; write * or /`, i);
    }
    throw new ExpressionError(
      `unexpected "${c}"; write column names as they are (or in \`backticks\`), numbers, + - * / ^ and functions`,
      i,
    );
  }
  tokens.push({ kind: "end", at: text.length });
  return tokens;
}

function describe(t: Token): string {
  if (t.kind === "end") return "the end";
  if (t.kind === "number") return `the number ${t.value}`;
  if (t.kind === "name") return `"${t.name}"`;
  return `"${t.op}"`;
}

/** The AST of one expression; throws ExpressionError with the character offset. */
export function parseExpression(text: string): Expr {
  const tokens = tokenize(text);
  let pos = 0;
  const peek = () => tokens[pos];
  const isOp = (op: string) => {
    const t = peek();
    return t.kind === "op" && t.op === op;
  };
  const expect = (op: string, what: string) => {
    if (!isOp(op))
      throw new ExpressionError(`expected "${op}" ${what}, found ${describe(peek())}`, peek().at);
    pos++;
  };

  // Binding powers: + - 10, * / 20, unary minus 30, ^ 40 (right-associative).
  const infix: Record<string, number> = { "+": 10, "-": 10, "*": 20, "/": 20, "^": 40 };

  function expression(minPower: number): Expr {
    let left = prefix();
    for (;;) {
      const t = peek();
      if (t.kind !== "op" || !(t.op in infix)) break;
      const power = infix[t.op];
      if (power < minPower) break;
      pos++;
      // ^ is right-associative and its right side may be negated: 2^-x.
      const right = t.op === "^" ? expression(30) : expression(power + 1);
      left = { type: "binary", op: t.op as BinaryOp, left, right };
    }
    return left;
  }

  function prefix(): Expr {
    const t = peek();
    pos++;
    if (t.kind === "number") return { type: "number", value: t.value };
    if (t.kind === "op" && t.op === "-") {
      const arg = expression(30);
      return arg.type === "number"
        ? { type: "number", value: -arg.value }
        : { type: "negate", arg };
    }
    if (t.kind === "op" && t.op === "+") return expression(30);
    if (t.kind === "op" && t.op === "(") {
      const inner = expression(0);
      expect(")", "to close the parenthesis");
      return inner;
    }
    if (t.kind === "op" && t.op === "[") return list(t.at);
    if (t.kind === "name") {
      if (!t.quoted && isOp("(")) {
        pos++;
        const args: Expr[] = [];
        if (!isOp(")")) {
          for (;;) {
            args.push(expression(0));
            if (!isOp(",")) break;
            pos++;
          }
        }
        expect(")", `to close ${t.name}(`);
        return { type: "call", fn: t.name, args };
      }
      return { type: "column", name: t.name };
    }
    throw new ExpressionError(
      t.kind === "end" ? "the expression ends too early" : `unexpected ${describe(t)}`,
      t.at,
    );
  }

  function list(at: number): Expr {
    const values: number[] = [];
    while (!isOp("]")) {
      const sign = isOp("-") ? -1 : 1;
      if (sign < 0) pos++;
      const t = peek();
      if (t.kind !== "number") {
        throw new ExpressionError(`a list holds numbers only, found ${describe(t)}`, t.at);
      }
      values.push(sign * t.value);
      pos++;
      if (isOp(",")) pos++;
      else if (!isOp("]")) {
        throw new ExpressionError(
          `expected "," or "]" in the list, found ${describe(peek())}`,
          peek().at,
        );
      }
    }
    pos++;
    if (values.length === 0) throw new ExpressionError("the list is empty", at);
    return { type: "list", values };
  }

  if (peek().kind === "end") throw new ExpressionError("the expression is empty", 0);
  const ast = expression(0);
  if (peek().kind !== "end") {
    throw new ExpressionError(
      `unexpected ${describe(peek())} after a complete expression`,
      peek().at,
    );
  }
  return ast;
}

/** The columns an expression reads, in order of first use. */
export function columnsOf(expr: Expr): string[] {
  const out = new Set<string>();
  const walk = (e: Expr) => {
    if (e.type === "column") out.add(e.name);
    else if (e.type === "negate") walk(e.arg);
    else if (e.type === "binary") {
      walk(e.left);
      walk(e.right);
    } else if (e.type === "call") e.args.forEach(walk);
  };
  walk(expr);
  return [...out];
}
