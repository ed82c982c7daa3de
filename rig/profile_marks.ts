/**
 * The marks of an outage profile: every mark an expectation refers to must
 * be set by the timeline (or be `start`).
 *
 * @module
 */
import { hasSideEffects, NAS_FAULTS, type ProfileData } from "./profile.ts";
import { checkFleet } from "./profile_fleet.ts";

/**
 * Problems no schema sees: a mark an expectation names that the timeline
 * does not set.
 *
 * @param profile A profile the schema accepted.
 * @returns One message per problem.
 */
export function checkMarks(profile: ProfileData): string[] {
  const marks = new Set(["start"]);
  for (const entry of profile.timeline) if (entry.mark) marks.add(entry.mark);
  const problems: string[] = [];
  const after = profile.expect.window?.after;
  if (after !== undefined && !marks.has(after)) {
    problems.push(
      `expect.window.after: no mark "${after}" in the timeline (marks: "${
        [...marks].join('", "')
      }")`,
    );
  }
  if (profile.expect.trigger === "none" && profile.expect.window) {
    problems.push("expect.window: a window needs a trigger other than none");
  }
  for (const [index, entry] of profile.expect.during.entries()) {
    if (entry.mark !== undefined && !marks.has(entry.mark)) {
      problems.push(
        `expect.during.${index}.mark: no mark "${entry.mark}" in the timeline`,
      );
    }
  }
  if (
    profile.expect.after_rollback?.containers !== undefined &&
    !hasSideEffects(profile.expect)
  ) {
    problems.push(
      "expect.after_rollback.containers: the scenario's containers need side_effects",
    );
  }
  const withNas = profile.nas || hasSideEffects(profile.expect);
  for (const [index, entry] of profile.timeline.entries()) {
    if (entry.fault && NAS_FAULTS.includes(entry.fault) && !withNas) {
      problems.push(
        `timeline.${index}.fault: "${entry.fault}" needs the NAS: set nas: true`,
      );
    }
  }
  problems.push(...checkFleet({
    ...profile,
    faults: profile.timeline.flatMap((entry) => entry.fault ?? []),
  }));
  return problems;
}
