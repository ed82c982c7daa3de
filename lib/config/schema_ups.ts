/**
 * The `ups` section: one UPS as a mapping, or several as a list (servers
 * whose power supplies sit on several UPSes), each with its credentials,
 * NUT role, the supplies it feeds and trigger overrides; and the `power`
 * section that says how many supplies must stay fed. Pure.
 *
 * @pure
 * @module
 */
import { z } from "../schema/mod.ts";
import {
  count,
  duration,
  finiteNumber,
  nutCredential,
  optionalPath,
} from "./schema_fields.ts";
import { triggersSchema } from "./schema_triggers.ts";
import { parseUpsAddress } from "./ups_address.ts";

/** Most UPSes one daemon watches. */
export const MAX_UPSES = 128;

/**
 * The schema with every default removed and every key optional, nested
 * objects included: what an override may say, and nothing it does not say.
 */
function overridesOf(schema: z.Schema): z.Schema {
  const inner = withoutDefault(schema);
  if (!(inner instanceof z.ObjectSchema)) return inner;
  const shape: Record<string, z.Schema> = {};
  for (const [key, field] of Object.entries(inner.shape)) {
    shape[key] = overridesOf(field as z.Schema).optional();
  }
  return z.strictObject(shape);
}

function withoutDefault(schema: z.Schema): z.Schema {
  let inner = schema;
  while (
    inner instanceof z.DefaultSchema || inner instanceof z.PrefaultSchema
  ) {
    inner = inner.unwrap() as z.Schema;
  }
  return inner;
}

const triggerOverridesSchema = overridesOf(triggersSchema) as z.Schema<
  Record<string, unknown>
>;

const upsFields = {
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
  role: z.enum(["secondary", "primary"]).default("secondary").describe(
    'The NUT role of this host for the UPS: secondary (obey FSD; log out right before the local shutdown so the primary stops waiting) or primary (on a trigger, set FSD at upsd so every secondary starts its shutdown, wait up to hostsync for them to log out, then run this host\'s sequence). A primary needs username and a password of a user with "upsmon primary" in upsd.users. Default secondary.',
  ),
  hostsync: duration(
    "Primary only: the longest wait, after setting FSD, for the other clients to log out before this host's own sequence starts (upsmon's HOSTSYNC).",
    "15s",
  ),
  supplies: count(
    "How many of this host's power supplies this UPS feeds (servers with two power supplies on two UPSes).",
    1,
    16,
    1,
  ),
  triggers: triggerOverridesSchema.optional().describe(
    "Triggers of this UPS that differ from the top-level triggers: the same keys, any subset (e.g. {low_battery: 40}). Default none.",
  ),
};

/** One UPS: where it is, how to log in, its role, what it feeds. */
export const upsSchema = z.strictObject(upsFields).superRefine((ups, ctx) => {
  if (ups.role === "primary" && ups.username === null) {
    ctx.addIssue({
      code: "custom",
      path: ["role"],
      message:
        'a primary logs in to set FSD: set username and password (or password_file) of a user with "upsmon primary" in upsd.users',
    });
  }
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

/** The `power` section: what the host needs from its UPSes. */
export const powerSchema = z.strictObject({
  "min_supplies": finiteNumber().int().min(1).max(16 * MAX_UPSES).nullable()
    .default(null).describe(
      "The host runs its shutdown sequence when the power supplies still fed by a safe UPS fall below this (upsmon's MINSUPPLIES). Default null: all of them (the sum of ups[].supplies), so any unsafe UPS shuts the host down.",
    ),
  "unknown_is_unsafe": z.boolean().default(true).describe(
    "With several UPSes: whether a UPS that cannot be read (link lost, or no data from its driver) past ups.max_stale_data_tolerance while its last reading was on line counts as unsafe. A single UPS lost on line never shuts the host down (its fail-safe fires only on battery). Default true.",
  ),
}).prefault({}).describe(
  "Redundant power supplies: how many must stay fed by a safe UPS.",
);
