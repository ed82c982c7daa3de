/**
 * Redundant power supplies (upsmon's MINSUPPLIES): which UPSes are safe,
 * how many of the host's supplies they still feed, and when the host must
 * run its sequence. A UPS is unsafe once its own trigger has fired (FSD,
 * charge, runtime, depletion, extended time, budget, fail-safe); a UPS whose
 * link is lost while its last reading was on line is unknown, unsafe only
 * when `power.unknown_is_unsafe` says so (upsd unreachable, or without data
 * from the driver, past the tolerance). Pure: states in, verdict out.
 *
 * @module
 * @pure
 */
import { type PowerEvent, powerEvent } from "./events.ts";
import type { PowerState } from "./state.ts";

/** Whether a UPS can be trusted to keep feeding its supplies, and why. */
export interface UpsSafety {
  /** safe, unsafe (its trigger fired), or unknown (lost while on line). */
  readonly kind: "safe" | "unsafe" | "unknown";
  /** For people: `on line`, `low_charge: charge 15% < 20% for 3 polls`. */
  readonly detail: string;
}

/** One UPS as the decision weighs it. */
export interface SupplyUps {
  /** `ups.name`. */
  readonly name: string;
  /** The host's supplies it feeds. */
  readonly supplies: number;
  /** Its safety now. */
  readonly safety: UpsSafety;
}

/** What the supplies say. */
export interface SupplyVerdict {
  /** Supplies fed by UPSes that count as safe. */
  readonly fed: number;
  /** Supplies of all UPSes. */
  readonly total: number;
  /** `power.min_supplies`. */
  readonly minSupplies: number;
  /** Whether fewer than `minSupplies` are fed: the host shuts down. */
  readonly shutdown: boolean;
  /** Every UPS's state: `"a" unsafe (…), "b" safe (on line)`. */
  readonly states: string;
}

/** How the supplies are weighed. */
export interface SupplyRules {
  /** `power.min_supplies`. */
  readonly minSupplies: number;
  /** `power.unknown_is_unsafe`. */
  readonly unknownIsUnsafe: boolean;
}

/**
 * Weighs the supplies.
 *
 * @param upses Every UPS with its supplies and safety.
 * @param rules The minimum and how an unknown UPS counts.
 * @returns The verdict.
 */
export function weighSupplies(
  upses: readonly SupplyUps[],
  rules: SupplyRules,
): SupplyVerdict {
  let fed = 0;
  let total = 0;
  for (const ups of upses) {
    total += ups.supplies;
    const { kind } = ups.safety;
    if (kind === "safe" || (kind === "unknown" && !rules.unknownIsUnsafe)) {
      fed += ups.supplies;
    }
  }
  return {
    fed,
    total,
    minSupplies: rules.minSupplies,
    shutdown: fed < rules.minSupplies,
    states: upses.map((ups) =>
      `"${ups.name}" ${ups.safety.kind} (${ups.safety.detail})`
    ).join(", "),
  };
}

/**
 * The safety of one UPS from its power state.
 *
 * @param state The UPS's power state after its latest poll.
 * @returns unsafe once its trigger fired (until it re-arms); unknown when it
 *   has been unreadable (link lost or data stale) past the tolerance while
 *   on line; else safe.
 */
export function safetyOf(state: PowerState): UpsSafety {
  const fired = state.lastTrigger;
  if (!state.armed && fired !== null) {
    return {
      kind: "unsafe",
      detail: `${fired.decision.trigger}: ${fired.decision.reason}`,
    };
  }
  const { connection, lastFailure } = state.trackers;
  if (connection !== "ok" && !state.onBattery) {
    // Unreadable past the tolerance: no link, or upsd without data (a dead
    // or frozen driver). Either way nobody knows whether it still feeds.
    const what = connection === "lost" ? "link lost" : "data stale";
    const why = lastFailure?.detail;
    return {
      kind: "unknown",
      detail: `${what} while on line${why ? `: ${why}` : ""}`,
    };
  }
  return { kind: "safe", detail: state.onBattery ? "on battery" : "on line" };
}

/**
 * The one-line summary of a verdict: `1 of 2 supplies fed by safe UPSes
 * (min_supplies 1): "a" unsafe (…), "b" safe (on line)`.
 *
 * @param verdict The verdict.
 * @returns The line.
 */
export function verdictText(verdict: SupplyVerdict): string {
  return `${verdict.fed} of ${verdict.total} supplies fed by safe UPSes (min_supplies ${verdict.minSupplies}): ${verdict.states}`;
}

/** What the supply gate remembers between two weighings. */
export interface SupplyMemo {
  /** Whether the last verdict was to shut down. */
  readonly shutdown: boolean;
  /** Each UPS's safety kind at the last weighing, by index. */
  readonly kinds: readonly UpsSafety["kind"][];
}

/** Before the first weighing: every UPS safe, no shutdown. */
export function initialSupplyMemo(count: number): SupplyMemo {
  return { shutdown: false, kinds: Array(count).fill("safe") };
}

/** The result of one weighing. */
export interface SupplyStep {
  /** What to remember. */
  readonly memo: SupplyMemo;
  /** The verdict. */
  readonly verdict: SupplyVerdict;
  /** A UPS turned unsafe or unknown, or safe again, without a shutdown. */
  readonly events: readonly PowerEvent[];
  /** Set when the host must start its sequence now (once per crossing). */
  readonly trigger: string | null;
}

/**
 * Weighs the supplies after a poll of any UPS and says what changed.
 *
 * @param memo The previous weighing.
 * @param upses Every UPS now.
 * @param rules The minimum and how an unknown UPS counts.
 * @returns The new memo, the verdict, the events and the trigger message.
 */
export function stepSupplies(
  memo: SupplyMemo,
  upses: readonly SupplyUps[],
  rules: SupplyRules,
): SupplyStep {
  const verdict = weighSupplies(upses, rules);
  const text = verdictText(verdict);
  const events: PowerEvent[] = [];
  const fields = { fed: verdict.fed, total: verdict.total };
  upses.forEach((ups, index) => {
    const before = memo.kinds[index] ?? "safe";
    const now = ups.safety.kind;
    if (before === now || verdict.shutdown) return;
    events.push(
      now === "safe"
        ? powerEvent(
          "supplies.restored",
          `UPS "${ups.name}" is safe again: ${text}`,
          { ...fields, ups: ups.name },
        )
        : powerEvent(
          "supplies.degraded",
          `UPS "${ups.name}" is ${now} (${ups.safety.detail}), no shutdown: ${text}`,
          { ...fields, ups: ups.name },
        ),
    );
  });
  return {
    memo: {
      shutdown: verdict.shutdown,
      kinds: upses.map((ups) => ups.safety.kind),
    },
    verdict,
    events,
    trigger: verdict.shutdown && !memo.shutdown ? text : null,
  };
}
