/**
 * Outage profiles (`fixtures/profiles/*.yaml`): config overrides, the UPS's
 * initial values, a timeline of values and faults, and what must happen.
 * The schema below is the reference of the format; the loader reports every
 * problem as `FILE:LINE:COL: key.path: message`, as the config loader does.
 *
 * @module
 */
import { errorMessage } from "../lib/errors.ts";
import { basename } from "node:path";
import {
  isMap,
  isNode,
  isScalar,
  LineCounter,
  parseDocument,
} from "../lib/config/yaml.ts";
import type { Document } from "../lib/config/yaml.ts";
import { z } from "../lib/schema/mod.ts";
import { TRIGGERS } from "../lib/power/state.ts";
import { durationSchema, STEP_KINDS } from "../lib/config/schema.ts";
import { checkMarks } from "./profile_marks.ts";
import { fleetExpectSchema, fleetSchema } from "./profile_fleet.ts";
import {
  absentBeforeSchema,
  checkUpses,
  entryUpsSchema,
  nutValue,
  RIG_UPS,
  upsesSchema,
  upsValuesSchema,
  varName,
  webhookExpectsSchema,
} from "./profile_upses.ts";

/**
 * Faults the rig can cause: at upsd (see `NutServer` in `nut_server.ts`),
 * `nas_rekey`, a new host key on the NAS (`Nas.rekey()` in `nas.ts`), and
 * `fleet_fsd`, `upsmon -c fsd` on the fleet's stock primary (`fleet.ts`).
 */
export const FAULTS = [
  "pause",
  "unpause",
  "link_down",
  "link_up",
  "stop_upsd",
  "start_upsd",
  "freeze_driver",
  "thaw_driver",
  "kill_driver",
  "restart_driver",
  "fsd",
  "nas_rekey",
  "fleet_fsd",
] as const;

/** Faults that need the NAS container. */
export const NAS_FAULTS: readonly Fault[] = ["nas_rekey"];

/** A fault of {@linkcode FAULTS}. */
export type Fault = typeof FAULTS[number];

/** A duration: seconds as a number or a string such as `"2s"`; parses to ms. */
const duration = durationSchema();

const rampSchema = z.strictObject({
  var: varName.describe("The variable to ramp."),
  from: z.number().describe("First value."),
  to: z.number().describe("Last value."),
  over: duration.describe("Time from the first to the last value."),
  step: duration.default(1000).describe("Time between two values. Default 1s."),
}).refine((ramp) => ramp.step > 0 && ramp.over >= ramp.step, {
  message: "expected step above 0 and not longer than over",
});

const eventSchema = z.strictObject({
  at: duration.describe("Time from the start of the timeline."),
  set: z.record(varName, nutValue).optional().describe(
    "Variables to SET at upsd, as the admin user.",
  ),
  ramp: rampSchema.optional().describe(
    "A variable moving linearly, expanded into SETs.",
  ),
  fault: z.enum(FAULTS).optional().describe("A fault to cause."),
  ups: entryUpsSchema,
  mark: z.string().regex(/^[a-z][a-z0-9_-]*$/).optional().describe(
    "Names this moment, for expectation windows.",
  ),
}).refine(
  (event) =>
    [event.set, event.ramp, event.fault, event.mark].some((part) =>
      part !== undefined
    ),
  { message: "expected at least one of set, ramp, fault or mark" },
);

const regexSource = z.string().min(1).refine((source) => {
  try {
    new RegExp(source);
    return true;
  } catch {
    return false; // reported as the issue below
  }
}, { message: "expected a regular expression" });

const windowSchema = z.strictObject({
  after: z.string().describe('The mark the window is relative to ("start").'),
  min: duration.default(0).describe("Earliest delay. Default 0."),
  max: duration.describe("Latest delay."),
});

const duringSchema = z.strictObject({
  mark: z.string().optional().describe("A mark of the timeline."),
  event: z.string().optional().describe(
    "An event name: every such event must fall inside the step.",
  ),
  step: z.enum([...STEP_KINDS]).describe(
    "The step whose first run (from its start to its end) holds it.",
  ),
  remaining: duration.default(0).describe(
    "How long the step must still run after it. Default 0.",
  ),
}).refine(
  (entry) => (entry.mark === undefined) !== (entry.event === undefined),
  {
    message: "expected exactly one of mark or event",
  },
);

/** How VMs or containers must be found when the rollback has ended. */
const rollbackState = z.enum(["restarted", "untouched"]);

const afterRollbackSchema = z.strictObject({
  steps: z.array(z.string()).default([]).describe(
    "Steps (ids such as vms, containers, custom.0) the shutdown.rollback events undo, in this order.",
  ),
  vms: rollbackState.optional().describe(
    "restarted: every VM of the stand-in runs and was started again; untouched: every VM runs and was never stopped.",
  ),
  containers: rollbackState.optional().describe(
    "restarted: every container of the scenario runs and was started again; untouched: every one runs and was never stopped. Needs side_effects.",
  ),
});

const expectSchema = z.strictObject({
  trigger: z.enum([...TRIGGERS, "supplies", "none"]).describe(
    "The trigger that must fire (supplies: too few supplies fed by safe UPSes, with upses), or none.",
  ),
  window: windowSchema.optional().describe("When the trigger must fire."),
  steps: z.array(z.enum(["fleet", ...STEP_KINDS])).default([]).describe(
    "Shutdown steps that must end, in this order.",
  ),
  events: z.array(z.string()).default([]).describe(
    "Events the program must log, in this order (others may come between).",
  ),
  "absent_events": z.array(z.string()).default([]).describe(
    "Events the program must not log.",
  ),
  "absent_before": absentBeforeSchema,
  notifications: z.array(z.string()).default([]).describe(
    "Notification kinds (event names) that must arrive, in this order.",
  ),
  webhook: webhookExpectsSchema,
  incident: z.boolean().default(false).describe(
    "The shutdown's steps reach the fake Discord as one incident message (posted with ?wait=true, edited in place) whose final table lists every step that ended, and no step is a Discord message of its own. Independently of it, a request past Discord's rate limit or an edit of an unknown message fails any scenario.",
  ),
  once: z.array(z.string()).default([]).describe(
    "Events the program must log exactly once, each notified exactly once: one notification of that kind at the webhook channel, one embed with the same message at the fake Discord.",
  ),
  messages: z.record(z.string(), regexSource).default({}).describe(
    "By event name, a regular expression that the message of every such event must match; at least one must come.",
  ),
  "upsd_log": z.array(regexSource).default([]).describe(
    "Regular expressions that lines of upsd's output (and its drivers') must match, each at least once, e.g. upsd's \"Instant command: admin@… did load.off on rig\".",
  ),
  "side_effects": z.union([z.boolean(), z.literal("restored")], {
    error: 'expected true, false or "restored"',
  }).default(false)
    .describe(
      'Start real containers and the NAS and check the side effects at the end. true: the whole sequence ran (containers stopped, mounts unmounted, the hung unmount reported, the VM destroyed, the NAS shut down, the power-off called); "restored": it was aborted and nothing stays down (VMs and containers run, mounts still mounted, neither the NAS nor the power-off called).',
    ),
  during: z.array(duringSchema).default([]).describe(
    "Moments that must fall inside the first run of a step: a mark, or every logged event of a name.",
  ),
  "after_rollback": afterRollbackSchema.optional().describe(
    "What the rig reads back as soon as shutdown.rolled_back is logged, before any next sequence.",
  ),
  fleet: fleetExpectSchema.optional().describe(
    "What the stock upsmon hosts of fleet and the program must do, judged from their recordings, upsd's log and its client list.",
  ),
});

/** The schema of a profile file. */
export const profileSchema = z.strictObject({
  description: z.string().min(1).describe("One line: what happens."),
  config: z.record(z.string(), z.unknown()).default({}).describe(
    "Config sections merged over the rig's scenario config.",
  ),
  ups: upsValuesSchema.describe(
    `Initial values of the first UPS, "${RIG_UPS}"; declare every variable the timeline sets.`,
  ),
  upses: upsesSchema,
  nas: z.boolean().default(false).describe(
    'Start the NAS container and configure it as the remote "nas" without checking the other side effects (expect.side_effects starts it too). Needs podman or docker.',
  ),
  fleet: fleetSchema,
  maxage: z.number().int().min(1).default(6).describe(
    "upsd's MAXAGE in seconds. Default 6.",
  ),
  duration: duration.describe(
    "Length of the timeline; the scenario ends then, or once the shutdown sequence is complete.",
  ),
  timeline: z.array(eventSchema).default([]),
  durations: z.record(z.string(), z.array(duration)).default({}).describe(
    "Measured step durations (real runs) by step id, seeded into paths.durations before the program starts: the plan's learned time.",
  ),
  expect: expectSchema,
});

/** A profile as validated; durations are ms. */
export type ProfileData = z.output<typeof profileSchema>;

/** One timeline entry as validated. */
export type TimelineEntry = ProfileData["timeline"][number];

/** What a scenario must produce. */
export type Expectations = ProfileData["expect"];

/**
 * Whether a scenario has real side effects: its own containers and the NAS,
 * checked at the end (such scenarios run one at a time).
 *
 * @param expect The profile's expectations.
 * @returns True for `side_effects: true` or `"restored"`.
 */
export function hasSideEffects(expect: Expectations): boolean {
  return expect.side_effects !== false;
}

/** A loaded profile. */
export interface Profile extends ProfileData {
  /** The scenario's name: the file name without `.yaml`. */
  name: string;
  /** The file it came from. */
  file: string;
}

/** A profile file is unreadable or invalid; the message has one line per problem. */
export class ProfileError extends Error {
  /** Each problem as `FILE:LINE:COL: key.path: message`. */
  readonly problems: string[];

  /**
   * @param problems The problems, at least one.
   * @param options Standard error options (`cause`).
   */
  constructor(problems: string[], options?: ErrorOptions) {
    super(problems.join("\n"), options);
    this.name = "ProfileError";
    this.problems = problems;
  }
}

/** The directory of the scenarios that come with the rig. */
export const PROFILES_DIR =
  new URL("../fixtures/profiles/", import.meta.url).pathname;

/**
 * Parses and validates profile text.
 *
 * @param text The YAML text.
 * @param file Path for messages; its base name is the scenario name.
 * @returns The profile.
 * @throws {ProfileError} With every problem of the text.
 */
export function parseProfile(text: string, file: string): Profile {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ProfileError(doc.errors.map((error) => {
      const { line, col } = lineCounter.linePos(error.pos[0]);
      const first = error.message.split("\n")[0] ?? "";
      return `${file}:${line}:${col}: invalid YAML: ${
        first.replace(/ at line \d+, column \d+:?$/, "")
      }`;
    }));
  }
  const result = profileSchema.safeParse(doc.toJS());
  if (!result.success) {
    throw new ProfileError(result.error.issues.map((issue) => {
      const path = issue.code === "unrecognized_keys"
        ? [...issue.path, issue.keys[0] ?? ""]
        : issue.path;
      const { line, col } = issue.code === "unrecognized_keys"
        ? locateKey(doc, lineCounter, issue.path, issue.keys[0] ?? "")
        : issue.code === "invalid_key"
        ? locateKey(doc, lineCounter, path.slice(0, -1), String(path.at(-1)))
        : locate(doc, lineCounter, path);
      const key = path.map(String).join(".");
      return `${file}:${line}:${col}: ${key ? `${key}: ` : ""}${
        issue.code === "unrecognized_keys"
          ? `unknown key${issue.keys.length > 1 ? "s" : ""} "${
            issue.keys.join('", "')
          }"`
          : issue.code === "invalid_key"
          // A record's key: what its own schema said, not "Invalid key".
          ? issue.issues[0]?.message ?? issue.message
          : issue.message
      }`;
    }));
  }
  const name = basename(file).replace(/\.ya?ml$/, "");
  const problems = [
    ...checkUpses(result.data).map(({ path, message }) => {
      const { line, col } = locate(doc, lineCounter, path);
      return `${file}:${line}:${col}: ${path.join(".")}: ${message}`;
    }),
    ...checkMarks(result.data).map((message) => `${file}: ${message}`),
  ];
  if (problems.length > 0) throw new ProfileError(problems);
  return { ...result.data, name, file };
}

/** The line and column of the node at `path`, or of its nearest ancestor. */
function locate(
  doc: Document,
  lineCounter: LineCounter,
  path: readonly PropertyKey[],
): { line: number; col: number } {
  for (let depth = path.length; depth >= 0; depth--) {
    const node = doc.getIn(path.slice(0, depth) as unknown[], true);
    if (isNode(node) && node.range) return lineCounter.linePos(node.range[0]);
  }
  return { line: 1, col: 1 };
}

/** The line and column of a key in the map at `path`. */
function locateKey(
  doc: Document,
  lineCounter: LineCounter,
  path: readonly PropertyKey[],
  key: string,
): { line: number; col: number } {
  const map = doc.getIn(path as unknown[], true);
  if (isMap(map)) {
    const pair = map.items.find((item) =>
      isScalar(item.key) && item.key.value === key
    );
    if (pair && isScalar(pair.key) && pair.key.range) {
      return lineCounter.linePos(pair.key.range[0]);
    }
  }
  return locate(doc, lineCounter, path);
}

/**
 * Reads and validates a profile file.
 *
 * @param path Path of the YAML file.
 * @returns The profile.
 * @throws {ProfileError} When the file is unreadable or invalid.
 */
export async function loadProfile(path: string): Promise<Profile> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    throw new ProfileError([
      `${path}: cannot read the profile: ${errorMessage(error)}`,
    ], { cause: error });
  }
  return parseProfile(text, path);
}

/**
 * Loads every profile of a directory, sorted by name.
 *
 * @param dir The directory. @default {@linkcode PROFILES_DIR}
 * @returns The profiles.
 * @throws {ProfileError} With the problems of every invalid file.
 */
export async function loadProfiles(dir = PROFILES_DIR): Promise<Profile[]> {
  const files: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (entry.isFile && /\.ya?ml$/.test(entry.name)) {
      files.push(`${dir.replace(/\/$/, "")}/${entry.name}`);
    }
  }
  files.sort();
  const profiles: Profile[] = [];
  const problems: string[] = [];
  for (const file of files) {
    try {
      profiles.push(await loadProfile(file));
    } catch (error) {
      if (!(error instanceof ProfileError)) throw error;
      problems.push(...error.problems);
    }
  }
  if (problems.length > 0) throw new ProfileError(problems);
  return profiles;
}
