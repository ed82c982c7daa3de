/**
 * Schemas of values made of values: lists, tuples, records, objects and
 * unions. Each reports its parts' issues under their key or index. Pure.
 *
 * @pure
 * @module
 */
import type { ErrorSpec, RawIssue } from "./issue.ts";
import { finalizeIssue } from "./issue.ts";
import type { LiteralSchema, Primitive } from "./primitives.ts";
import {
  isAborted,
  lengthCheck,
  type Payload,
  prefixIssues,
  typeIssue,
} from "./payload.ts";
import {
  type AnySchema,
  type input,
  jsonOf,
  type output,
  Schema,
} from "./schema.ts";

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Runs `schema` on one part of a value; its issues land under `key`. */
function runPart(
  schema: AnySchema,
  value: unknown,
  key: PropertyKey,
  issues: RawIssue[],
): unknown {
  const part = schema.run({ value, issues: [] });
  // One at a time: spreading a list of 100k issues overflows the stack.
  for (const issue of prefixIssues(key, part.issues)) issues.push(issue);
  return part.value;
}

/** A list of values of one schema; `min` and `max` count items. */
export class ArraySchema<E extends AnySchema>
  extends Schema<output<E>[], input<E>[]> {
  constructor(readonly element: E) {
    super();
  }
  protected parseType(payload: Payload): void {
    const items = payload.value;
    if (!Array.isArray(items)) {
      payload.issues.push(typeIssue("array", items));
      return;
    }
    payload.value = items.map((item, index) =>
      runPart(this.element, item, index, payload.issues)
    );
  }
  jsonType(): Record<string, unknown> {
    return { type: "array", items: jsonOf(this.element) };
  }
  /** At least `count` items. */
  min(count: number): this {
    return this.withCheck(
      lengthCheck("too_small", count, { minItems: count }),
    );
  }
  /** At most `count` items. */
  max(count: number): this {
    return this.withCheck(lengthCheck("too_big", count, { maxItems: count }));
  }
}

type TupleOut<T extends readonly AnySchema[]> = {
  [K in keyof T]: output<T[K]>;
};
type TupleIn<T extends readonly AnySchema[]> = { [K in keyof T]: input<T[K]> };

/** A list of fixed length, each place with its schema. */
export class TupleSchema<const T extends readonly AnySchema[]>
  extends Schema<TupleOut<T>, TupleIn<T>> {
  constructor(readonly items: T) {
    super();
  }
  protected parseType(payload: Payload): void {
    const value = payload.value;
    if (!Array.isArray(value)) {
      payload.issues.push(typeIssue("tuple", value));
      return;
    }
    const count = this.items.length;
    if (value.length !== count) {
      const long = value.length > count;
      payload.issues.push({
        code: long ? "too_big" : "too_small",
        origin: "array",
        [long ? "maximum" : "minimum"]: count,
        inclusive: true,
        input: value,
      });
      return;
    }
    payload.value = this.items.map((item, index) =>
      runPart(item, value[index], index, payload.issues)
    );
  }
  jsonType(): Record<string, unknown> {
    return {
      type: "array",
      prefixItems: this.items.map(jsonOf),
      minItems: this.items.length,
      maxItems: this.items.length,
    };
  }
}

/** A mapping from text keys of one schema to values of another. */
export class RecordSchema<V extends AnySchema>
  extends Schema<Record<string, output<V>>, Record<string, input<V>>> {
  constructor(readonly keys: Schema<string>, readonly values: V) {
    super();
  }
  protected parseType(payload: Payload): void {
    const input = payload.value;
    const proto = isObject(input) ? Object.getPrototypeOf(input) : undefined;
    if (!isObject(input) || (proto !== Object.prototype && proto !== null)) {
      payload.issues.push(typeIssue("record", input));
      return;
    }
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(input)) {
      // Assigning it would set the output's prototype: dropped, as zod does.
      if (key === "__proto__") continue;
      const checked = this.keys.run({ value: key, issues: [] });
      if (checked.issues.length > 0) {
        payload.issues.push({
          code: "invalid_key",
          origin: "record",
          issues: checked.issues.map(finalizeIssue),
          input: key,
          path: [key],
        });
        continue;
      }
      out[key] = runPart(this.values, item, key, payload.issues);
    }
    payload.value = out;
  }
  jsonType(): Record<string, unknown> {
    return {
      type: "object",
      propertyNames: jsonOf(this.keys),
      additionalProperties: jsonOf(this.values),
    };
  }
}

/** The fields of an object schema. */
export type Shape = { readonly [key: string]: AnySchema };

type OptOutKeys<S extends Shape> = {
  [K in keyof S]: S[K] extends { readonly "~optOut": true } ? K : never;
}[keyof S];
type OptInKeys<S extends Shape> = {
  [K in keyof S]: S[K] extends { readonly "~optIn": true } ? K : never;
}[keyof S];
type Flat<T> = { [K in keyof T]: T[K] } & unknown;

/** The output of an object schema: optional keys where the field may be left out. */
export type ObjectOut<S extends Shape> = Flat<
  & { -readonly [K in Exclude<keyof S, OptOutKeys<S>>]: output<S[K]> }
  & { -readonly [K in OptOutKeys<S>]?: output<S[K]> }
>;
/** The input of an object schema: optional keys where a default exists. */
export type ObjectIn<S extends Shape> = Flat<
  & { -readonly [K in Exclude<keyof S, OptInKeys<S>>]: input<S[K]> }
  & { -readonly [K in OptInKeys<S>]?: input<S[K]> }
>;

/**
 * A mapping with known keys. Strict: another key is an issue; otherwise
 * other keys are dropped.
 */
export class ObjectSchema<S extends Shape>
  extends Schema<ObjectOut<S>, ObjectIn<S>> {
  constructor(readonly shape: S, readonly strict: boolean) {
    super();
  }
  protected parseType(payload: Payload): void {
    const input = payload.value;
    if (!isObject(input)) {
      payload.issues.push(typeIssue("object", input));
      return;
    }
    const out: Record<string, unknown> = {};
    // Own keys only, of the input and of the shape: a key named like a
    // member of Object.prototype ("constructor", "__proto__") is no field.
    for (const [key, field] of Object.entries(this.shape)) {
      const present = Object.hasOwn(input, key);
      const value = runPart(
        field,
        present ? input[key] : undefined,
        key,
        payload.issues,
      );
      if (value !== undefined || present) out[key] = value;
    }
    payload.value = out;
    if (!this.strict) return;
    const unknown = Object.keys(input).filter((key) =>
      !Object.hasOwn(this.shape, key)
    );
    if (unknown.length > 0) {
      payload.issues.push({
        code: "unrecognized_keys",
        keys: unknown,
        input,
        continue: true,
      });
    }
  }
  jsonType(): Record<string, unknown> {
    const properties: Record<string, unknown> = {};
    const required: string[] = [];
    for (const [key, field] of Object.entries(this.shape)) {
      properties[key] = jsonOf(field);
      if (!field.acceptsMissing()) required.push(key);
    }
    return {
      type: "object",
      properties,
      ...(required.length > 0 ? { required } : {}),
      ...(this.strict ? { additionalProperties: false } : {}),
    };
  }
}

/** The first option that takes the value. */
export class UnionSchema<const T extends readonly AnySchema[]>
  extends Schema<output<T[number]>, input<T[number]>> {
  constructor(readonly options: T, error?: ErrorSpec) {
    super();
    this.error = error;
  }
  protected parseType(payload: Payload): void {
    const results = this.options.map((option) =>
      option.run({ value: payload.value, issues: [] })
    );
    const clean = results.find((result) => result.issues.length === 0);
    if (clean !== undefined) {
      payload.value = clean.value;
      return;
    }
    // One option only failed its checks (not its type): its issues say more.
    const shaped = results.filter((result) => !isAborted(result));
    if (shaped.length === 1) {
      payload.value = shaped[0]!.value;
      for (const issue of shaped[0]!.issues) payload.issues.push(issue);
      return;
    }
    payload.issues.push({
      code: "invalid_union",
      errors: results.map((result) => result.issues.map(finalizeIssue)),
      input: payload.value,
      error: this.error,
    });
  }
  jsonType(): Record<string, unknown> {
    const nodes = this.options.map(jsonOf);
    const plain = nodes.every((node) =>
      Object.keys(node).length === 1 && typeof node["type"] === "string"
    );
    return plain
      ? { type: nodes.map((node) => node["type"]) }
      : { anyOf: nodes };
  }
}

/** An object schema whose `key` field is a literal. */
type Tagged<K extends string> = ObjectSchema<
  { readonly [P in K]: LiteralSchema<Primitive> } & Shape
>;

/** The option whose literal `key` field equals the value's. */
export class DiscriminatedUnionSchema<
  K extends string,
  const T extends readonly Tagged<K>[],
> extends UnionSchema<T> {
  constructor(readonly key: K, options: T, error?: ErrorSpec) {
    super(options, error);
  }
  protected override parseType(payload: Payload): void {
    const input = payload.value;
    if (!isObject(input)) {
      payload.issues.push(typeIssue("object", input, this.error));
      return;
    }
    const option = this.options.find((candidate) =>
      candidate.shape[this.key]!.value === input[this.key]
    );
    if (option !== undefined) {
      option.run(payload);
      return;
    }
    payload.issues.push({
      code: "invalid_union",
      errors: [],
      note: "No matching discriminator",
      discriminator: this.key,
      input,
      path: [this.key],
      error: this.error,
    });
  }
  override jsonType(): Record<string, unknown> {
    return { oneOf: this.options.map(jsonOf) };
  }
}
