/**
 * The parts of an outage profile for a host on several UPSes: the other
 * UPSes (`upses:`, each on a upsd of its own), the UPS a timeline entry acts
 * on (`ups:`), and the expectations their scenarios judge
 * (`expect.absent_before`, `expect.webhook`), with the checks across them.
 *
 * @module
 */
import { z } from "../lib/schema/mod.ts";

/** The name of the profile's first UPS (`ups:`), served by the rig's upsd. */
export const RIG_UPS = "rig";

/** A NUT variable name such as `battery.charge`. */
export const varName = z.string().regex(/^[a-z0-9][a-z0-9._]*$/, {
  message: "expected a NUT variable name such as battery.charge",
});

/** NUT values are strings on the wire; numbers in YAML are accepted. */
export const nutValue = z.union([z.string(), z.number()]).transform(String)
  .refine(
    (value) => /^[\x20-\x7e]*$/.test(value) && !/["\\#]/.test(value),
    { message: 'expected printable ASCII without ", \\ and #' },
  );

/** A UPS's initial values by variable name. */
export const upsValuesSchema = z.record(varName, nutValue);

const upsName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, {
  message: "expected a UPS name of letters, digits, _, . and -",
}).refine((name) => name !== RIG_UPS, {
  message: `expected a name other than "${RIG_UPS}" (the first UPS, ups:)`,
});

/** The `upses:` section: the other UPSes by name. */
export const upsesSchema = z.record(upsName, upsValuesSchema).default({})
  .describe(
    `More UPSes by name, each with its initial values and served by a upsd of its own (so one UPS's link can be lost alone); the program's config lists them after the first ("${RIG_UPS}", ups:). Default none.`,
  );

/** `timeline[].ups`: the UPS a set, ramp or fault acts on. */
export const entryUpsSchema = z.string().optional().describe(
  `The UPS the set, ramp or upsd fault acts on: "${RIG_UPS}" (the default) or a name of upses.`,
);

const regexSource = z.string().min(1).refine((source) => {
  try {
    new RegExp(source);
    return true;
  } catch {
    return false; // reported as the issue
  }
}, { message: "expected a regular expression" });

/** `expect.absent_before`: event names and the mark each may not precede. */
export const absentBeforeSchema = z.record(z.string(), z.string()).default({})
  .describe(
    "By event name, a mark of the timeline: the event must not come before the timeline reaches that mark (e.g. {shutdown.triggered: both-drained}). Default none.",
  );

const webhookExpectSchema = z.strictObject({
  event: z.string().describe("The event name (the body's event)."),
  severity: z.enum(["critical", "warning", "quality", "recovery", "info"])
    .optional().describe("The body's severity."),
  message: regexSource.optional().describe(
    "A regular expression the body's message must match.",
  ),
});

/** `expect.webhook`: bodies the generic webhook channel must receive. */
export const webhookExpectsSchema = z.array(webhookExpectSchema).default([])
  .describe(
    "Notifications the generic webhook channel must receive: for each entry at least one body of that event with that severity whose message matches. Default none.",
  );

/** What the checks of {@linkcode checkUpses} read from a profile. */
export interface UpsesProfileParts {
  /** The other UPSes by name. */
  upses: Record<string, Record<string, string>>;
  /** The timeline entries' target, parts and marks. */
  timeline: readonly {
    ups?: string | undefined;
    set?: unknown;
    ramp?: unknown;
    fault?: string | undefined;
    mark?: string | undefined;
  }[];
  /** The expectations this file adds. */
  expect: { "absent_before": Record<string, string> };
}

/** A problem at a key path of the profile. */
export interface LocatedProblem {
  /** Where: keys and indexes from the top. */
  path: (string | number)[];
  /** What is wrong. */
  message: string;
}

/** Faults that act on no upsd, so on no UPS. */
const NOT_AT_UPSD = ["nas_rekey", "fleet_fsd"];

/**
 * Problems no schema sees: a timeline entry aimed at a UPS the profile does
 * not have or at nothing a UPS does, and `absent_before` marks that do not
 * exist.
 *
 * @param profile The validated parts.
 * @returns The problems, each at its key.
 */
export function checkUpses(profile: UpsesProfileParts): LocatedProblem[] {
  const problems: LocatedProblem[] = [];
  const names = [RIG_UPS, ...Object.keys(profile.upses)];
  const marks = new Set(["start"]);
  for (const [index, entry] of profile.timeline.entries()) {
    if (entry.mark) marks.add(entry.mark);
    if (entry.ups === undefined) continue;
    const path = ["timeline", index, "ups"];
    if (!names.includes(entry.ups)) {
      problems.push({
        path,
        message: `no UPS "${entry.ups}" (UPSes: "${names.join('", "')}")`,
      });
    } else if (entry.fault && NOT_AT_UPSD.includes(entry.fault)) {
      problems.push({
        path,
        message: `the fault "${entry.fault}" acts on no UPS`,
      });
    } else if (!entry.set && !entry.ramp && !entry.fault) {
      problems.push({ path, message: "expected a set, ramp or fault to aim" });
    }
  }
  for (const [event, mark] of Object.entries(profile.expect.absent_before)) {
    if (!marks.has(mark)) {
      problems.push({
        path: ["expect", "absent_before", event],
        message: `no mark "${mark}" in the timeline (marks: "${
          [...marks].join('", "')
        }")`,
      });
    }
  }
  return problems;
}
