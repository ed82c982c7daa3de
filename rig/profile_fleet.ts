/**
 * The fleet part of an outage profile: the stock NUT `upsmon` hosts that run
 * beside upsd (`fleet:`), and what they and the program must do
 * (`expect.fleet`). Moments name what the order checks compare:
 * `upsd.fsd`, `program.<trigger|first_step|logout|complete|STEP>` and
 * `<host>.<login|fsd|shutdowncmd|logout>`.
 *
 * @module
 */
import { z } from "../lib/schema/mod.ts";
import { durationSchema, STEP_KINDS } from "../lib/config/schema.ts";

const duration = durationSchema();

/** Whole seconds, as upsmon.conf takes them. */
const seconds = duration.refine((ms) => ms % 1000 === 0, {
  message: "expected whole seconds (upsmon.conf takes seconds)",
});

/** Names that moments use for other things than fleet hosts. */
const RESERVED = ["program", "upsd"];

const hostName = z.string().regex(/^[a-z][a-z0-9-]*$/, {
  message: "expected a lower-case name such as nut-secondary-1",
}).refine((name) => !RESERVED.includes(name), {
  message: `expected a name other than "${RESERVED.join('" and "')}"`,
});

/** The users of the rig's upsd a stock upsmon may log in as. */
export const FLEET_USERS = ["admin", "mon"] as const;

const hostSchema = z.strictObject({
  name: hostName.describe("The host's name in checks and the report."),
  role: z.enum(["primary", "secondary"]).describe(
    "upsmon's role: primary (sets FSD, waits HOSTSYNC for the others) or secondary.",
  ),
  user: z.enum(FLEET_USERS).optional().describe(
    "The upsd user: admin (upsmon primary) or mon (upsmon secondary). Default: admin for a primary, mon for a secondary.",
  ),
  hostsync: seconds.default(15_000).describe(
    "HOSTSYNC: a primary waits this long for the others to log out. Default 15s.",
  ),
  finaldelay: seconds.default(5000).describe(
    "FINALDELAY: from NOTIFY SHUTDOWN to SHUTDOWNCMD. Default 5s.",
  ),
  shutdown: z.enum(["returns", "hangs"]).default("returns").describe(
    "returns: SHUTDOWNCMD returns, upsmon exits and its login ends; hangs: it never returns, so the host never logs out.",
  ),
});

/** One stock upsmon host as validated; durations are ms. */
export type FleetHost = z.output<typeof hostSchema>;

/** The `fleet:` section: the stock upsmon hosts. */
export const fleetSchema = z.array(hostSchema).default([]).describe(
  "Stock NUT upsmon hosts, each in its own container of the NUT image, logged in to the rig's upsd from their own address. Needs podman or docker.",
);

/** What the program's own moments are called. */
export const PROGRAM_MOMENTS = [
  "trigger",
  "first_step",
  "logout",
  "complete",
  "power_off",
  "fleet",
  ...STEP_KINDS,
] as const;

/** What a host's moments are called. */
export const HOST_MOMENTS = ["login", "fsd", "shutdowncmd", "logout"] as const;

const moment = z.string().regex(/^[a-z][a-z0-9-]*\.[a-z_]+$/, {
  message:
    "expected a moment such as upsd.fsd, program.first_step or host.logout",
});

const regexSource = z.string().min(1).refine((source) => {
  try {
    new RegExp(source.replaceAll(/\{\{[a-z0-9-]+\}\}/g, "x"));
    return true;
  } catch {
    return false; // reported as the issue below
  }
}, { message: "expected a regular expression" });

/** `expect.fleet`: what the fleet and the program must do. */
export const fleetExpectSchema = z.strictObject({
  fsd: z.array(hostName).default([]).describe(
    "Hosts whose upsmon must record NOTIFY FSD or NOTIFY SHUTDOWN.",
  ),
  shutdowncmd: z.array(hostName).default([]).describe(
    "Hosts whose upsmon must run SHUTDOWNCMD.",
  ),
  "logged_out": z.array(hostName).default([]).describe(
    "Hosts whose login at upsd must end during the scenario.",
  ),
  "logged_in": z.array(hostName).default([]).describe(
    "Hosts still logged in at upsd at the end (a SHUTDOWNCMD that hangs).",
  ),
  "gone_at_power_off": z.array(z.string()).default([]).describe(
    "Hosts (program: ups-monitor itself) that upsd no longer lists when the program's power-off command runs: asked by the power-off stand-in itself, so it proves a logout came before the power-off.",
  ),
  order: z.array(z.tuple([moment, moment])).default([]).describe(
    "Pairs [earlier, later] of moments: upsd.fsd; program.trigger, first_step (its first step after the fleet step), logout, power_off (its power-off command ran), complete or a step (its start); HOST.login, fsd, shutdowncmd, logout.",
  ),
  wait: z.strictObject({
    min: duration.default(0).describe("Shortest wait. Default 0."),
    max: duration.describe("Longest wait."),
  }).optional().describe(
    "Bounds of the wait from FSD at upsd to the start of the program's first step after the fleet step.",
  ),
  message: regexSource.optional().describe(
    "A regular expression the fleet step's message must match; {{host}} stands for that host's address ({{program}}: the program's).",
  ),
});

/** `expect.fleet` as validated. */
export type FleetExpectations = z.output<typeof fleetExpectSchema>;

/** What {@linkcode checkFleet} looks at. */
export interface FleetProfileParts {
  fleet: readonly FleetHost[];
  expect: { fleet?: FleetExpectations | undefined };
  faults: readonly string[];
}

/**
 * Problems no schema sees: unknown or repeated host names, moments that do
 * not exist, a `fleet_fsd` fault without a stock primary.
 *
 * @param profile The fleet, its expectations and the timeline's faults.
 * @returns One message per problem, `key.path: message`.
 */
export function checkFleet(profile: FleetProfileParts): string[] {
  const problems: string[] = [];
  const names = profile.fleet.map((host) => host.name);
  for (const [index, name] of names.entries()) {
    if (names.indexOf(name) !== index) {
      problems.push(`fleet.${index}.name: "${name}" is used twice`);
    }
  }
  if (
    profile.faults.includes("fleet_fsd") &&
    !profile.fleet.some((host) => host.role === "primary")
  ) {
    problems.push(
      'timeline: the fault "fleet_fsd" needs a fleet host with role primary',
    );
  }
  const expect = profile.expect.fleet;
  if (expect === undefined) return problems;
  if (names.length === 0) {
    problems.push("expect.fleet: needs a fleet section with hosts");
  }
  for (
    const key of ["fsd", "shutdowncmd", "logged_out", "logged_in"] as const
  ) {
    for (const [index, name] of expect[key].entries()) {
      if (!names.includes(name)) {
        problems.push(
          `expect.fleet.${key}.${index}: no fleet host "${name}"`,
        );
      }
    }
  }
  for (const [index, name] of expect.gone_at_power_off.entries()) {
    if (name !== "program" && !names.includes(name)) {
      problems.push(
        `expect.fleet.gone_at_power_off.${index}: no fleet host "${name}" (or "program")`,
      );
    }
  }
  for (const [index, pair] of expect.order.entries()) {
    for (const [side, text] of pair.entries()) {
      const problem = momentProblem(text, names);
      if (problem) {
        problems.push(`expect.fleet.order.${index}.${side}: ${problem}`);
      }
    }
  }
  for (const name of expect.message?.matchAll(/\{\{([a-z0-9-]+)\}\}/g) ?? []) {
    if (name[1] !== "program" && !names.includes(name[1]!)) {
      problems.push(`expect.fleet.message: no fleet host "${name[1]}"`);
    }
  }
  return problems;
}

/** Why a moment does not exist, or null when it does. */
function momentProblem(text: string, hosts: readonly string[]): string | null {
  const [who, what] = text.split(".") as [string, string];
  if (who === "upsd") {
    return what === "fsd" ? null : `"${text}": upsd has only "upsd.fsd"`;
  }
  if (who === "program") {
    return (PROGRAM_MOMENTS as readonly string[]).includes(what)
      ? null
      : `"${text}": expected program.${PROGRAM_MOMENTS.join("|")}`;
  }
  if (!hosts.includes(who)) return `"${text}": no fleet host "${who}"`;
  return (HOST_MOMENTS as readonly string[]).includes(what)
    ? null
    : `"${text}": expected ${who}.${HOST_MOMENTS.join("|")}`;
}
