/**
 * The builders of schemas, named as in zod 4 (whose subset this library
 * replaced, issue 19), and the types they infer. Import it as a namespace:
 * `import { z } from "../schema/mod.ts"`. Pure.
 *
 * @pure
 * @module
 */
import type { ErrorSpec } from "./issue.ts";
import {
  ArraySchema,
  DiscriminatedUnionSchema,
  ObjectSchema,
  RecordSchema,
  type Shape,
  TupleSchema,
  UnionSchema,
} from "./composites.ts";
import {
  BooleanSchema,
  EnumSchema,
  LiteralSchema,
  NumberSchema,
  type Primitive,
  StringSchema,
  UnknownSchema,
  UrlSchema,
} from "./primitives.ts";
import { type AnySchema, jsonOf, Schema } from "./schema.ts";

export type { ErrorSpec, Issue, RawIssue } from "./issue.ts";
export type { AnySchema } from "./schema.ts";
export type { Shape } from "./composites.ts";
export type { input, output, RefineContext } from "./schema.ts";
export type { SafeParseResult } from "./issue.ts";
export {
  DefaultSchema,
  NEVER,
  NullableSchema,
  OptionalSchema,
  PipeSchema,
  PrefaultSchema,
} from "./schema.ts";
export { SchemaError } from "./issue.ts";
export {
  ArraySchema,
  DiscriminatedUnionSchema,
  LiteralSchema,
  ObjectSchema,
  Schema,
  UnionSchema,
};

/** Options of a builder: a custom message for the issues it reports itself. */
interface Options {
  error?: ErrorSpec;
}

/** A text. */
export function string(options: Options = {}): StringSchema {
  return new StringSchema(options.error);
}

/** A URL; `protocol` matches its scheme without the colon. */
export function url(options: Options & { protocol: RegExp }): UrlSchema {
  return new UrlSchema(options.protocol, options.error);
}

/** A finite number. */
export function number(options: Options = {}): NumberSchema {
  return new NumberSchema(options.error);
}

/** A whole number. */
export function int(options: Options = {}): NumberSchema {
  return new NumberSchema(options.error).int();
}

/** true or false. */
export function boolean(): BooleanSchema {
  return new BooleanSchema();
}

/** Exactly `value`. */
export function literal<const T extends Primitive>(value: T): LiteralSchema<T> {
  return new LiteralSchema(value);
}

/** One of `values`. */
export function enum_<const T extends readonly string[]>(
  values: T,
): EnumSchema<T[number]> {
  return new EnumSchema<T[number]>(values);
}
export { enum_ as enum };

/** A list of `element`s. */
export function array<E extends AnySchema>(element: E): ArraySchema<E> {
  return new ArraySchema(element);
}

/** A list with a schema per place. */
export function tuple<const T extends readonly AnySchema[]>(
  items: T,
): TupleSchema<T> {
  return new TupleSchema(items);
}

/** A mapping of text keys, each checked by `keys`, to `values`. */
export function record<V extends AnySchema>(
  keys: Schema<string>,
  values: V,
): RecordSchema<V> {
  return new RecordSchema(keys, values);
}

/** Anything. */
export function unknown(): UnknownSchema {
  return new UnknownSchema();
}

/** A mapping with known keys; other keys are dropped. */
export function object<S extends Shape>(shape: S): ObjectSchema<S> {
  return new ObjectSchema(shape, false);
}

/** A mapping with known keys; another key is an issue. */
export function strictObject<S extends Shape>(shape: S): ObjectSchema<S> {
  return new ObjectSchema(shape, true);
}

/** The first of `options` that takes the value. */
export function union<const T extends readonly AnySchema[]>(
  options: T,
  settings: Options = {},
): UnionSchema<T> {
  return new UnionSchema(options, settings.error);
}

/** The option whose literal `key` equals the value's. */
export function discriminatedUnion<
  K extends string,
  const T extends readonly ObjectSchema<
    { readonly [P in K]: LiteralSchema<Primitive> } & Shape
  >[],
>(key: K, options: T, settings: Options = {}): DiscriminatedUnionSchema<K, T> {
  return new DiscriminatedUnionSchema(key, options, settings.error);
}

/**
 * The JSON Schema (draft 2020-12) of what a schema accepts, for editors.
 *
 * @param schema Any schema.
 * @returns A JSON Schema object.
 */
export function toJSONSchema(schema: AnySchema): Record<string, unknown> {
  return {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    ...jsonOf(schema),
  };
}
