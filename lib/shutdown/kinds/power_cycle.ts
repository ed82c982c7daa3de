/**
 * The UPS power cycle, pure side: killpower over the network. The last step
 * before the local shutdown asks the UPS, through upsd, to cut its output
 * after a delay and restore it when mains returns, so a host that powered
 * off during an outage boots again even when mains came back before the
 * battery ran out (the NUT "power race", shared/NUT.md §4). Also how the
 * step reads `ups.timer.shutdown` afterwards.
 *
 * @module
 * @pure
 */
import { formatDuration } from "../../config/duration.ts";
import { formatEndpoint, parseUpsAddress } from "../../config/ups_address.ts";
import { plannedStep, type PureStepKind } from "./kind.ts";

/** How long the step watches `ups.timer.shutdown` after the command, ms. */
export const TIMER_WATCH_MS = 5000;

/** Time between two reads of `ups.timer.shutdown`, ms. */
export const TIMER_POLL_MS = 1000;

/** How long a new `ups.delay.shutdown` may take to show, ms. */
export const APPLY_WAIT_MS = 3000;

/**
 * A step timeout below this leaves too little time to set the delay, send
 * the command and watch the timer, ms.
 */
export const MIN_USEFUL_TIMEOUT_MS = 10_000;

/** The variable a UPS counts its pending output cut down in, in s. */
export const SHUTDOWN_TIMER = "ups.timer.shutdown";

/** The variable that sets the time from the command to the cut, in s. */
export const SHUTDOWN_DELAY = "ups.delay.shutdown";

/**
 * The configured delay as `ups.delay.shutdown` takes it: whole seconds,
 * rounded up so the UPS never waits less than configured.
 *
 * @param delayMs `shutdown.power_cycle.delay`, ms.
 * @returns Seconds.
 */
export function delaySeconds(delayMs: number): number {
  return Math.ceil(delayMs / 1000);
}

/** What the reads of `ups.timer.shutdown` after the command showed. */
export type TimerVerdict =
  | {
    /** A later reading was lower: the UPS is counting down to the cut. */
    kind: "counting";
    /** The last reading: seconds until the UPS cuts its output. */
    seconds: number;
  }
  | {
    /** The UPS does not have the variable: the cut cannot be verified. */
    kind: "absent";
  }
  | {
    /** Present but not counting down: the UPS may ignore the command. */
    kind: "static";
    /** The last value read. */
    value: string;
  };

/**
 * Judges the reads of `ups.timer.shutdown` so far. Drivers report `-1` (or
 * `0`) while no cut is pending and count down once one is; a value that is
 * not a number never counts.
 *
 * @param readings Each read's value in order; null when the UPS answered
 *   that it has no such variable. Failed reads are left out.
 * @returns Counting as soon as a reading at or above 0 is below an earlier
 *   one; absent when no read found the variable; static otherwise.
 */
export function timerVerdict(
  readings: readonly (string | null)[],
): TimerVerdict {
  const present = readings.filter((value) => value !== null);
  const last = present.at(-1);
  if (last === undefined) return { kind: "absent" };
  let highest = -Infinity;
  for (const value of present) {
    const seconds = value.trim() === "" ? NaN : Number(value);
    if (!Number.isFinite(seconds)) continue;
    if (seconds >= 0 && seconds < highest) return { kind: "counting", seconds };
    highest = Math.max(highest, seconds);
  }
  return { kind: "static", value: last };
}

/** Asks the UPS to cut its output after a delay and restore it later. */
export const powerCycleKind: PureStepKind = {
  // Once the UPS counts down, nothing here can stop it.
  reversible: false,
  plan(config, graceMs) {
    const cycle = config.shutdown.power_cycle;
    const address = parseUpsAddress(config.ups.name);
    const ups = address.ok ? address.value.ups : config.ups.name;
    const where = address.ok ? formatEndpoint(address.value) : "";
    const dry = config.shutdown.dry_run ? " (dry-run: logged, not sent)" : "";
    const step = plannedStep(
      {
        id: "power_cycle",
        kind: "power_cycle",
        title: "UPS power cycle",
        enabled: cycle.enabled,
      },
      {
        worstCaseMs: cycle.timeout + graceMs,
        details: [
          `SET VAR ${ups} ${SHUTDOWN_DELAY} "${
            delaySeconds(cycle.delay)
          }" when the UPS has it and it differs${dry}`,
          `INSTCMD ${ups} ${cycle.command} at upsd "${where}" as "${
            cycle.username ?? ""
          }"${dry}, then watch ${SHUTDOWN_TIMER} for ${
            formatDuration(TIMER_WATCH_MS)
          }`,
          `The UPS cuts its output ${
            formatDuration(cycle.delay)
          } later, for every host on it, and restores it when mains returns`,
        ],
      },
    );
    const short = cycle.enabled && cycle.timeout < MIN_USEFUL_TIMEOUT_MS
      ? [
        `shutdown.power_cycle.timeout "${
          formatDuration(cycle.timeout)
        }" is below "${
          formatDuration(MIN_USEFUL_TIMEOUT_MS)
        }": the step may time out before it can tell whether the UPS counts down (it waits up to ${
          formatDuration(APPLY_WAIT_MS)
        } for a new ${SHUTDOWN_DELAY} to show and watches ${SHUTDOWN_TIMER} for ${
          formatDuration(TIMER_WATCH_MS)
        })`,
      ]
      : [];
    return {
      steps: [step],
      timingWarnings: [...short, ...tailWarnings(config, graceMs)],
    };
  },
  needs(config) {
    const cycle = config.shutdown.power_cycle;
    return cycle.enabled && cycle.password_file !== null
      ? [{
        type: "read",
        path: cycle.password_file,
        key: "shutdown.power_cycle.password_file",
      }]
      : [];
  },
};

/**
 * After the command come custom steps placed after it, the notifications
 * and the local shutdown: a delay shorter than all of them together may cut
 * the power before the host has halted. (A delay shorter than the local
 * shutdown alone is a config error already.)
 */
function tailWarnings(
  config: Parameters<PureStepKind["plan"]>[0],
  graceMs: number,
): string[] {
  const { power_cycle: cycle, local, custom } = config.shutdown;
  if (!cycle.enabled) return [];
  const customMs = custom.filter((c) => c.enabled && c.after === "power_cycle")
    .reduce((sum, c) => sum + c.timeout + graceMs, 0);
  const localMs = local.enabled ? local.timeout + graceMs : 0;
  const tailMs = customMs + config.notifications.crisis_budget + localMs;
  if (cycle.delay > tailMs || cycle.delay <= localMs) return [];
  return [
    `shutdown.power_cycle.delay "${
      formatDuration(cycle.delay)
    }" is not above what may follow the command "${
      formatDuration(tailMs)
    }" (custom steps after it, notifications, the local shutdown): the UPS may cut the power before the host has halted`,
  ];
}
