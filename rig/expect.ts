/**
 * Judges a scenario: what the program logged, what the notification
 * channels received and what really happened, against the profile's
 * expectations. Data in, verdict out; the first failed check is the one a
 * person reads.
 *
 * @module
 */
import type {
  ReceivedEmbed,
  ReceivedIncident,
  ReceivedWebhook,
} from "./fake_discord.ts";
import { judgeIncident } from "./expect_incident.ts";
import type { Expectations } from "./profile.ts";
import type { SideEffectFacts } from "./side_effects.ts";
import { judgeFacts } from "./expect_side_effects.ts";
import {
  judgeAfterRollback,
  judgeDuring,
  judgeRestored,
  type TimedRollbackFacts,
} from "./expect_abort.ts";
import { type FleetFacts, judgeFleet } from "./expect_fleet.ts";
import { judgeAbsentBefore, judgeWebhook } from "./expect_upses.ts";

/** An event of the program, its time relative to the scenario's start. */
export interface TimedEvent {
  /** ms since the start of the timeline. */
  t: number;
  /** Event name. */
  event: string;
  /** Message. */
  msg: string;
  /** The event's fields. */
  fields: Record<string, unknown>;
  /** When the program logged it by its own `ts` (ms resolution), ms since the start. */
  loggedT?: number;
}

/** Everything observed during one scenario. */
export interface Observation {
  /** The program's events, in order. */
  events: TimedEvent[];
  /** When each mark was reached, ms since the start. */
  marks: Record<string, number>;
  /** Kinds (event names) the webhook channel received, in order. */
  notifications: string[];
  /** The webhook channel's bodies, in order. @default [] */
  webhookBodies?: ReceivedWebhook[];
  /** Discord limits the fake Discord saw broken. */
  discordProblems: string[];
  /** The embeds the fake Discord received, in order. */
  discordEmbeds: ReceivedEmbed[];
  /** The incident messages the fake Discord keeps. @default [] */
  discordIncidents?: ReceivedIncident[];
  /** Timeline actions that failed, in words. */
  timelineErrors: string[];
  /** Real side effects, when the profile checks them. */
  facts: SideEffectFacts | null;
  /** VMs and containers as read when a rollback ended. @default null */
  rollback?: TimedRollbackFacts | null;
  /** Whether containers and the NAS were available (not native). */
  containersAvailable: boolean;
  /** Only the trigger and its window are judged (a user's own config). */
  rehearsal: boolean;
  /** What upsd and its drivers printed during the scenario. */
  upsdLog: string;
  /** The fleet of stock upsmon hosts, read back. @default null */
  fleet?: FleetFacts | null;
}

/** One judged expectation. */
export interface Check {
  /** Whether it held. */
  ok: boolean;
  /** What was checked, or what went wrong, in words. */
  text: string;
}

/** The trigger as it fired. */
export interface FiredTrigger {
  /** Trigger name, e.g. `low_charge`. */
  name: string;
  /** The program's message with the numbers. */
  message: string;
  /** ms since the start. */
  t: number;
  /** The mark the delay is measured from. */
  mark: string;
  /** ms from the mark to the trigger. */
  delayMs: number;
}

/** A step of the shutdown sequence as it ended. */
export interface StepResult {
  /** Step id, e.g. `filesystems`. */
  step: string;
  /** `done`, `failed`, `timeout`. */
  phase: string;
  /** Its duration, ms. */
  durationMs: number;
  /** The program's details, e.g. why it failed. */
  details: string;
}

/** The verdict on one scenario. */
export interface Verdict {
  /** Every check held. */
  passed: boolean;
  /** Every check, in the order judged. */
  checks: Check[];
  /** The first failed check's text. */
  firstFailure: string | null;
  /** The trigger that fired, if any. */
  trigger: FiredTrigger | null;
  /** The steps that ended, in order. */
  steps: StepResult[];
}

/**
 * Judges one scenario.
 *
 * @param expect The profile's expectations.
 * @param seen What was observed.
 * @returns The verdict.
 */
export function judge(expect: Expectations, seen: Observation): Verdict {
  const checks: Check[] = [];
  const check = (ok: boolean, text: string) => checks.push({ ok, text });
  for (const error of seen.timelineErrors) {
    check(false, `The rig could not play its timeline: ${error}`);
  }
  const fired = seen.events.find((e) => e.event === "shutdown.triggered");
  const mark = expect.window?.after ?? "start";
  const trigger: FiredTrigger | null = fired
    ? {
      name: String(fired.fields["reason"] ?? ""),
      message: fired.msg,
      t: fired.t,
      mark,
      delayMs: Math.round(fired.t - (seen.marks[mark] ?? 0)),
    }
    : null;
  if (expect.trigger === "none") {
    check(
      trigger === null,
      trigger === null
        ? "No shutdown was triggered"
        : `Expected no shutdown, but "${trigger.name}" fired: ${trigger.message}`,
    );
  } else if (trigger === null) {
    check(false, `Expected trigger "${expect.trigger}", but none fired`);
  } else {
    check(
      trigger.name === expect.trigger,
      trigger.name === expect.trigger
        ? `Trigger "${trigger.name}" fired`
        : `Expected trigger "${expect.trigger}", but "${trigger.name}" fired: ${trigger.message}`,
    );
    const window = expect.window;
    if (window) {
      const at = seen.marks[window.after];
      if (at === undefined) {
        check(false, `The timeline never reached mark "${window.after}"`);
      } else {
        const ok = trigger.delayMs >= window.min &&
          trigger.delayMs <= window.max;
        check(
          ok,
          `${
            ok ? "Trigger" : "Expected the trigger"
          } ${trigger.delayMs} ms after "${window.after}" (window ${window.min}–${window.max} ms)`,
        );
      }
    }
  }
  const steps = endedSteps(seen.events);
  if (seen.rehearsal) return verdict(checks, trigger, steps);

  const expectedSteps = expect.steps.filter((step) =>
    seen.containersAvailable || (step !== "containers" && step !== "remotes")
  );
  const order = steps.map((s) => s.step).filter((s) =>
    (expectedSteps as string[]).includes(s)
  );
  if (expectedSteps.length > 0 || steps.length > 0) {
    check(
      order.join(",") === expectedSteps.join(","),
      `Expected steps "${expectedSteps.join(", ")}" in order, got "${
        order.join(", ")
      }"`,
    );
  }
  subsequence(
    check,
    "event",
    expect.events,
    seen.events.map((e) => e.event),
  );
  for (const name of expect.absent_events) {
    const found = seen.events.find((e) => e.event === name);
    check(
      !found,
      found
        ? `Expected no event "${name}", but it came: ${found.msg}`
        : `No event "${name}"`,
    );
  }
  judgeAbsentBefore(check, expect.absent_before, seen);
  subsequence(check, "notification", expect.notifications, seen.notifications);
  judgeWebhook(check, expect.webhook, seen.webhookBodies ?? []);
  for (const name of expect.once) exactlyOnce(check, name, seen);
  for (const [name, source] of Object.entries(expect.messages)) {
    matchingMessages(check, name, new RegExp(source), seen.events);
  }
  for (const source of expect.upsd_log) {
    const pattern = new RegExp(source);
    const line = seen.upsdLog.split("\n").find((l) => pattern.test(l));
    check(
      line !== undefined,
      line === undefined
        ? `Expected upsd to log a line matching ${pattern}, but it did not`
        : `upsd logged "${line.trim()}"`,
    );
  }
  for (const problem of seen.discordProblems) {
    check(
      false,
      `The fake Discord received a request beyond Discord's limits: ${problem}`,
    );
  }
  if (expect.incident) {
    judgeIncident(check, {
      events: seen.events,
      incidents: seen.discordIncidents ?? [],
      embeds: seen.discordEmbeds,
    });
  }
  judgeDuring(check, expect.during, seen.events, seen.marks);
  if (expect.fleet) {
    judgeFleet(check, expect.fleet, seen.fleet ?? null, seen.events);
  }
  if (expect.after_rollback) {
    judgeAfterRollback(check, expect.after_rollback, {
      ...seen,
      rollback: seen.rollback ?? null,
    });
  }
  if (expect.side_effects) {
    if (seen.facts === null) {
      check(false, "The side effects could not be read back");
    } else if (expect.side_effects === "restored") {
      judgeRestored(check, seen.facts, seen.containersAvailable);
    } else {
      judgeFacts(check, seen.facts, seen.events, seen.containersAvailable);
    }
  }
  return verdict(checks, trigger, steps);
}

function verdict(
  checks: Check[],
  trigger: FiredTrigger | null,
  steps: StepResult[],
): Verdict {
  const failed = checks.find((c) => !c.ok);
  return {
    passed: failed === undefined,
    checks,
    firstFailure: failed?.text ?? null,
    trigger,
    steps,
  };
}

/** The steps that ended (not started or skipped), from the program's log. */
export function endedSteps(events: readonly TimedEvent[]): StepResult[] {
  return events.filter((e) =>
    e.event === "shutdown.step" &&
    !["start", "skipped"].includes(String(e.fields["phase"]))
  ).map((e) => ({
    step: String(e.fields["step"]),
    phase: String(e.fields["phase"]),
    durationMs: Number(e.fields["duration_ms"] ?? 0),
    details: String(e.fields["details"] ?? e.msg),
  }));
}

/** Checks that `wanted` occurs in `seen` in order, others between. */
function subsequence(
  check: (ok: boolean, text: string) => void,
  what: string,
  wanted: readonly string[],
  seen: readonly string[],
) {
  let index = 0;
  for (const [i, name] of wanted.entries()) {
    const found = seen.indexOf(name, index);
    if (found < 0) {
      const before = i === 0 ? "" : ` after "${wanted[i - 1]}"`;
      check(
        false,
        `Expected ${what} "${name}"${before}, but it never came (seen: "${
          [...new Set(seen)].join('", "')
        }")`,
      );
      return;
    }
    index = found + 1;
  }
  if (wanted.length > 0) {
    check(true, `${capital(what)}s in order: "${wanted.join('", "')}"`);
  }
}

/** The event came once, and so did its notification at both channels. */
function exactlyOnce(
  check: (ok: boolean, text: string) => void,
  name: string,
  seen: Observation,
) {
  const logged = seen.events.filter((e) => e.event === name);
  const messages = new Set(logged.map((e) => e.msg));
  const counts = {
    logged: logged.length,
    webhook: seen.notifications.filter((kind) => kind === name).length,
    discord: seen.discordEmbeds.filter((e) => messages.has(e.description))
      .length,
  };
  const ok = Object.values(counts).every((count) => count === 1);
  check(
    ok,
    ok
      ? `Exactly one "${name}": logged once, notified once at the webhook channel and once at the fake Discord`
      : `Expected exactly one "${name}", but it was logged ${
        times(counts.logged)
      }, notified ${times(counts.webhook)} at the webhook channel and ${
        times(counts.discord)
      } at the fake Discord${
        logged.length > 0
          ? ` (messages: "${logged.map((e) => e.msg).join('", "')}")`
          : ""
      }`,
  );
}

/** Every event of that name came with a message matching the pattern. */
function matchingMessages(
  check: (ok: boolean, text: string) => void,
  name: string,
  pattern: RegExp,
  events: readonly TimedEvent[],
) {
  const logged = events.filter((e) => e.event === name);
  const wrong = logged.find((e) => !pattern.test(e.msg));
  check(
    logged.length > 0 && wrong === undefined,
    logged.length === 0
      ? `Expected event "${name}" with a message matching ${pattern}, but it never came`
      : wrong
      ? `Expected the message of "${name}" to match ${pattern}, got "${wrong.msg}"`
      : `The message of "${name}" matches ${pattern}: "${logged[0]!.msg}"`,
  );
}

function times(count: number): string {
  return count === 1 ? "once" : `${count} times`;
}

function capital(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
