/**
 * The shutdown decision (shared/DESIGN.md, first match wins): FSD; OB + LB;
 * the budget (time left − time needed ≤ margin, `budget.ts`); charge below
 * `low_battery`; runtime below `critical_runtime`; depletion
 * rate above `critical_rate` after the grace period with `min_samples`
 * readings; time on battery past the extended time; the fail-safe after
 * `max_stale_data_tolerance` failed polls while on battery. {@linkcode step}
 * folds one poll into the state and yields events and at most one decision
 * per arming. Time is a parameter: `monoMs` (monotonic) measures, `wallMs`
 * only stamps. Pure.
 *
 * Odd data on battery neither hides an outage nor resets a countdown:
 * - A blind reading (OB, charge and runtime both unusable) is a failed poll
 *   for the fail-safe, but its source and flags apply (`pollFailureOf`).
 * - A threshold streak counts polls with a known value: an unknown charge or
 *   runtime (NaN, a sentinel, missing) keeps it, a known one bumps or resets.
 * - A line return shorter than the hold keeps the outage: its start, history
 *   and streaks go on if the battery comes back (`flapping.ts`).
 *
 * @pure
 * @module
 */
import { fmt, type PowerEvent, powerEvent, round3, shown } from "./events.ts";
import { nextPower, NO_STREAKS, type PowerChange } from "./flapping.ts";
import {
  budgetDecision,
  budgetShort,
  fullChargeFit,
  timeLeft,
} from "./budget.ts";
import { addSample, depletionRate } from "./history.ts";
import {
  carriesPowerState,
  pollFailureOf,
  type Reading,
  valueOf,
} from "./reading.ts";
import {
  type Decision,
  onBatteryMs,
  type PollInput,
  type PowerConfig,
  type PowerState,
  type StepContext,
  type StepResult,
} from "./state.ts";
import { trackFailure, trackReading } from "./trackers.ts";

/**
 * Folds one poll into the state: trackers, outage timers, history, streaks,
 * then the decision. A decision is handed out once; the state re-arms after
 * `shutdown.rearm_after` on line power (event `shutdown.rearmed`).
 *
 * @param state The state.
 * @param input The poll.
 * @param ctx Settings and clocks.
 * @returns The new state, the events and a new decision or null.
 */
export function step(
  state: PowerState,
  input: PollInput,
  ctx: StepContext,
): StepResult {
  const reading = input.kind === "reading" ? input.reading : null;
  const failure = input.kind === "failure"
    ? input.failure
    : pollFailureOf(input.reading);
  const events: PowerEvent[] = [];
  let next: PowerState;
  // A blind reading (on battery without charge or runtime) counts as a failed
  // poll, yet its source and flags still apply.
  if (reading !== null && (failure === null || carriesPowerState(failure))) {
    next = applyReading(state, reading, ctx, events);
  } else {
    const update = trackFailure(
      state.trackers,
      failure!,
      ctx.config,
      ctx.monoMs,
    );
    events.push(...update.events);
    next = { ...state, trackers: update.state };
  }

  // Re-arm after rearm_after on line power counted from after the decision,
  // and only once nothing would trigger (a latched FSD would otherwise run
  // the sequence again every rearm_after).
  if (
    !next.armed && next.lineSinceMs !== null &&
    ctx.monoMs - next.lineSinceMs >= ctx.config.shutdown["rearm_after"] &&
    decide(next, ctx.config, ctx.monoMs) === null
  ) {
    next = { ...next, armed: true };
    events.push(
      powerEvent(
        "shutdown.rearmed",
        "Shutdown triggers re-armed: on line power again",
        {
          "on_line_ms": ctx.monoMs - next.lineSinceMs!,
        },
      ),
    );
  }

  const found = next.armed ? decide(next, ctx.config, ctx.monoMs) : null;
  if (found === null) return { state: next, events, decision: null };
  events.push(
    powerEvent("shutdown.triggered", `Shutdown triggered: ${found.reason}`, {
      trigger: found.trigger,
      reason: found.reason,
      ...found.numbers,
    }),
  );
  next = {
    ...next,
    armed: false,
    lineSinceMs: null,
    lastTrigger: { decision: found, wallMs: ctx.wallMs },
  };
  return { state: next, events, decision: found };
}

function applyReading(
  state: PowerState,
  reading: Reading,
  ctx: StepContext,
  events: PowerEvent[],
): PowerState {
  const { config, monoMs } = ctx;
  const tracked = trackReading(state.trackers, reading, config, monoMs);
  events.push(...tracked.events);
  const power = nextPower(state, reading, monoMs);
  events.push(...power.events);
  let lineSinceMs = state.lineSinceMs;
  if (reading.source === "line") lineSinceMs ??= monoMs;
  else if (power.onBattery) lineSinceMs = null;
  const first = state.last === null;
  const fit = fullChargeFit(state.budgetFits, reading, config);
  if (fit.event !== null) events.push(fit.event);
  return {
    ...state,
    trackers: tracked.state,
    last: reading,
    lastValidMs: monoMs,
    onBattery: power.onBattery,
    outageStartMs: power.outageStartMs,
    flap: power.flap,
    resumed: state.resumed && !first && power.onBattery,
    lineSinceMs,
    ...nextCharge(power, reading, config, monoMs),
    fsdIgnored: nextFsdIgnored(state, reading, config, events),
    budgetFits: fit.fits,
  };
}

/** An FSD latched in upsd when the monitor starts on line power. */
function nextFsdIgnored(
  state: PowerState,
  reading: Reading,
  config: PowerConfig,
  events: PowerEvent[],
): boolean {
  const fsd = reading.status.flags.has("FSD");
  if (state.last === null && fsd && reading.source !== "battery") {
    const obeyed = config.triggers["obey_fsd_at_start"];
    events.push(
      powerEvent(
        "fsd.latched_at_start",
        obeyed
          ? `FSD already latched in upsd at start on line power (status "${reading.status.raw}"): obeyed as obey_fsd_at_start says`
          : `FSD already latched in upsd at start on line power (status "${reading.status.raw}"): NOT obeyed; restart upsd to clear it, or set triggers.obey_fsd_at_start`,
        {
          status: reading.status.raw,
          obeyed,
        },
      ),
    );
    return !obeyed;
  }
  return fsd && reading.source !== "battery" && state.fsdIgnored;
}

/**
 * The charge history, depletion rate and streaks after a reading. On battery
 * a known value bumps its streak when the condition holds and resets it when
 * not; an unknown one (NaN, a sentinel, missing) keeps it, so odd data
 * between two low readings neither fires a trigger nor holds one back.
 */
function nextCharge(
  power: PowerChange,
  reading: Reading,
  config: PowerConfig,
  monoMs: number,
): Pick<PowerState, "history" | "depletion" | "streaks"> {
  const t = config.triggers;
  const { onBattery, streaks } = power;
  const charge = valueOf(reading.charge);
  const runtime = valueOf(reading.runtime);
  let history = power.history;
  if (onBattery && charge !== null) {
    history = addSample(history, { monoMs, charge }, t.depletion.window);
  }
  if (!onBattery) return { history, depletion: null, streaks: NO_STREAKS };
  const depletion = depletionRate(history, monoMs, t.depletion.window);
  const sinceMs = monoMs - (power.outageStartMs ?? monoMs);
  const count = (n: number, known: boolean, held: boolean) =>
    !known ? n : held ? n + 1 : 0;
  const short = budgetShort(
    timeLeft(
      {
        last: reading,
        depletion,
        onBattery,
        outageStartMs: power.outageStartMs,
      },
      config,
      monoMs,
    ),
    config,
  );
  return {
    history,
    depletion,
    streaks: {
      charge: count(
        streaks.charge,
        charge !== null,
        charge !== null && charge < t["low_battery"],
      ),
      runtime: count(
        streaks.runtime,
        runtime !== null,
        runtime !== null && runtime * 1000 < t["critical_runtime"],
      ),
      depletion: count(
        streaks.depletion,
        charge !== null,
        depletion !== null &&
          sinceMs >= t.depletion["grace_period"] &&
          depletion.samples >= t.depletion["min_samples"] &&
          depletion.ratePerMin > t.depletion["critical_rate"],
      ),
      budget: count(streaks.budget, short !== null, short === true),
    },
  };
}

/**
 * The first trigger that matches the state, whether armed or not (what
 * `ups-monitor status` shows). Charge and runtime need `persistence_polls`
 * polls in a row with a known value meeting the condition (unknown values in
 * between neither count nor break the row), and so does the depletion rate. Only FSD applies on line
 * power; FSD latched at start on line power is skipped unless
 * `obey_fsd_at_start`. OB + LB is not critical during CAL (as upsmon).
 * Boundaries are strict: 20 % is not below 20 %.
 *
 * @param state The state after the latest step.
 * @param config The settings.
 * @param monoMs Monotonic now, ms.
 * @returns The decision, or null when no trigger matches.
 */
export function decide(
  state: PowerState,
  config: PowerConfig,
  monoMs: number,
): Decision | null {
  const t = config.triggers;
  const last = state.last;
  const flags = last?.status.flags;
  const polls = t["persistence_polls"];
  if (last !== null && flags!.has("FSD") && !state.fsdIgnored) {
    return {
      trigger: "fsd",
      reason: `FSD flag set (status "${last.status.raw}")`,
      numbers: { status: last.status.raw ?? "" },
    };
  }
  if (!state.onBattery) return null;
  if (
    last !== null && last.source === "battery" && flags!.has("LB") &&
    !flags!.has("CAL")
  ) {
    return {
      trigger: "low_battery_flag",
      reason:
        `UPS low-battery flag on battery (status "${last.status.raw}", charge ${
          shown(valueOf(last.charge), "%")
        })`,
      numbers: { status: last.status.raw ?? "" },
    };
  }
  if (state.streaks.budget >= polls) {
    const found = budgetDecision(state, config, monoMs);
    if (found !== null) return found;
  }
  const charge = last === null ? null : valueOf(last.charge);
  if (charge !== null && state.streaks.charge >= polls) {
    return {
      trigger: "low_charge",
      reason: `charge ${fmt(charge)}% < ${fmt(t["low_battery"])}% for ${
        pollCount(state.streaks.charge)
      }`,
      numbers: {
        charge,
        "low_battery": t["low_battery"],
        polls: state.streaks.charge,
      },
    };
  }
  const runtime = last === null ? null : valueOf(last.runtime);
  if (runtime !== null && state.streaks.runtime >= polls) {
    const limit = t["critical_runtime"] / 1000;
    return {
      trigger: "low_runtime",
      reason: `runtime ${fmt(runtime)}s < ${fmt(limit)}s for ${
        pollCount(state.streaks.runtime)
      }`,
      numbers: {
        "runtime_s": runtime,
        "critical_runtime_s": limit,
        polls: state.streaks.runtime,
      },
    };
  }
  const dep = state.depletion;
  if (dep !== null && state.streaks.depletion >= polls) {
    const span = Math.round(dep.spanMs / 1000);
    return {
      trigger: "depletion",
      reason: `depletion ${fmt(dep.ratePerMin, 1)}%/min > ${
        fmt(t.depletion["critical_rate"])
      }%/min over ${span}s (${dep.samples} samples)`,
      numbers: {
        "rate_per_min": round3(dep.ratePerMin)!,
        "critical_rate": t.depletion["critical_rate"],
        "span_s": span,
        samples: dep.samples,
      },
    };
  }
  const sinceMs = onBatteryMs(state, monoMs);
  const ext = t["extended_time"];
  // A resumed outage needs one reading of this process saying it goes on:
  // power may have come back while the daemon was down.
  const confirmed = !state.resumed || state.last !== null;
  if (ext.enabled && confirmed && sinceMs !== null && sinceMs >= ext.after) {
    return {
      trigger: "extended_time",
      reason: `on battery ${fmt(sinceMs / 1000, 0)}s >= ${
        fmt(ext.after / 1000)
      }s`,
      numbers: {
        "on_battery_s": Math.floor(sinceMs / 1000),
        "after_s": ext.after / 1000,
      },
    };
  }
  const failures = state.trackers.failures;
  const tolerance = config.ups["max_stale_data_tolerance"];
  if (failures >= tolerance) {
    const why = state.trackers.lastFailure;
    return {
      trigger: "fail_safe",
      reason: `no valid reading for ${
        pollCount(failures)
      } (${why?.kind}: ${why?.detail}) while on battery`,
      numbers: { failures, tolerance, kind: why?.kind ?? "" },
    };
  }
  return null;
}

function pollCount(n: number): string {
  return n === 1 ? "1 poll" : `${n} polls`;
}
