/**
 * The configuration schema: the one source of truth for the names, types,
 * defaults and documentation of every setting. Defaults are those of the
 * Python "UPS Monitor 3.0" script this program succeeds. Pure.
 *
 * @pure
 * @module
 */
import { z } from "../schema/mod.ts";
import { minSamplesProblem } from "./depletion_fit.ts";
import {
  absolutePath,
  count,
  duration,
  finiteNumber,
} from "./schema_fields.ts";
import { httpSchema } from "./schema_http.ts";
import { powerCycleDelayProblem, shutdownSchema } from "./schema_shutdown.ts";
import { mergeTriggers, triggersSchema } from "./schema_triggers.ts";
import { MAX_UPSES, powerSchema, upsSchema } from "./schema_ups.ts";
import { formatEndpoint, parseUpsAddress } from "./ups_address.ts";

export { durationSchema, nutCredentialProblem } from "./schema_fields.ts";
export {
  DEFAULT_KNOWN_HOSTS,
  LOCAL_GRACE_MS,
  STEP_KINDS,
} from "./schema_shutdown.ts";
import { SECRET_MASK } from "./secret.ts";
import { channelKindOf, channelSchema } from "../notify/channel_kinds.ts";

const colorSchema = finiteNumber().int().min(0).max(0xffffff);

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
}).prefault({}).describe(
  "Severity colors of Discord embeds and Slack attachments, as decimal RGB.",
);

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
}).prefault({}).describe(
  "Notifications: Discord, Slack (or Mattermost), Telegram, ntfy and webhook channels.",
);

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

/** The whole configuration file, as written. */
const configFileSchema = z.strictObject({
  ups: z.union([upsSchema, z.array(upsSchema).min(1).max(MAX_UPSES)])
    .describe(
      "The UPS and the NUT server that serves it; a list for a host whose power supplies sit on several UPSes.",
    ),
  power: powerSchema,
  triggers: triggersSchema,
  notifications: notificationsSchema,
  shutdown: shutdownSchema,
  paths: pathsSchema,
  logging: loggingSchema,
  readiness: readinessSchema,
  http: httpSchema,
});

/** The whole configuration file. */
export const configSchema = configFileSchema.transform((file, ctx) => {
  const config = withUpsList(file);
  for (const problem of crossProblems(config, file)) {
    ctx.issues.push({ code: "custom", input: file, ...problem });
  }
  return config;
}).describe("ups-monitor configuration");

/**
 * The config with `ups` as the first UPS and `upses` as all of them, each
 * with its own triggers (the top-level ones under its overrides), and
 * `power.min_supplies` resolved.
 */
function withUpsList(file: z.output<typeof configFileSchema>) {
  const list = upsAsWritten(file);
  const upses = list.map((entry) => ({
    ...entry,
    triggers: mergeTriggers(file.triggers, entry.triggers),
  }));
  const total = upses.reduce((sum, entry) => sum + entry.supplies, 0);
  return {
    ...file,
    ups: upses[0]!,
    upses,
    power: {
      ...file.power,
      "min_supplies": file.power.min_supplies ?? total,
    },
  };
}

/** The UPSes as the file lists them: one mapping is a list of one. */
function upsAsWritten(file: z.output<typeof configFileSchema>) {
  return Array.isArray(file.ups) ? file.ups : [file.ups];
}

/** Problems across sections, each at its key. */
function crossProblems(
  config: ReturnType<typeof withUpsList>,
  file: z.output<typeof configFileSchema>,
): { path: PropertyKey[]; message: string }[] {
  const written = upsAsWritten(file);
  const problems: { path: PropertyKey[]; message: string }[] = [];
  const several = config.upses.length > 1;
  const seen = new Set<string>();
  config.upses.forEach((ups, index) => {
    const at = several ? ["ups", index] : ["ups"];
    // The window and min_samples live in triggers, the poll interval in ups.
    const { depletion } = ups.triggers;
    const problem = minSamplesProblem(depletion.min_samples, {
      windowMs: depletion.window,
      intervalMs: ups.check_interval,
    });
    if (problem !== null) {
      const override = written[index]?.triggers?.["depletion"] !== undefined;
      problems.push({
        path: override
          ? [...at, "triggers", "depletion", "min_samples"]
          : ["triggers", "depletion", "min_samples"],
        message: problem,
      });
    }
    // One UPS however it is spelled: "ups@NAS" and "ups@nas:3493" alike.
    const address = parseUpsAddress(ups.name);
    const key = address.ok
      ? `${address.value.ups}@${formatEndpoint(address.value).toLowerCase()}`
      : ups.name;
    if (seen.has(key)) {
      problems.push({
        path: [...at, "name"],
        message: `"${ups.name}" is listed twice`,
      });
    }
    seen.add(key);
  });
  const total = config.upses.reduce((sum, ups) => sum + ups.supplies, 0);
  if (config.power.min_supplies > total) {
    problems.push({
      path: ["power", "min_supplies"],
      message:
        `${config.power.min_supplies} is more than the ${total} supplies the UPSes feed (the sum of their supplies): the host would shut down at once`,
    });
  }
  if (config.shutdown.power_cycle.enabled && several) {
    problems.push({
      path: ["shutdown", "power_cycle", "enabled"],
      message:
        `the power cycle commands one UPS: with several it would cut the output of "${config.ups.name}" even when another UPS's drain started the shutdown; turn it off, or keep one UPS in the list`,
    });
  }
  // Across steps: the power cycle's delay against the local shutdown's time.
  const delayProblem = powerCycleDelayProblem(config.shutdown);
  if (delayProblem !== null) {
    problems.push({
      path: ["shutdown", "power_cycle", "delay"],
      message: delayProblem,
    });
  }
  return problems;
}

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
  return z.toJSONSchema(configSchema);
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
  for (const ups of config.upses) {
    if (ups.password !== null) secrets.push(ups.password);
  }
  const cycle = config.shutdown.power_cycle;
  if (cycle.password !== null) secrets.push(cycle.password);
  for (const channel of config.notifications.channels) {
    secrets.push(...channelKindOf(channel).secrets());
  }
  return secrets;
}

/** What a secret looks like in printed output: one mask for config, logs and commands. */
export { SECRET_MASK };

export { effectiveConfig, knownKeysAt, unwrap } from "./schema_walk.ts";
