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
import { formatDuration, parseDuration } from "./duration.ts";
import { sshNameProblem } from "./ssh_name.ts";
import { parseUpsAddress } from "./ups_address.ts";
import { maskSecrets, SECRET_MASK } from "./secret.ts";
import { channelKindOf, channelSchema } from "../notify/channel_kinds.ts";

/**
 * A duration: seconds as a number, or a string with units (`"90s"`, `"15m"`).
 * Parses to milliseconds; also used by the rig's outage profiles.
 *
 * @returns The schema.
 */
export function durationSchema() {
  return z.union([z.number(), z.string()], {
    // YAML reads 1e400 as Infinity, which is a number but no duration.
    error: (issue) =>
      `expected a duration such as 90, "90s" or "15m"${
        typeof issue.input === "number" ? `, got ${issue.input}` : ""
      }`,
  }).transform((value, ctx) => {
    const ms = parseDuration(value);
    if (ms === null) {
      ctx.issues.push({
        code: "custom",
        input: value,
        message: `expected a duration such as 90, "90s" or "15m", got ${
          JSON.stringify(value)
        }`,
      });
      return z.NEVER;
    }
    return ms;
  });
}

/** A config duration with its default (parsed like a written value) and help text. */
/** Longest duration a timer can wait (setTimeout's limit), ms. */
const MAX_DURATION_MS = 2 ** 31 - 1;

/**
 * A config duration with its default (parsed like a written value) and help
 * text. Timeouts and intervals must be above zero (a zero timeout would make
 * every call fail, a zero interval a busy loop); `zero` allows 0 for waits
 * and grace periods.
 */
function duration(
  description: string,
  fallback: string,
  options: { zero?: boolean } = {},
) {
  return durationSchema()
    .refine((ms) => options.zero ? ms >= 0 : ms > 0, {
      message: "expected a duration above 0",
    })
    .refine((ms) => ms <= MAX_DURATION_MS, {
      message: "expected a duration of at most 24 days",
    })
    .prefault(fallback)
    .describe(`${description} Default ${fallback}.`);
}

function absolutePath(description: string) {
  return z.string().refine((p) => p.startsWith("/"), {
    message: 'expected an absolute path (starting with "/")',
  }).describe(description);
}

/**
 * A number of the config. YAML reads `1e400` as Infinity and `.nan` as NaN:
 * numbers to YAML, but no setting means them, and zod's own words for them
 * ("expected number, received Infinity") read as a contradiction.
 *
 * @returns The schema, to refine further (`.int()`, `.min()`).
 */
function finiteNumber() {
  return z.number({
    error: (issue) =>
      issue.code === "invalid_type" && typeof issue.input === "number"
        ? `expected a finite number, got ${issue.input}`
        : undefined,
  });
}

function count(
  description: string,
  min: number,
  max: number,
  fallback: number,
) {
  return finiteNumber().int().min(min).max(max).default(fallback)
    .describe(`${description} Default ${fallback}.`);
}

function optionalPath(description: string) {
  const text = description.includes("Default")
    ? description
    : `${description} Default none.`;
  return absolutePath(description).nullable().default(null).describe(text);
}

/** Longest word upsd keeps (`common/parseconf.c` truncates longer ones). */
const MAX_NUT_WORD = 512;

/**
 * What is wrong with a NUT user name or password, in a message that never
 * holds the value: upsd drops characters outside printable ASCII (NUT.md
 * 2.3), so such a credential could never log in.
 *
 * @param value The user name or password.
 * @returns The problem, or `null` when upsd can take the value.
 */
export function nutCredentialProblem(value: string): string | null {
  if (value === "") return "must not be empty";
  if (!/^[\x20-\x7e]*$/.test(value)) {
    return "expected printable ASCII only (upsd drops control and non-ASCII characters)";
  }
  if (value.length > MAX_NUT_WORD) {
    return `expected at most ${MAX_NUT_WORD} characters (upsd cuts longer words)`;
  }
  return null;
}

function nutCredential() {
  return z.string().superRefine((value, ctx) => {
    const problem = nutCredentialProblem(value);
    if (problem !== null) ctx.addIssue({ code: "custom", message: problem });
  });
}

const colorSchema = finiteNumber().int().min(0).max(0xffffff);

/** Step kinds of the shutdown sequence, in their fixed order. */
export const STEP_KINDS = [
  "vms",
  "containers",
  "sync",
  "filesystems",
  "remotes",
  "local",
] as const;

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

const triggersSchema = z.strictObject({
  "low_battery": finiteNumber().min(0).max(100).default(20).describe(
    "Shut down when the battery charge (%) on battery falls below this. Default 20.",
  ),
  "critical_runtime": duration(
    "Shut down when the runtime the UPS reports on battery falls below this.",
    "10m",
  ),
  "persistence_polls": count(
    "Consecutive polls a charge or runtime condition must hold before it triggers (one odd sample never shuts down).",
    1,
    100,
    3,
  ),
  "obey_fsd_at_start": z.boolean().default(false).describe(
    "Obey an FSD flag already latched in upsd when the monitor starts while the UPS is on line power. Off by default, so a host does not boot into its own shutdown. Default false.",
  ),
  depletion: z.strictObject({
    "critical_rate": finiteNumber().positive().default(15).describe(
      "Shut down when the charge falls faster than this many %/min. Default 15.",
    ),
    window: duration(
      "Span of battery history the rate is computed over.",
      "5m",
    ),
    "grace_period": duration(
      "Time on battery before the depletion rate is trusted.",
      "90s",
      { zero: true },
    ),
    "min_samples": count(
      "Readings in the window needed before the rate is trusted; at most window / ups.check_interval + 1 (a config error otherwise).",
      2,
      100_000,
      30,
    ),
  }).prefault({}).describe("The depletion-rate trigger."),
  "extended_time": z.strictObject({
    enabled: z.boolean().default(true).describe(
      "Shut down after a fixed time on battery, whatever the battery says. Default true.",
    ),
    after: duration("Time on battery after which to shut down.", "15m"),
  }).prefault({}).describe(
    "The safety net against wrong battery estimates and worn batteries.",
  ),
  voltage: z.strictObject({
    brownout: finiteNumber().positive().nullable().default(null).describe(
      "Input voltage (V) below which a brownout is reported. Default: nominal - margin, kept inside input.transfer.low/high.",
    ),
    overvoltage: finiteNumber().positive().nullable().default(null).describe(
      "Input voltage (V) above which over-voltage is reported. Default: nominal + margin, kept inside input.transfer.low/high.",
    ),
    "margin_percent": finiteNumber().min(1).max(50).default(10).describe(
      "Margin around the nominal voltage for the derived thresholds, in %. Default 10.",
    ),
  }).prefault({}).describe(
    "Power-quality warnings (no shutdown): thresholds for brownout and over-voltage.",
  ),
}).prefault({}).describe(
  "When to shut down (first match wins) and what to warn about.",
);

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

const labelsAndNames = z.strictObject({
  names: z.array(z.string().min(1)).default([]).describe(
    'Container names; "*" matches any characters.',
  ),
  labels: z.array(z.string().min(1)).default([]).describe(
    "Labels as key or key=value.",
  ),
}).prefault({});

const mountSchema = z.strictObject({
  path: absolutePath("Mount point to unmount."),
  lazy: z.boolean().default(false).describe(
    "Detach now, clean up later (umount -l). Default false.",
  ),
  force: z.boolean().default(false).describe(
    "Force, for unreachable NFS (umount -f). Default false.",
  ),
});

/**
 * Where a remote's host key is looked up unless `known_hosts` says otherwise:
 * this program's own file, then root's, where users of the old script (whose
 * ssh recorded keys on first contact) already have it.
 */
export const DEFAULT_KNOWN_HOSTS = [
  "/etc/ups-monitor/known_hosts",
  "/root/.ssh/known_hosts",
] as const;

/** One known_hosts path: ssh separates the files of its list by whitespace. */
function knownHostsPath() {
  return absolutePath("A known_hosts file.").refine((p) => !/\s/.test(p), {
    message:
      "expected a path without whitespace (ssh separates known_hosts files by spaces)",
  });
}

/** A host or user for ssh: refused at load time, not first in an outage. */
function sshName() {
  return z.string().min(1).superRefine((value, ctx) => {
    const problem = sshNameProblem(value);
    if (problem !== null) ctx.addIssue({ code: "custom", message: problem });
  });
}

const remoteSchema = z.strictObject({
  name: z.string().min(1).optional().describe(
    "Label in logs. Default: the host.",
  ),
  enabled: z.boolean().default(true).describe("Default true."),
  host: sshName().describe(
    "Host name or address of the machine to shut down.",
  ),
  user: sshName().describe("SSH user (key authentication only)."),
  port: finiteNumber().int().min(1).max(65535).default(22).describe(
    "SSH port. Default 22.",
  ),
  "identity_file": optionalPath(
    "Private key for this host. Default: ssh's own.",
  ),
  "known_hosts": z.union([knownHostsPath(), z.array(knownHostsPath()).min(1)], {
    error: "expected a path or a list of paths",
  }).default([...DEFAULT_KNOWN_HOSTS])
    .transform((value) => typeof value === "string" ? [value] : value)
    .describe(
      `known_hosts file, or list of files, holding this host's key; ssh accepts a key found in any of them, and accept-new records a first key in the first. Default ${
        DEFAULT_KNOWN_HOSTS.join(" and ")
      } (where ssh of the old script recorded it).`,
    ),
  "host_key_policy": z.enum(["strict", "accept-new", "off"]).default("strict")
    .describe(
      "strict: the key must be in known_hosts; accept-new: trust a first key; off: no checking (logged loudly). Default strict.",
    ),
  command: z.array(z.string().min(1)).min(1)
    .default(["sudo", "-n", "/usr/syno/sbin/synoshutdown", "-s"])
    .describe(
      "Command run on the remote host, one word per item. Default the Synology shutdown.",
    ),
  "connect_timeout": duration("SSH connect timeout.", "10s"),
  timeout: duration("Bound of the whole SSH call.", "30s"),
});

const customStepSchema = z.strictObject({
  name: z.string().min(1).describe("Label in logs and notifications."),
  enabled: z.boolean().default(true).describe("Default true."),
  after: z.enum(["start", ...STEP_KINDS.filter((k) => k !== "local")]).describe(
    "Run after this step (start: before all others); custom steps always run before the local shutdown.",
  ),
  command: z.array(z.string().min(1)).min(1).describe(
    "Program and arguments, one word per item.",
  ),
  timeout: duration("Bound of the command.", "30s"),
});

const shutdownSchema = z.strictObject({
  "dry_run": z.boolean().default(false).describe(
    "Rehearse: log every action with [DRY-RUN] instead of running it. Default false.",
  ),
  "rearm_after": duration(
    "After a dry-run sequence, time back on line power before the monitor re-arms.",
    "60s",
    { zero: true },
  ),
  vms: z.strictObject({
    enabled: z.boolean().default(true).describe("Default true."),
    "max_wait": duration(
      "Time VMs get to shut down before they are destroyed.",
      "30s",
      { zero: true },
    ),
    "libvirt_uri": z.string().min(1).nullable().default(null).describe(
      "libvirt connection URI (virsh -c). Default: virsh's own.",
    ),
    timeout: duration("Bound of each virsh call.", "10s"),
  }).prefault({}).describe("Shut down libvirt VMs."),
  containers: z.strictObject({
    enabled: z.boolean().default(true).describe("Default true."),
    engine: z.enum(["auto", "docker", "podman"]).default("auto").describe(
      "Container engine; auto uses docker, else podman. Default auto.",
    ),
    "stop_timeout": duration(
      "Time containers get to stop before they are killed.",
      "10s",
    ),
    timeout: duration("Bound of each engine call.", "60s"),
    include: labelsAndNames.describe(
      "Stop only containers matching these names or labels. Default: all running containers.",
    ),
    exclude: labelsAndNames.describe(
      "Never stop these (e.g. the NUT server or this monitor). Wins over include.",
    ),
  }).prefault({}).describe("Stop docker or podman containers."),
  sync: z.strictObject({
    enabled: z.boolean().default(true).describe("Default true."),
    timeout: duration(
      "Bound of sync; a sync stuck on a dead mount is abandoned.",
      "30s",
    ),
  }).prefault({}).describe("Flush file system buffers."),
  filesystems: z.strictObject({
    enabled: z.boolean().default(true).describe("Default true."),
    timeout: duration("Bound of each unmount.", "15s"),
    mounts: z.array(mountSchema).default([]).describe(
      "Mounts to unmount, in order. Default none.",
    ),
  }).prefault({}).describe("Unmount file systems."),
  remotes: z.array(remoteSchema).default([]).describe(
    "Machines (e.g. a Synology NAS) shut down over SSH, in parallel. Default none.",
  ),
  local: z.strictObject({
    enabled: z.boolean().default(true).describe("Default true."),
    command: z.array(z.string().min(1)).min(1).default([
      "shutdown",
      "-h",
      "now",
    ])
      .describe("Command that powers this host off. Default shutdown -h now."),
    timeout: duration("Bound of the command.", "30s"),
  }).prefault({}).describe("Shut down this host, always last."),
  custom: z.array(customStepSchema).default([]).describe(
    "Extra command steps, placed with after. Default none.",
  ),
}).prefault({}).describe(
  "The shutdown sequence: VMs, containers, sync, unmounts, remotes, this host.",
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
