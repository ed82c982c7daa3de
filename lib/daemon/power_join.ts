/**
 * Joins the poll loops of a session's UPSes into the host's decisions for
 * crisis mode. One UPS: its decision is the host's, its re-arm the host's,
 * its line power held for `shutdown.abort.hold` aborts (as always). Several
 * UPSes: after every poll the supplies are weighed (`lib/power/supplies.ts`)
 * and the host starts its sequence once fewer than `power.min_supplies` are
 * fed by safe UPSes, naming every UPS's state; a UPS turning unsafe or safe
 * again without that is a warning or a recovery; the host re-arms when every
 * UPS has re-armed, and power counts as back when every UPS has been on line
 * for the hold.
 *
 * @module
 */
import type { Config } from "../config/schema.ts";
import type { PowerEvent } from "../power/events.ts";
import type { Decision, PollInput, PowerState } from "../power/state.ts";
import {
  initialSupplyMemo,
  safetyOf,
  stepSupplies,
  type SupplyMemo,
} from "../power/supplies.ts";
import { holdReached, lineHoldSince } from "../shutdown/abort_hold.ts";
import { NEVER_ABORTED } from "../shutdown/crisis_machine.ts";
import type { SequenceReason } from "../shutdown/crisis_types.ts";

/** What the join tells crisis mode and the notifier. */
export interface JoinHooks {
  /** The host must start its sequence. */
  triggered(reason: SequenceReason): void;
  /** The host's triggers re-armed: on line again long enough. */
  powerBack(): void;
  /** Line power has held for `shutdown.abort.hold` while a sequence may run. */
  powerStable(): void;
  /** Holds every UPS's triggers until each re-arms on line power. */
  disarm(): void;
  /** A UPS turned unsafe (or safe again) without a shutdown. */
  report(event: PowerEvent): void;
  /** Each UPS's power state now, in `config.upses` order. */
  states(): readonly PowerState[];
  /** One UPS's power state now. */
  state(index: number): PowerState | undefined;
  /** Whether a sequence runs (the abort hold counts only then). */
  running(): boolean;
}

/** The host's view of its UPSes' poll loops. */
export class PowerJoin {
  #config: Config;
  #hooks: JoinHooks;
  #lineSince: (number | null)[];
  #memo: SupplyMemo;

  /**
   * @param config The session's config (`upses`, `power`, `shutdown.abort`).
   * @param hooks Crisis mode, the notifier and the monitors' states.
   */
  constructor(config: Config, hooks: JoinHooks) {
    this.#config = config;
    this.#hooks = hooks;
    this.#lineSince = config.upses.map(() => null);
    this.#memo = initialSupplyMemo(config.upses.length);
  }

  get #several(): boolean {
    return this.#config.upses.length > 1;
  }

  /**
   * A UPS's trigger fired.
   *
   * @param decision Its decision.
   */
  decided(decision: Decision): void {
    // With several UPSes the supplies decide, after the poll.
    if (this.#several) return;
    this.#hooks.triggered({
      trigger: decision.trigger,
      message: decision.reason,
      fields: { ...decision.numbers },
    });
  }

  /**
   * A UPS's poll was folded into its state.
   *
   * @param index The UPS.
   * @param input What the poll gave.
   * @param monoMs When.
   */
  polled(index: number, input: PollInput, monoMs: number): void {
    this.#lineSince[index] = lineHoldSince(
      this.#lineSince[index] ?? null,
      input,
      monoMs,
    );
    const { abort } = this.#config.shutdown;
    if (
      abort.enabled && this.#hooks.running() &&
      this.#lineSince.every((since) => holdReached(since, monoMs, abort.hold))
    ) {
      this.#hooks.powerStable();
    }
    if (this.#several && this.#kindChanged(index)) this.#weigh();
  }

  /**
   * Whether the polled UPS turned safe, unsafe or unknown since the last
   * weighing: the supplies change only then, so the other polls (nearly
   * all of them) skip weighing every UPS.
   */
  #kindChanged(index: number): boolean {
    const state = this.#hooks.state(index);
    const kind = state === undefined ? "safe" : safetyOf(state).kind;
    return kind !== (this.#memo.kinds[index] ?? "safe");
  }

  /** A UPS's triggers re-armed on line power. */
  rearmed(): void {
    if (this.#hooks.states().every((state) => state.armed)) {
      this.#hooks.powerBack();
    }
  }

  #weigh(): void {
    const { upses, power } = this.#config;
    const states = this.#hooks.states();
    const step = stepSupplies(
      this.#memo,
      upses.map((ups, index) => ({
        name: ups.name,
        supplies: ups.supplies,
        safety: states[index] === undefined
          ? { kind: "safe", detail: "not polled yet" }
          : safetyOf(states[index]),
      })),
      {
        minSupplies: power.min_supplies,
        unknownIsUnsafe: power.unknown_is_unsafe,
      },
    );
    this.#memo = step.memo;
    for (const event of step.events) this.#hooks.report(event);
    if (step.trigger !== null) {
      // As one UPS's decision disarms it: each re-arms on line power, and
      // the host with them (a UPS that was only unknown never fired).
      this.#hooks.disarm();
      // FSD or a fail-safe among them: power that seems back does not
      // abort, as with one UPS (crisis_machine.ts, NEVER_ABORTED).
      const fired = states.flatMap((state) =>
        !state.armed && state.lastTrigger !== null
          ? [state.lastTrigger.decision.trigger]
          : []
      );
      this.#hooks.triggered({
        trigger: "supplies",
        message: step.trigger,
        fields: {
          fed: step.verdict.fed,
          total: step.verdict.total,
          "min_supplies": step.verdict.minSupplies,
        },
        ...(fired.some((name) => NEVER_ABORTED.includes(name))
          ? { abortable: false }
          : {}),
      });
    }
  }
}
