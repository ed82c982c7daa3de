/**
 * Judges what the scenarios of several UPSes add: an event that must not
 * come before a mark (`expect.absent_before`: no shutdown while one UPS
 * still feeds the host), and bodies the generic webhook channel must
 * receive with their severity and message (`expect.webhook`). Pure: data
 * in, checks out.
 *
 * @module
 */
import type { ReceivedWebhook } from "./fake_discord.ts";

/** Records one check: whether it held and what it says. */
export type CheckFn = (ok: boolean, text: string) => void;

/** An event as judged here: name, time since the start, message. */
export interface JudgedEvent {
  /** Event name. */
  event: string;
  /** ms since the start of the timeline. */
  t: number;
  /** Message. */
  msg: string;
}

/**
 * Checks that no event of a name came before the timeline reached a mark;
 * a mark never reached fails the check (the quiet time was not seen whole).
 *
 * @param check Records the check.
 * @param absentBefore By event name, the mark.
 * @param seen The program's events and the marks reached (ms).
 */
export function judgeAbsentBefore(
  check: CheckFn,
  absentBefore: Readonly<Record<string, string>>,
  seen: {
    events: readonly JudgedEvent[];
    marks: Readonly<Record<string, number>>;
  },
): void {
  for (const [name, mark] of Object.entries(absentBefore)) {
    const at = seen.marks[mark];
    if (at === undefined) {
      check(
        false,
        `Expected no event "${name}" before mark "${mark}", but the timeline never reached it`,
      );
      continue;
    }
    const early = seen.events.find((e) => e.event === name && e.t < at);
    check(
      early === undefined,
      early
        ? `Expected no event "${name}" before mark "${mark}" (${
          Math.round(at)
        } ms), but it came at ${Math.round(early.t)} ms: ${early.msg}`
        : `No event "${name}" before mark "${mark}" (${Math.round(at)} ms)`,
    );
  }
}

/** One body the webhook channel must receive. */
export interface WebhookExpectation {
  /** The event name. */
  event: string;
  /** Its severity, when it matters. */
  severity?: string | undefined;
  /** A regular expression (source) its message must match. */
  message?: string | undefined;
}

/**
 * Checks that the generic webhook channel received, for each expectation,
 * at least one body of that event with that severity whose message matches.
 *
 * @param check Records the check.
 * @param wanted The expectations.
 * @param bodies What the channel received, in order.
 */
export function judgeWebhook(
  check: CheckFn,
  wanted: readonly WebhookExpectation[],
  bodies: readonly ReceivedWebhook[],
): void {
  for (const expected of wanted) {
    const pattern = expected.message === undefined
      ? null
      : new RegExp(expected.message);
    const what = `"${expected.event}"${
      expected.severity ? ` (${expected.severity})` : ""
    }${pattern ? ` with a message matching ${pattern}` : ""}`;
    const sameEvent = bodies.filter((b) => b.event === expected.event);
    const found = sameEvent.find((b) =>
      (expected.severity === undefined || b.severity === expected.severity) &&
      (pattern === null || pattern.test(b.message))
    );
    if (found) {
      check(true, `The webhook channel received ${what}: "${found.message}"`);
    } else {
      check(
        false,
        `Expected the webhook channel to receive ${what}, but ${
          sameEvent.length === 0
            ? "no such event came"
            : `got ${
              sameEvent.map((b) => `${b.severity} "${b.message}"`).join(", ")
            }`
        }`,
      );
    }
  }
}
