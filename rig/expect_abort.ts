/**
 * The expectations of an abort before the point of no return: when things
 * happened relative to the steps (`expect.during`), what the rollback
 * restored (`expect.after_rollback`, read back as soon as it ended), and a
 * host where nothing stays down (`side_effects: "restored"`). Data in,
 * checks out.
 *
 * @module
 */
import type { TimedEvent } from "./expect.ts";
import type { Expectations } from "./profile.ts";
import type { RollbackFacts, SideEffectFacts } from "./side_effects.ts";
import { VMS } from "./side_effects.ts";

/** Records one check: whether it held, and what was checked in words. */
export type CheckFn = (ok: boolean, text: string) => void;

/** The rollback facts and when the rig had read them, ms since the start. */
export interface TimedRollbackFacts {
  /** When the reading ended, ms since the start. */
  t: number;
  /** What was read. */
  facts: RollbackFacts;
}

/**
 * Whether the last sequence started has neither completed nor rolled back.
 *
 * @param events The program's events so far, in order.
 * @returns True while a sequence (or its rollback) is still running.
 */
export function sequencePending(
  events: readonly { event: string }[],
): boolean {
  let pending = false;
  for (const { event } of events) {
    if (event === "shutdown.triggered") pending = true;
    if (event === "shutdown.complete" || event === "shutdown.rolled_back") {
      pending = false;
    }
  }
  return pending;
}

/** From the start to the end of the first run of a step, ms. */
function firstRun(
  events: readonly TimedEvent[],
  step: string,
): { start: number; end: number } | null {
  const of = (e: TimedEvent) =>
    e.event === "shutdown.step" && e.fields["step"] === step;
  const start = events.findIndex((e) => of(e) && e.fields["phase"] === "start");
  if (start < 0) return null;
  const end = events.slice(start + 1).find((e) =>
    of(e) && !["start", "skipped"].includes(String(e.fields["phase"]))
  );
  return end ? { start: events[start]!.t, end: end.t } : null;
}

/**
 * Checks that each mark, or every event of a name, fell inside the first
 * run of its step, with at least `remaining` of the step left after it.
 *
 * @param check Records a check.
 * @param during The profile's `expect.during`.
 * @param events The program's events.
 * @param marks When each mark was reached.
 */
export function judgeDuring(
  check: CheckFn,
  during: Expectations["during"],
  events: readonly TimedEvent[],
  marks: Readonly<Record<string, number>>,
): void {
  for (const entry of during) {
    const what = entry.mark !== undefined
      ? `mark "${entry.mark}"`
      : `event "${entry.event}"`;
    const where = `the "${entry.step}" step${
      entry.remaining > 0 ? ` with ${entry.remaining} ms of it left` : ""
    }`;
    const run = firstRun(events, entry.step);
    const times = entry.mark !== undefined
      ? [marks[entry.mark]].filter((t) => t !== undefined)
      : events.filter((e) => e.event === entry.event).map((e) => e.t);
    if (run === null || times.length === 0) {
      check(
        false,
        `Expected ${what} during ${where}, but ${
          run === null ? "the step never ended" : "it never came"
        }`,
      );
      continue;
    }
    const span = `${ms(run.start)}–${ms(run.end)} ms`;
    const outside = times.find((t) =>
      t < run.start || t > run.end - entry.remaining
    );
    check(
      outside === undefined,
      outside === undefined
        ? `${capital(what)} during ${where} (at ${
          times.map(ms).join(", ")
        } ms, step ${span})`
        : `Expected ${what} during ${where} (${span}), but it came at ${
          ms(outside)
        } ms`,
    );
  }
}

/**
 * Checks what the rollback restored, as read back when it ended: the
 * order it undid the steps in, the VMs and the scenario's containers.
 *
 * @param check Records a check.
 * @param expected The profile's `expect.after_rollback`.
 * @param seen The program's events, the facts read then, and whether the
 *   scenario had containers.
 */
export function judgeAfterRollback(
  check: CheckFn,
  expected: NonNullable<Expectations["after_rollback"]>,
  seen: {
    events: readonly TimedEvent[];
    rollback: TimedRollbackFacts | null;
    containersAvailable: boolean;
  },
): void {
  const ended = seen.events.find((e) => e.event === "shutdown.rolled_back");
  if (ended === undefined || seen.rollback === null) {
    check(
      false,
      ended === undefined
        ? "Expected a rollback (shutdown.rolled_back), but none ended"
        : "The rig could not read back the state after the rollback",
    );
    return;
  }
  const { facts, t } = seen.rollback;
  const next = seen.events.find((e) =>
    e.event === "shutdown.triggered" && e.t > ended.t
  );
  check(
    next === undefined || next.t > t,
    next === undefined || next.t > t
      ? `The state after the rollback was read ${ms(t - ended.t)} ms after it`
      : `Expected the state after the rollback read before the next sequence, but it started at ${
        ms(next.t)
      } ms and the reading ended at ${ms(t)} ms`,
  );
  if (expected.steps.length > 0) {
    const undone = seen.events.filter((e) =>
      e.event === "shutdown.rollback" && e.t <= ended.t
    ).map((e) => String(e.fields["step"])).filter((step, i, all) =>
      step !== all[i - 1]
    );
    check(
      undone.join(",") === expected.steps.join(","),
      `Expected the rollback to undo "${
        expected.steps.join(", ")
      }" in order, got "${undone.join(", ")}"`,
    );
  }
  if (expected.vms) judgeVms(check, expected.vms, facts);
  if (expected.containers && seen.containersAvailable) {
    judgeContainers(check, expected.containers, facts);
  }
}

function judgeVms(
  check: CheckFn,
  expected: "restarted" | "untouched",
  facts: RollbackFacts,
) {
  const called = (verb: string, vm: string) =>
    facts.virshCalls.some((c) => c[0] === verb && c.includes(vm));
  const wrong = VMS.filter((vm) =>
    facts.vmStates[vm] !== "running" ||
    (expected === "restarted"
      ? !called("shutdown", vm) || !called("start", vm)
      : called("shutdown", vm) || called("destroy", vm))
  );
  check(
    wrong.length === 0,
    wrong.length === 0
      ? `After the rollback every VM runs, ${
        expected === "restarted"
          ? "each stopped and started again"
          : "none was stopped"
      }: "${VMS.join('", "')}"`
      : `Expected every VM ${expected} after the rollback, but "${
        wrong.join('", "')
      }" not: ${JSON.stringify(facts.vmStates)}, calls ${
        JSON.stringify(facts.virshCalls.filter((c) => c[0] !== "list"))
      }`,
  );
}

function judgeContainers(
  check: CheckFn,
  expected: "restarted" | "untouched",
  facts: RollbackFacts,
) {
  const wrong = facts.containers.filter((c) =>
    !c.running || c.restarted !== (expected === "restarted")
  );
  check(
    facts.containers.length > 0 && wrong.length === 0,
    facts.containers.length > 0 && wrong.length === 0
      ? `After the rollback the scenario's containers run, ${
        expected === "restarted" ? "started again" : "never stopped"
      }: "${facts.containers.map((c) => c.name).join('", "')}"`
      : `Expected the scenario's containers ${expected} after the rollback, got ${
        JSON.stringify(facts.containers)
      }`,
  );
}

/**
 * Checks a host the aborted sequence left as it was: VMs and containers
 * run, the tmpfs mounts are still mounted, neither the NAS nor the
 * power-off was called.
 *
 * @param check Records a check.
 * @param facts What was read back at the end.
 * @param containersAvailable Whether the scenario had containers and the NAS.
 */
export function judgeRestored(
  check: CheckFn,
  facts: SideEffectFacts,
  containersAvailable: boolean,
): void {
  if (containersAvailable) {
    const stopped = [...facts.containers, ...facts.untouched].filter((c) =>
      !c.running
    );
    check(
      facts.containers.length > 0 && stopped.length === 0,
      stopped.length === 0
        ? `Containers run at the end: "${
          [...facts.containers, ...facts.untouched].map((c) => c.name).join(
            '", "',
          )
        }"`
        : `Expected every container running at the end, but "${
          stopped.map((c) => c.name).join('", "')
        }" stopped`,
    );
    const calls = facts.nasCalls ?? [];
    check(
      calls.length === 0,
      calls.length === 0
        ? "The NAS recorded no shutdown"
        : `Expected no shutdown of the NAS, but it recorded "synoshutdown ${
          calls[0]!.args.join(" ")
        }"`,
    );
  }
  const mounted = facts.stillMounted;
  check(
    mounted !== null && mounted.length === 2,
    mounted === null
      ? "Cannot read the program's mount table"
      : mounted.length === 2
      ? `Tmpfs mounts still mounted: "${mounted.join('", "')}"`
      : `Expected the tmpfs mounts still mounted, found only "${
        mounted.join('", "')
      }"`,
  );
  const off = VMS.filter((vm) => facts.vmStates[vm] !== "running");
  check(
    off.length === 0,
    off.length === 0
      ? `VMs run at the end: "${VMS.join('", "')}"`
      : `Expected every VM running at the end, got ${
        JSON.stringify(facts.vmStates)
      }`,
  );
  check(
    !facts.powerOffCalled,
    facts.powerOffCalled
      ? "Expected no power-off, but the power-off stand-in ran"
      : "The power-off stand-in never ran",
  );
}

function ms(t: number): number {
  return Math.round(t);
}

function capital(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
