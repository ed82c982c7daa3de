/**
 * The configuration schema: the one source of truth for the names, types,
 * defaults and documentation of every setting. Defaults are those of the
 * Python "UPS Monitor 3.0" script this program succeeds. Pure.
 *
 * @pure
 * @module
 */
import { z } from "zod";
import { minSamplesProblem } from "./depletion_fit.ts";
import { formatDuration } from "./duration.ts";
import {
  absolutePath,
  count,
  duration,
  finiteNumber,
  nutCredential,
  optionalPath,
} from "./schema_fields.ts";
import { httpSchema } from "./schema_http.ts";
import { powerCycleDelayProblem, shutdownSchema } from "./schema_shutdown.ts";
import { triggersSchema } from "./schema_triggers.ts";
import { parseUpsAddress } from "./ups_address.ts";

export { durationSchema, nutCredentialProblem } from "./schema_fields.ts";
export {
  DEFAULT_KNOWN_HOSTS,
  LOCAL_GRACE_MS,
  STEP_KINDS,
} from "./schema_shutdown.ts";
import { maskSecrets, SECRET_MASK } from "./secret.ts";
import { channelKindOf, channelSchema } from "../notify/channel_kinds.ts";

const colorSchema = finiteNumber().int().min(0).max(0xffffff);

const upsSchema = z.strictObject({
  name: z.string().superRefine((name, ctx) => {
    const parsed = parseUpsAddress(name);
    if (!parsed.ok) ctx.addIssue({ code: "custom", message: parsed.message });
  }).describe(
    'The UPS as upsname[@host[:port]], as upsc spells it: "ups" (localhost), "ups@nas", "ups@10.0.0.2:3493", "ups@[::1]:3493".',
  ),
  username: nutCredential().nullable().default(null).describe(
    "NUT user (upsd.users) to LOGIN as, like an upsmon secondary, so a NUT primary waits for this host. Printable ASCII. Default none.",
  ),
  password: nutCredential().nullable().default(null).describe(
    "Password of the NUT user: printable ASCII. Secret: never printed. Prefer password_file.",
  ),
  "password_file": optionalPath(
    "File whose first line is the NUT password (keeps the secret out of the config). Default none.",
  ),
  tls: z.enum(["off", "starttls", "required"]).default("starttls").describe(
    'STARTTLS: off; starttls (use TLS when the server offers it, else plaintext, as upsc does; a man in the middle can forge the "not offered" answer and downgrade the connection, user name and password included, to plaintext); required (refuse plaintext: no credentials are ever sent in clear). Default starttls.',
  ),
  "ca_file": optionalPath(
    "PEM file of the CA that signed upsd's certificate. Default: the system roots.",
  ),
  "check_interval": duration("Time between two polls of the UPS.", "1s"),
  "connect_timeout": duration("Bound of a TCP connect to upsd.", "5s"),
  "reply_timeout": duration(
    "Bound of each request to upsd; a silent server is dropped after it.",
    "5s",
  ),
  "max_stale_data_tolerance": count(
    "Consecutive polls without a valid reading before the connection counts as lost (and, on battery, the fail-safe fires).",
    1,
    1000,
    3,
  ),
}).superRefine((ups, ctx) => {
  if (ups.password !== null && ups.password_file !== null) {
    ctx.addIssue({
      code: "custom",
      path: ["password_file"],
      message: "set either password or password_file, not both",
    });
  }
  const hasPassword = ups.password !== null || ups.password_file !== null;
  if (hasPassword && ups.username === null) {
    ctx.addIssue({
      code: "custom",
      path: ["username"],
      message: "a NUT password needs a username",
    });
  }
  if (!hasPassword && ups.username !== null) {
    ctx.addIssue({
      code: "custom",
      path: ["username"],
      message: "a NUT username needs a password or password_file",
    });
  }
});

const colorsSchema = z.strictObject({
  red: colorSchema.default(15158332).describe(
    "Critical events. Default 15158332.",
  ),
  orange: colorSchema.default(15105570).describe("Warnings. Default 15105570."),
  yellow: colorSchema.default(15844367).describe(
    "Power quality. Default 15844367.",
  ),
  green: colorSchema.default(3066993).describe("Recoveries. Default 3066993."),
  blue: colorSchema.default(3447003).describe("Information. Default 3447003."),
}).prefault({}).describe("Discord embed colors, as decimal RGB.");

const notificationsSchema = z.strictObject({
  timeout: duration(
    "Timeout of a notification in normal mode (non-blocking).",
    "3s",
  ),
  "crisis_timeout": duration(
    "Timeout of a notification during a shutdown sequence (blocking).",
    "10s",
  ),
  "crisis_budget": duration(
    "Total time a shutdown sequence may spend waiting for notifications.",
    "30s",
    { zero: true },
  ),
  "queue_size": count(
    "Notifications waiting per channel before the oldest informational ones are dropped.",
    1,
    10_000,
    100,
  ),
  colors: colorsSchema,
  channels: z.array(channelSchema).default([]).describe(
    "Where events are sent. Default none (log only).",
  ),
}).prefault({}).describe("Discord and webhook notifications.");

const pathsSchema = z.strictObject({
  state: absolutePath("State snapshot (JSON), written each poll.").default(
    "/var/run/ups-monitor.state",
  ).describe("State snapshot (JSON), written each poll."),
  flag: absolutePath("Crisis flag: a shutdown sequence is active.").default(
    "/var/run/ups-shutdown-scheduled",
  ).describe("Crisis flag: a shutdown sequence is active."),
  history: absolutePath(
    "Battery history and the start of the current outage (survives a restart).",
  ).default(
    "/var/run/ups-battery-history",
  ).describe(
    "Battery history and the start of the current outage (survives a restart).",
  ),
  durations: absolutePath(
    "Measured step durations of the last shutdown sequences (the plan's learned time).",
  ).default("/var/lib/ups-monitor/durations").describe(
    "Measured step durations of the last shutdown sequences (the plan's learned time). On storage that survives a reboot: what a real shutdown measured is needed after the power-off. Default /var/lib/ups-monitor/durations (the unit's StateDirectory).",
  ),
  pid: absolutePath("Marks a live daemon.").default("/var/run/ups-monitor.pid")
    .describe("Marks a live daemon."),
}).prefault({}).describe("Runtime files, all written atomically.");

const loggingSchema = z.strictObject({
  format: z.enum(["text", "json"]).default("text").describe(
    "Console format; --log-format wins. Default text.",
  ),
  level: z.enum(["debug", "info", "warning", "error"]).default("info").describe(
    "Lowest level logged. Default info.",
  ),
  file: absolutePath("Detailed log file with timestamps; null for none.")
    .nullable().default("/var/log/ups-monitor.log").describe(
      "Detailed log file with timestamps; null for none.",
    ),
}).prefault({}).describe("Logging; journald is primary.");

const readinessSchema = z.strictObject({
  enabled: z.boolean().default(true).describe(
    "Check every enabled step and channel without side effects at start, after a reload and every interval. Default true.",
  ),
  interval: duration("Time between two rounds of readiness checks.", "6h"),
  timeout: duration("Bound of one readiness check.", "20s"),
}).prefault({}).describe(
  "Readiness: find a broken shutdown path on a normal day, not in the outage.",
);

/** The whole configuration file. */
export const configSchema = z.strictObject({
  ups: upsSchema.describe("The UPS and the NUT server that serves it."),
  triggers: triggersSchema,
  notifications: notificationsSchema,
  shutdown: shutdownSchema,
  paths: pathsSchema,
  logging: loggingSchema,
  readiness: readinessSchema,
  http: httpSchema,
}).superRefine((config, ctx) => {
  // Across sections: the window and min_samples live in triggers, the poll
  // interval in ups.
  const { depletion } = config.triggers;
  const problem = minSamplesProblem(depletion.min_samples, {
    windowMs: depletion.window,
    intervalMs: config.ups.check_interval,
  });
  if (problem !== null) {
    ctx.addIssue({
      code: "custom",
      path: ["triggers", "depletion", "min_samples"],
      message: problem,
    });
  }
  // Across steps: the power cycle's delay against the local shutdown's time.
  const delayProblem = powerCycleDelayProblem(config.shutdown);
  if (delayProblem !== null) {
    ctx.addIssue({
      code: "custom",
      path: ["shutdown", "power_cycle", "delay"],
      message: delayProblem,
    });
  }
}).describe("ups-monitor configuration");

/** A validated configuration; durations are milliseconds. */
export type Config = z.output<typeof configSchema>;

/** A notification channel of the config. */
export type { ChannelConfig } from "../notify/channel_kinds.ts";

/** A remote machine of the config. */
export type RemoteConfig = Config["shutdown"]["remotes"][number];

/**
 * The JSON Schema of the config file, for editors.
 *
 * @returns A draft 2020-12 JSON Schema object.
 */
export function configJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(configSchema, { io: "input", unrepresentable: "any" });
}

/**
 * Every secret value in a config, to mask wherever it might be printed. A
 * channel's secrets are what its kind's table entry names.
 *
 * @param config A validated config.
 * @returns Passwords, webhook URLs and header values.
 */
export function secretsOf(config: Config): string[] {
  const secrets: string[] = [];
  if (config.ups.password !== null) secrets.push(config.ups.password);
  const cycle = config.shutdown.power_cycle;
  if (cycle.password !== null) secrets.push(cycle.password);
  for (const channel of config.notifications.channels) {
    secrets.push(...channelKindOf(channel).secrets());
  }
  return secrets;
}

/** What a secret looks like in printed output: one mask for config, logs and commands. */
export { SECRET_MASK };

/**
 * The config as a user writes it (durations as text), with every secret
 * replaced by {@linkcode SECRET_MASK} (a URL keeps its host): what
 * `ups-monitor check` prints.
 *
 * @param config A validated config.
 * @returns A plain object ready for YAML or JSON.
 */
export function effectiveConfig(config: Config): Record<string, unknown> {
  const masked = JSON.parse(JSON.stringify(config)) as Config;
  if (masked.ups.password !== null) masked.ups.password = SECRET_MASK;
  const cycle = masked.shutdown.power_cycle;
  if (cycle.password !== null) cycle.password = SECRET_MASK;
  masked.notifications.channels = masked.notifications.channels.map((
    channel,
  ) => maskSecrets(channel, channelKindOf(channel).secrets()));
  return durationsAsText(masked, configSchema) as Record<string, unknown>;
}

/** Walks value and schema together and formats every duration as text. */
function durationsAsText(value: unknown, schema: z.ZodType): unknown {
  const inner = unwrap(schema);
  if (inner instanceof z.ZodUnion && typeof value === "number") {
    return formatDuration(value);
  }
  if (inner instanceof z.ZodObject && isRecord(value)) {
    const shape = inner.shape as Record<string, z.ZodType>;
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      const child = shape[key];
      out[key] = child ? durationsAsText(item, child) : item;
    }
    return out;
  }
  if (inner instanceof z.ZodArray && Array.isArray(value)) {
    return value.map((item) =>
      durationsAsText(item, inner.element as z.ZodType)
    );
  }
  if (inner instanceof z.ZodDiscriminatedUnion && isRecord(value)) {
    const option = (inner.options as z.ZodType[]).find((o) => {
      const shape = (unwrap(o) as z.ZodObject).shape as Record<
        string,
        z.ZodType
      >;
      const kind = shape["kind"];
      return kind instanceof z.ZodLiteral && kind.value === value["kind"];
    });
    return option ? durationsAsText(value, option) : value;
  }
  return value;
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
export function unwrap(schema: z.ZodType): z.ZodType {
  let current: z.ZodType = schema;
  for (let i = 0; i < 20; i++) {
    if (
      current instanceof z.ZodDefault || current instanceof z.ZodPrefault ||
      current instanceof z.ZodOptional || current instanceof z.ZodNullable
    ) {
      current = current.unwrap() as z.ZodType;
    } else if (current instanceof z.ZodPipe) {
      current = current.in as z.ZodType;
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
  let schema: z.ZodType = configSchema;
  for (const key of path) {
    const inner = unwrap(schema);
    if (inner instanceof z.ZodObject) {
      const next = (inner.shape as Record<string, z.ZodType>)[String(key)];
      if (!next) return [];
      schema = next;
    } else if (inner instanceof z.ZodArray) {
      schema = inner.element as z.ZodType;
    } else {
      return [];
    }
  }
  const inner = unwrap(schema);
  if (inner instanceof z.ZodObject) return Object.keys(inner.shape);
  if (inner instanceof z.ZodDiscriminatedUnion) {
    const keys = new Set<string>();
    for (const option of inner.options as z.ZodType[]) {
      const shaped = unwrap(option);
      if (shaped instanceof z.ZodObject) {
        for (const key of Object.keys(shaped.shape)) keys.add(key);
      }
    }
    return [...keys];
  }
  return [];
}
