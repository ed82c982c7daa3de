/**
 * Schemas of single values: strings, URLs, numbers, booleans, literals and
 * enums, with the range and pattern checks the config uses. Pure.
 *
 * @pure
 * @module
 */
import type { ErrorSpec } from "./issue.ts";
import { lengthCheck, type Payload, typeIssue } from "./payload.ts";
import { Schema } from "./schema.ts";

/** A text; `min` counts characters. */
export class StringSchema extends Schema<string> {
  constructor(error?: ErrorSpec) {
    super();
    this.error = error;
  }
  protected parseType(payload: Payload): void {
    if (typeof payload.value !== "string") {
      payload.issues.push(typeIssue("string", payload.value, this.error));
    }
  }
  jsonType(): Record<string, unknown> {
    return { type: "string" };
  }
  /** At least `length` characters. */
  min(length: number): this {
    return this.withCheck(
      lengthCheck("too_small", length, { minLength: length }),
    );
  }
  /** Matches `pattern`. */
  regex(
    pattern: RegExp,
    options: { message?: string; error?: string } = {},
  ): this {
    return this.withCheck({
      json: { pattern: pattern.source },
      run(payload) {
        pattern.lastIndex = 0;
        if (!pattern.test(payload.value as string)) {
          payload.issues.push({
            code: "invalid_format",
            format: "regex",
            pattern: String(pattern),
            message: options.message ?? options.error,
            input: payload.value,
            continue: true,
          });
        }
      },
    });
  }
}

/**
 * The WHATWG URL parser: a global of every runtime this program runs on,
 * declared here because pure files are type-checked without the web's types.
 */
declare const URL: new (text: string) => { protocol: string };

/** A URL whose scheme (without the colon) matches `protocol`. */
export class UrlSchema extends StringSchema {
  constructor(readonly protocol: RegExp, error?: ErrorSpec) {
    super(error);
  }
  protected override parseType(payload: Payload): void {
    super.parseType(payload);
    if (payload.issues.length > 0) return;
    if (!this.valid(payload.value as string)) {
      payload.issues.push({
        code: "invalid_format",
        format: "url",
        input: payload.value,
        error: this.error,
      });
    }
  }
  private valid(text: string): boolean {
    try {
      const url = new URL(text);
      return this.protocol.test(url.protocol.slice(0, -1));
    } catch {
      return false; // not a URL at all
    }
  }
  override jsonType(): Record<string, unknown> {
    return { type: "string", format: "uri" };
  }
}

/** A finite number (Infinity and NaN are refused). */
export class NumberSchema extends Schema<number> {
  /** Whether `int()` was asked for (the JSON Schema's "integer"). */
  whole = false;
  constructor(error?: ErrorSpec) {
    super();
    this.error = error;
  }
  protected parseType(payload: Payload): void {
    const value = payload.value;
    if (typeof value !== "number" || !Number.isFinite(value)) {
      payload.issues.push(typeIssue("number", value, this.error));
    }
  }
  jsonType(): Record<string, unknown> {
    return { type: this.whole ? "integer" : "number" };
  }
  /** A whole number in the safe range; later checks are skipped when not. */
  int(): this {
    const copy = this.withCheck({
      run(payload) {
        const value = payload.value as number;
        if (!Number.isSafeInteger(value)) {
          payload.issues.push(
            Number.isInteger(value)
              ? {
                code: value > 0 ? "too_big" : "too_small",
                origin: "int",
                ...(value > 0
                  ? { maximum: Number.MAX_SAFE_INTEGER }
                  : { minimum: Number.MIN_SAFE_INTEGER }),
                inclusive: true,
                input: value,
                continue: true,
              }
              : {
                code: "invalid_type",
                expected: "int",
                input: value,
                continue: false,
              },
          );
        }
      },
    });
    copy.whole = true;
    return copy;
  }
  /** At least `minimum`. */
  min(minimum: number): this {
    return this.bound("too_small", minimum, true);
  }
  /** At most `maximum`. */
  max(maximum: number): this {
    return this.bound("too_big", maximum, true);
  }
  /** Above 0. */
  positive(): this {
    return this.bound("too_small", 0, false);
  }
  /** Finite: every number of this schema already is. */
  finite(): this {
    return this;
  }
  private bound(
    code: "too_small" | "too_big",
    limit: number,
    inclusive: boolean,
  ) {
    const small = code === "too_small";
    const key = small ? "minimum" : "maximum";
    const jsonKey = inclusive
      ? key
      : small
      ? "exclusiveMinimum"
      : "exclusiveMaximum";
    return this.withCheck({
      json: { [jsonKey]: limit },
      run(payload) {
        const value = payload.value as number;
        const within = small
          ? (inclusive ? value >= limit : value > limit)
          : (inclusive ? value <= limit : value < limit);
        if (!within) {
          payload.issues.push({
            code,
            origin: "number",
            [key]: limit,
            inclusive,
            input: value,
            continue: true,
          });
        }
      },
    });
  }
}

/** true or false. */
export class BooleanSchema extends Schema<boolean> {
  protected parseType(payload: Payload): void {
    if (typeof payload.value !== "boolean") {
      payload.issues.push(typeIssue("boolean", payload.value));
    }
  }
  jsonType(): Record<string, unknown> {
    return { type: "boolean" };
  }
}

/** A value a JSON Schema `const` or `enum` can name. */
export type Primitive = string | number | boolean | null;

/** One of a few fixed values. */
class ValuesSchema<T extends Primitive> extends Schema<T> {
  constructor(readonly values: readonly T[]) {
    super();
  }
  protected parseType(payload: Payload): void {
    if (!this.values.includes(payload.value as T)) {
      payload.issues.push({
        code: "invalid_value",
        values: [...this.values],
        input: payload.value,
      });
    }
  }
  jsonType(): Record<string, unknown> {
    const first = this.values[0];
    const type = first === null ? "null" : typeof first;
    return this.values.length === 1
      ? { type, const: this.values[0] }
      : { type, enum: [...this.values] };
  }
}

/** Exactly one value. */
export class LiteralSchema<T extends Primitive> extends ValuesSchema<T> {
  constructor(readonly value: T) {
    super([value]);
  }
}

/** One of a list of texts. */
export class EnumSchema<T extends string> extends ValuesSchema<T> {}

/** Anything at all. */
export class UnknownSchema extends Schema<unknown> {
  protected parseType(_payload: Payload): void {}
  jsonType(): Record<string, unknown> {
    return {};
  }
}
