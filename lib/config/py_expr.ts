/**
 * Evaluates the small subset of Python expressions that the seed's `Config`
 * dataclass holds: literals, arithmetic (`15 * 60`), lists and tuples,
 * `Path("…")`, `field(default=…)`, `field(default_factory=lambda: […])` and
 * names defined earlier. Anything else is an error that names the token. Pure.
 *
 * @pure
 * @module
 */

/** A value a config field can hold. */
export type PyValue = string | number | boolean | null | PyValue[];

type Token =
  | { kind: "num"; value: number }
  | { kind: "str"; value: string }
  | { kind: "name"; value: string }
  | { kind: "op"; value: string };

const OPERATORS = [
  "**",
  "//",
  "(",
  ")",
  "[",
  "]",
  ",",
  ":",
  "+",
  "-",
  "*",
  "/",
  "%",
  "=",
  ".",
];

/** Splits an expression into tokens; `#` comments are dropped. */
function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i] ?? "";
    if (/\s/.test(ch)) {
      i++;
    } else if (ch === "#") {
      while (i < text.length && text[i] !== "\n") i++;
    } else if (
      /[0-9]/.test(ch) || (ch === "." && /[0-9]/.test(text[i + 1] ?? ""))
    ) {
      const match =
        /^(?:0[xX][0-9a-fA-F_]+|[0-9_]*\.?[0-9_]+(?:[eE][+-]?[0-9]+)?)/.exec(
          text.slice(i),
        );
      const raw = match?.[0] ?? ch;
      tokens.push({ kind: "num", value: Number(raw.replaceAll("_", "")) });
      i += raw.length;
    } else if (/^[rRbBuU]?["']/.test(text.slice(i, i + 2))) {
      const raw = ch === "r" || ch === "R";
      if (!/["']/.test(ch)) i++;
      const quote = text.startsWith(text[i]!.repeat(3), i)
        ? text[i]!.repeat(3)
        : text[i]!;
      i += quote.length;
      let value = "";
      while (i < text.length && !text.startsWith(quote, i)) {
        if (text[i] === "\\" && !raw) {
          const next = text[i + 1] ?? "";
          value +=
            ({ n: "\n", t: "\t", "\\": "\\", "'": "'", '"': '"' } as Record<
              string,
              string
            >)[next] ??
              `\\${next}`;
          i += 2;
        } else {
          value += text[i];
          i++;
        }
      }
      if (i >= text.length) throw new SyntaxError("unterminated string");
      i += quote.length;
      tokens.push({ kind: "str", value });
    } else if (/[A-Za-z_]/.test(ch)) {
      const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i))![0];
      tokens.push({ kind: "name", value: name });
      i += name.length;
    } else {
      const op = OPERATORS.find((o) => text.startsWith(o, i));
      if (!op) throw new SyntaxError(`unexpected character "${ch}"`);
      tokens.push({ kind: "op", value: op });
      i += op.length;
    }
  }
  return tokens;
}

/**
 * Evaluates one Python expression.
 *
 * @param text The expression, possibly over several lines.
 * @param names Values of names defined before (other fields, constants).
 * @returns The value.
 * @throws {SyntaxError} When the expression is outside the supported subset.
 */
export function evaluatePython(
  text: string,
  names: ReadonlyMap<string, PyValue> = new Map(),
): PyValue {
  const tokens = tokenize(text);
  let pos = 0;
  const peek = () => tokens[pos];
  const isOp = (value: string) => {
    const token = peek();
    return token?.kind === "op" && token.value === value;
  };
  const expect = (value: string) => {
    if (!isOp(value)) {
      throw new SyntaxError(`expected "${value}"${describeAt()}`);
    }
    pos++;
  };
  const describeAt = () => {
    const token = peek();
    return token ? ` before "${String(token.value)}"` : " at the end";
  };

  function expression(): PyValue {
    let left = term();
    while (isOp("+") || isOp("-")) {
      const op = (tokens[pos++] as { value: string }).value;
      const right = term();
      if (op === "+" && typeof left === "string" && typeof right === "string") {
        left = left + right;
      } else if (op === "+" && Array.isArray(left) && Array.isArray(right)) {
        left = [...left, ...right];
      } else left = arithmetic(op, left, right);
    }
    return left;
  }

  function term(): PyValue {
    let left = unary();
    while (isOp("*") || isOp("/") || isOp("//") || isOp("%")) {
      const op = (tokens[pos++] as { value: string }).value;
      left = arithmetic(op, left, unary());
    }
    return left;
  }

  function unary(): PyValue {
    if (isOp("-")) {
      pos++;
      return arithmetic("-", 0, unary());
    }
    if (isOp("+")) {
      pos++;
      return unary();
    }
    const base = atom();
    if (isOp("**")) {
      pos++;
      return arithmetic("**", base, unary());
    }
    return base;
  }

  function sequence(close: string): PyValue[] {
    const items: PyValue[] = [];
    while (!isOp(close)) {
      items.push(expression());
      if (!isOp(close)) expect(",");
    }
    pos++;
    return items;
  }

  function atom(): PyValue {
    const token = tokens[pos++];
    if (!token) throw new SyntaxError("the expression ends too early");
    if (token.kind === "num") return token.value;
    if (token.kind === "str") {
      let value = token.value;
      while (peek()?.kind === "str") {
        value += (tokens[pos++] as { value: string }).value;
      }
      return value;
    }
    if (token.kind === "op") {
      if (token.value === "[") return sequence("]");
      if (token.value === "(") {
        const items = sequence(")");
        return items.length === 1 && tokens[pos - 2]?.value !== ","
          ? items[0]!
          : items;
      }
      throw new SyntaxError(`unexpected "${token.value}"`);
    }
    let name = token.value;
    while (isOp(".") && tokens[pos + 1]?.kind === "name") {
      name += "." + String(tokens[pos + 1]!.value);
      pos += 2;
    }
    if (name === "True") return true;
    if (name === "False") return false;
    if (name === "None") return null;
    if (name === "lambda") {
      expect(":");
      return expression();
    }
    if (isOp("(")) {
      pos++;
      return call(name);
    }
    const known = names.get(name);
    if (known !== undefined) return known;
    throw new SyntaxError(`cannot evaluate the name "${name}"`);
  }

  function call(name: string): PyValue {
    const positional: PyValue[] = [];
    const keywords = new Map<string, PyValue>();
    while (!isOp(")")) {
      const token = peek();
      if (token?.kind === "name" && tokens[pos + 1]?.value === "=") {
        pos += 2;
        if (
          token.value === "default_factory" && peek()?.kind === "name" &&
          isFactory(String(peek()!.value))
        ) {
          keywords.set(
            token.value,
            factoryDefault(String(tokens[pos++]!.value)),
          );
        } else {
          keywords.set(token.value, expression());
        }
      } else {
        positional.push(expression());
      }
      if (!isOp(")")) expect(",");
    }
    pos++;
    const first = positional[0] ?? null;
    switch (name) {
      case "Path":
      case "pathlib.Path":
      case "str":
        return first === null ? "" : String(first);
      case "int":
        return Math.trunc(Number(first));
      case "float":
        return Number(first);
      case "list":
      case "tuple":
        return Array.isArray(first) ? first : [];
      case "field":
      case "dataclasses.field":
        if (keywords.has("default")) return keywords.get("default")!;
        if (keywords.has("default_factory")) {
          return keywords.get("default_factory")!;
        }
        throw new SyntaxError("field() without default or default_factory");
      default:
        throw new SyntaxError(`cannot evaluate a call of "${name}"`);
    }
  }

  const value = expression();
  if (pos < tokens.length) {
    throw new SyntaxError(`unexpected "${String(tokens[pos]!.value)}"`);
  }
  return value;
}

function isFactory(name: string): boolean {
  return name === "list" || name === "tuple" || name === "dict" ||
    name === "str";
}

function factoryDefault(name: string): PyValue {
  return name === "str" ? "" : [];
}

function arithmetic(op: string, left: PyValue, right: PyValue): number {
  if (typeof left !== "number" || typeof right !== "number") {
    throw new SyntaxError(
      `cannot apply "${op}" to ${typeof left} and ${typeof right}`,
    );
  }
  switch (op) {
    case "+":
      return left + right;
    case "-":
      return left - right;
    case "*":
      return left * right;
    case "/":
      return left / right;
    case "//":
      return Math.floor(left / right);
    case "%":
      return left % right;
    default:
      return left ** right;
  }
}

/**
 * Whether brackets and quotes in `text` are balanced, i.e. a statement that
 * starts with it is complete.
 *
 * @param text One or more source lines.
 * @returns `true` when every bracket is closed.
 */
export function isComplete(text: string): boolean {
  let depth = 0;
  let quote = "";
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quote) {
      if (ch === "\\") i++;
      else if (text.startsWith(quote, i)) {
        i += quote.length - 1;
        quote = "";
      }
    } else if (ch === "#") {
      while (i < text.length && text[i] !== "\n") i++;
    } else if (ch === '"' || ch === "'") {
      quote = text.startsWith(ch.repeat(3), i) ? ch.repeat(3) : ch;
      i += quote.length - 1;
    } else if ("([{".includes(ch)) depth++;
    else if (")]}".includes(ch)) depth--;
  }
  return depth <= 0 && quote === "";
}
