/**
 * Walks of the config schema: the effective config as `check` prints it
 * (durations as text, secrets masked, one UPS as a mapping), and the keys an
 * object of the config accepts, for did-you-mean hints. Pure.
 *
 * @pure
 * @module
 */
import { z } from "../schema/mod.ts";
import { channelKindOf } from "../notify/channel_kinds.ts";
import { formatDuration } from "./duration.ts";
import { type Config, configSchema } from "./schema.ts";
import { triggerOverrides } from "./schema_triggers.ts";
import { maskSecrets, SECRET_MASK } from "./secret.ts";

/**
 * The config as a user writes it (durations as text), with every secret
 * replaced by {@linkcode SECRET_MASK} (a URL keeps its host): what
 * `ups-monitor check` prints.
 *
 * @param config A validated config.
 * @returns A plain object ready for YAML or JSON.
 */
export function effectiveConfig(config: Config): Record<string, unknown> {
  const { upses, ...rest } = JSON.parse(JSON.stringify(config)) as Config;
  for (const ups of upses) {
    if (ups.password !== null) ups.password = SECRET_MASK;
  }
  // As written: one UPS as a mapping, several as a list; each UPS's
  // triggers are printed only where they differ from the top level.
  const listed = upses.map(({ triggers, ...ups }) => {
    const overrides = triggerOverrides(config.triggers, triggers);
    return overrides === undefined ? ups : { ...ups, triggers: overrides };
  });
  const masked = { ...rest, ups: upses.length === 1 ? listed[0] : listed };
  const cycle = masked.shutdown.power_cycle;
  if (cycle.password !== null) cycle.password = SECRET_MASK;
  masked.notifications.channels = masked.notifications.channels.map((
    channel,
  ) => maskSecrets(channel, channelKindOf(channel).secrets()));
  return durationsAsText(masked, configSchema) as Record<string, unknown>;
}

/** Walks value and schema together and formats every duration as text. */
function durationsAsText(value: unknown, schema: z.Schema): unknown {
  const inner = unwrap(schema);
  if (inner instanceof z.UnionSchema) {
    // A duration (number or text), or `ups` (a mapping or a list).
    if (typeof value === "number") return formatDuration(value);
    const option = shapedOption(inner, Array.isArray(value));
    return option ? durationsAsText(value, option) : value;
  }
  if (inner instanceof z.ObjectSchema && isRecord(value)) {
    const shape = inner.shape as Record<string, z.Schema>;
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      const child = shape[key];
      out[key] = child ? durationsAsText(item, child) : item;
    }
    return out;
  }
  if (inner instanceof z.ArraySchema && Array.isArray(value)) {
    return value.map((item) =>
      durationsAsText(item, inner.element as z.Schema)
    );
  }
  if (inner instanceof z.DiscriminatedUnionSchema && isRecord(value)) {
    const option = (inner.options as z.Schema[]).find((o) => {
      const shape = (unwrap(o) as z.ObjectSchema<z.Shape>).shape as Record<
        string,
        z.Schema
      >;
      const kind = shape["kind"];
      return kind instanceof z.LiteralSchema && kind.value === value["kind"];
    });
    return option ? durationsAsText(value, option) : value;
  }
  return value;
}

/**
 * The option of a union of a mapping and a list (`ups`) that takes a list,
 * or the one that takes a mapping; undefined for other unions.
 */
function shapedOption(
  union: z.UnionSchema<readonly z.AnySchema[]>,
  list: boolean,
): z.Schema | undefined {
  return (union.options as z.Schema[]).find((option) =>
    list
      ? unwrap(option) instanceof z.ArraySchema
      : unwrap(option) instanceof z.ObjectSchema
  );
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Strips defaults, optionals, nullables and pipes around a schema, down to the
 * type that decides its shape.
 *
 * @param schema Any schema of the config.
 * @returns The innermost shaping schema (object, array, union, …).
 */
export function unwrap(schema: z.Schema): z.Schema {
  let current: z.Schema = schema;
  for (let i = 0; i < 20; i++) {
    if (
      current instanceof z.DefaultSchema ||
      current instanceof z.PrefaultSchema ||
      current instanceof z.OptionalSchema || current instanceof z.NullableSchema
    ) {
      current = current.unwrap() as z.Schema;
    } else if (current instanceof z.PipeSchema) {
      current = current.in as z.Schema;
    } else {
      return current;
    }
  }
  return current;
}

/**
 * The keys an object of the config accepts at `path`, for did-you-mean hints.
 *
 * @param path Key path from the root, array indices included.
 * @returns The known keys, or an empty list when the path is not an object.
 */
export function knownKeysAt(path: readonly PropertyKey[]): string[] {
  let schema: z.Schema = configSchema;
  for (const key of path) {
    let inner = unwrap(schema);
    if (inner instanceof z.UnionSchema) {
      inner = unwrap(shapedOption(inner, typeof key === "number") ?? inner);
    }
    if (inner instanceof z.ObjectSchema) {
      const next = (inner.shape as Record<string, z.Schema>)[String(key)];
      if (!next) return [];
      schema = next;
    } else if (inner instanceof z.ArraySchema) {
      schema = inner.element as z.Schema;
    } else {
      return [];
    }
  }
  let inner = unwrap(schema);
  if (
    inner instanceof z.UnionSchema &&
    !(inner instanceof z.DiscriminatedUnionSchema)
  ) {
    inner = unwrap(shapedOption(inner, false) ?? inner);
  }
  if (inner instanceof z.ObjectSchema) return Object.keys(inner.shape);
  if (inner instanceof z.DiscriminatedUnionSchema) {
    const keys = new Set<string>();
    for (const option of inner.options as z.Schema[]) {
      const shaped = unwrap(option);
      if (shaped instanceof z.ObjectSchema) {
        for (const key of Object.keys(shaped.shape)) keys.add(key);
      }
    }
    return [...keys];
  }
  return [];
}
