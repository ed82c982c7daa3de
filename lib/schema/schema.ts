/**
 * The base of every schema and the wrappers every schema can take:
 * optional, nullable, a default, a prefault, a transform. A schema is an
 * immutable description; each chained call returns a changed copy, so one
 * schema can serve several places. Parsing follows zod 4's rules (issue
 * 19): checks after an aborting issue are skipped, length checks still run,
 * a transform runs only on a clean value. Pure.
 *
 * @pure
 * @module
 */
import {
  type ErrorSpec,
  finalizeIssue,
  type RawIssue,
  type SafeParseResult,
  SchemaError,
} from "./issue.ts";
import {
  type Check,
  explicitlyAborted,
  hasLength,
  isAborted,
  type Payload,
} from "./payload.ts";

/** An issue a custom check adds: its message, and a path below the value. */
export interface CustomIssue {
  code: "custom";
  message: string;
  path?: PropertyKey[];
}

/** What a custom check or transform may add issues through. */
export interface RefineContext {
  /** The issues so far; push to add one. */
  issues: RawIssue[];
  /** Adds an issue; its path is relative to the value checked. */
  addIssue(issue: CustomIssue): void;
}

/** A schema: parses an unknown value into `Out`; `In` is what it accepts. */
export abstract class Schema<Out = unknown, In = Out> {
  declare readonly "~out": Out;
  declare readonly "~in": In;
  /** Types only: true where an object's key may be left out of the input. */
  declare readonly "~optIn": boolean;
  /** Types only: true where an object's key may be missing from the output. */
  declare readonly "~optOut": boolean;
  /** Help text, for the JSON Schema. */
  description: string | undefined = undefined;
  /** Checks run after the type is parsed. */
  checks: readonly Check[] = [];
  /** The custom message of the issues this schema reports itself. */
  error: ErrorSpec | undefined = undefined;

  /** Parses the type itself: sets `payload.value`, pushes issues. */
  protected abstract parseType(payload: Payload): void;

  /** Whether an object's key with this schema may be left out of the input. */
  acceptsMissing(): boolean {
    return false;
  }

  /** What the JSON Schema (input side) says of the type itself. */
  abstract jsonType(): Record<string, unknown>;

  /**
   * Parses `payload.value` in place.
   *
   * @param payload The value and the issues so far.
   * @returns The same payload.
   */
  run(payload: Payload): Payload {
    this.parseType(payload);
    let aborted = isAborted(payload);
    for (const check of this.checks) {
      if (check.onLength) {
        if (explicitlyAborted(payload) || !hasLength(payload.value)) continue;
      } else if (aborted) {
        continue;
      }
      const before = payload.issues.length;
      check.run(payload);
      if (!aborted) aborted = isAborted(payload, before);
    }
    return payload;
  }

  /** Parses a value: its output, or every issue. */
  safeParse(value: unknown): SafeParseResult<Out> {
    const payload = this.run({ value, issues: [] });
    if (payload.issues.length === 0) {
      return { success: true, data: payload.value as Out };
    }
    return {
      success: false,
      error: new SchemaError(payload.issues.map(finalizeIssue)),
    };
  }

  /**
   * Parses a value.
   *
   * @throws {SchemaError} With every issue.
   */
  parse(value: unknown): Out {
    const result = this.safeParse(value);
    if (!result.success) throw result.error;
    return result.data;
  }

  /**
   * A copy with some fields changed. The copy is made field by field, so
   * schemas keep no `#private` members (a copy would lack their brand).
   */
  protected with(patch: Partial<Schema<Out, In>>): this {
    return Object.assign(
      Object.create(Object.getPrototypeOf(this)) as this,
      this,
      patch,
    );
  }

  /** A copy with one more check. */
  protected withCheck(check: Check): this {
    return this.with({ checks: [...this.checks, check] });
  }

  /** A copy with help text. */
  describe(description: string): this {
    return this.with({ description });
  }

  /** A copy that also accepts undefined (the key may be left out). */
  optional(): OptionalSchema<this> {
    return new OptionalSchema(this);
  }

  /** A copy that also accepts null. */
  nullable(): NullableSchema<this> {
    return new NullableSchema(this);
  }

  /** Undefined becomes `value` (an output, not parsed). */
  default(value: Exclude<Out, undefined>): DefaultSchema<this> {
    return new DefaultSchema(this, value);
  }

  /** Undefined becomes `value`, parsed like a written one. */
  prefault(value: In): PrefaultSchema<this> {
    return new PrefaultSchema(this, value);
  }

  /** A check: a custom issue with `message` when `test` fails. */
  refine(test: (value: Out) => boolean, options: { message: string }): this {
    return this.superRefine((value, ctx) => {
      if (!test(value)) {
        ctx.addIssue({ code: "custom", message: options.message });
      }
    });
  }

  /** A check that adds its own issues. */
  superRefine(check: (value: Out, ctx: RefineContext) => void): this {
    return this.withCheck({
      run(payload) {
        check(payload.value as Out, refineContext(payload));
      },
    });
  }

  /** A clean value turned into another; `ctx` may add issues (return NEVER then). */
  transform<Next>(
    change: (value: Out, ctx: RefineContext) => Next,
  ): PipeSchema<this, Next> {
    return new PipeSchema(this, change);
  }
}

function refineContext(payload: Payload, goOn = true): RefineContext {
  return {
    issues: payload.issues,
    addIssue(issue) {
      payload.issues.push({
        input: payload.value,
        ...issue,
        continue: goOn,
      });
    },
  };
}

/** The output type of a schema. */
export type output<S> = S extends { readonly "~out": infer O } ? O : never;
/** The input type of a schema. */
export type input<S> = S extends { readonly "~in": infer I } ? I : never;

/** Any schema. */
// deno-lint-ignore no-explicit-any
export type AnySchema = Schema<any, any>;

/** A schema around another: optional, nullable, with a default or a prefault. */
abstract class WrapperSchema<S extends AnySchema, Out, In>
  extends Schema<Out, In> {
  constructor(readonly inner: S) {
    super();
  }
  /** The schema inside. */
  unwrap(): S {
    return this.inner;
  }
}

/** A schema that also takes undefined; in an object, its key may be missing. */
export class OptionalSchema<S extends AnySchema>
  extends WrapperSchema<S, output<S> | undefined, input<S> | undefined> {
  declare readonly "~optOut": true;
  declare readonly "~optIn": true;
  override acceptsMissing(): boolean {
    return true;
  }
  protected parseType(payload: Payload): void {
    if (payload.value !== undefined) this.inner.run(payload);
  }
  jsonType(): Record<string, unknown> {
    return jsonOf(this.inner);
  }
}

/** A schema that also takes null. */
export class NullableSchema<S extends AnySchema>
  extends WrapperSchema<S, output<S> | null, input<S> | null> {
  declare readonly "~optIn": S["~optIn"];
  declare readonly "~optOut": S["~optOut"];
  override acceptsMissing(): boolean {
    return this.inner.acceptsMissing();
  }
  protected parseType(payload: Payload): void {
    if (payload.value !== null) this.inner.run(payload);
  }
  jsonType(): Record<string, unknown> {
    const inner = jsonOf(this.inner);
    const keys = Object.keys(inner);
    return keys.length === 1 && typeof inner["type"] === "string"
      ? { type: [inner["type"], "null"] }
      : { anyOf: [inner, { type: "null" }] };
  }
}

/**
 * A JSON Schema node with this default in place of any inner one: first,
 * for the reader, and a copy (defaults are JSON values), so that whoever
 * edits the JSON cannot change what a parse returns.
 */
function withDefault(
  node: Record<string, unknown>,
  value: unknown,
): Record<string, unknown> {
  const { default: _inner, ...rest } = node;
  return { default: JSON.parse(JSON.stringify(value)), ...rest };
}

/** Copies of lists and mappings, so that no two parses share a default. */
function freshCopy<T>(value: T): T {
  if (Array.isArray(value)) return [...value] as T;
  if (typeof value === "object" && value !== null) return { ...value };
  return value;
}

/** A wrapper that stands in a fixed value for a missing one. */
abstract class FallbackSchema<S extends AnySchema, Out, In>
  extends WrapperSchema<S, Out, In> {
  declare readonly "~optIn": true;
  constructor(inner: S, readonly defaultValue: unknown) {
    super(inner);
  }
  override acceptsMissing(): boolean {
    return true;
  }
  jsonType(): Record<string, unknown> {
    return withDefault(jsonOf(this.inner), this.defaultValue);
  }
}

/** Undefined becomes a fixed output. */
export class DefaultSchema<S extends AnySchema> extends FallbackSchema<
  S,
  Exclude<output<S>, undefined>,
  input<S> | undefined
> {
  protected parseType(payload: Payload): void {
    if (payload.value !== undefined) this.inner.run(payload);
    if (payload.value === undefined) {
      payload.value = freshCopy(this.defaultValue);
    }
  }
}

/** Undefined becomes a fixed input, parsed. */
export class PrefaultSchema<S extends AnySchema>
  extends FallbackSchema<S, output<S>, input<S> | undefined> {
  protected parseType(payload: Payload): void {
    if (payload.value === undefined) {
      payload.value = freshCopy(this.defaultValue);
    }
    this.inner.run(payload);
  }
}

/** A clean value of `in` turned into another by a function. */
export class PipeSchema<S extends AnySchema, Out>
  extends Schema<Out, input<S>> {
  declare readonly "~optIn": S["~optIn"];
  declare readonly "~optOut": S["~optOut"];
  constructor(
    readonly source: S,
    readonly change: (value: output<S>, ctx: RefineContext) => Out,
  ) {
    super();
  }
  /** The schema whose clean output is changed. */
  get in(): S {
    return this.source;
  }
  override acceptsMissing(): boolean {
    return this.source.acceptsMissing();
  }
  protected parseType(payload: Payload): void {
    this.source.run(payload);
    if (payload.issues.length > 0) {
      payload.aborted = true;
      return;
    }
    // An issue the change adds stops every check after it, as in zod.
    payload.value = this.change(
      payload.value as output<S>,
      refineContext(payload, false),
    );
  }
  jsonType(): Record<string, unknown> {
    return jsonOf(this.source);
  }
}

/**
 * The JSON Schema (input side) of a schema: its type, its checks and its
 * help text.
 *
 * @param schema Any schema.
 * @returns A JSON Schema node.
 */
export function jsonOf(schema: AnySchema): Record<string, unknown> {
  const node: Record<string, unknown> = schema.description === undefined
    ? {}
    : { description: schema.description };
  Object.assign(node, schema.jsonType());
  for (const check of schema.checks) Object.assign(node, check.json);
  if (schema.description !== undefined) {
    node["description"] = schema.description;
  }
  return node;
}

/** Returned by a transform that added an issue: the value does not matter. */
export const NEVER = Object.freeze({}) as never;
