/**
 * The shell of crisis mode: holds the mode of the pure state machine
 * (`crisis_machine.ts`), feeds it events one at a time and carries out the
 * effects it returns through a {@linkcode CrisisShell}. The running sequence
 * is one of those effects; it reports its steps back as events.
 *
 * @module
 */
import { errorMessage } from "../errors.ts";
import type { Clock } from "../system/clock.ts";
import {
  ARMED,
  type CrisisEffect,
  type CrisisEvent,
  type CrisisFlag,
  type CrisisLogLevel,
  type CrisisMode,
  type StepResult,
  transition,
} from "./crisis_machine.ts";

/** What carries out the effects; one per daemon session. */
export interface CrisisShell {
  /** Writes the flag atomically; logs a failure itself, never rejects. */
  writeFlag(flag: CrisisFlag): Promise<void>;
  /** Removes the flag file. */
  clearFlag(): Promise<void>;
  /** Renames the flag aside and reports why. */
  archiveFlag(suffix: string, why: string): Promise<void>;
  /** Logs and notifies the start of a sequence. */
  announce(what: "triggered" | "resumed", flag: CrisisFlag): void;
  /**
   * Runs the steps the flag has not completed: `beforeStep` first (false:
   * stop here, the sequence was aborted), `record` after each.
   *
   * @returns The results of the steps this run executed or skipped.
   */
  runSteps(flag: CrisisFlag, hooks: StepHooks): Promise<StepResult[]>;
  /** Logs and notifies "power back: shutdown aborted". */
  announceAbort(flag: CrisisFlag): void;
  /**
   * Undoes what the flag's reversible steps stopped, last first.
   *
   * @returns One line per action.
   */
  rollBack(flag: CrisisFlag): Promise<string[]>;
  /** Logs and notifies the summary of what was restored. */
  reportRollback(flag: CrisisFlag): void;
  /** Logs `shutdown.complete`. */
  reportComplete(flag: CrisisFlag): void;
  /** Holds the power core's triggers back. */
  holdTriggers(): void;
  /** Re-arms the power core's triggers. */
  rearmTriggers(): void;
  /** Switches the notifier to crisis mode. */
  enterCrisis(): void;
  /** Switches it back: the next crisis gets a fresh budget. */
  leaveCrisis(): void;
  /** Writes one log line. */
  log(level: CrisisLogLevel, event: string, message: string): void;
  /** Reloads the config now. */
  applyReload(): Promise<void>;
}

/** How a running sequence talks to crisis mode. */
export interface StepHooks {
  /**
   * Says a step is about to start.
   *
   * @returns False when the sequence must stop here (aborted).
   */
  beforeStep(step: { reversible: boolean }): Promise<boolean>;
  /** Hands a step's result over (crisis mode writes the flag). */
  record(result: StepResult): Promise<void>;
}

/** The last sequence this controller ran. */
export interface SequenceRun {
  /** The flag as last recorded. */
  flag: CrisisFlag;
  /** Results of the steps this run executed or skipped. */
  results: StepResult[];
  /** Whether it resumed an interrupted sequence. */
  resumed: boolean;
}

/** Crisis mode of one daemon, across its sessions. */
export class CrisisController {
  #mode: CrisisMode = ARMED;
  #shell: CrisisShell | null;
  #queue: Promise<unknown> = Promise.resolve();
  #work = new Set<Promise<void>>();
  #modeWaiters: (() => void)[] = [];
  #lastRun: SequenceRun | null = null;
  #clock: Pick<Clock, "now">;

  /**
   * @param clock Stamps the end of a sequence.
   * @param shell Carries out the effects; a daemon attaches one per session.
   */
  constructor(clock: Pick<Clock, "now">, shell: CrisisShell | null = null) {
    this.#clock = clock;
    this.#shell = shell;
  }

  /** The current mode. */
  get mode(): CrisisMode {
    return this.#mode;
  }

  /** The last sequence run, once it ended. */
  get lastRun(): SequenceRun | null {
    return this.#lastRun;
  }

  /** Whether a sequence or a rollback runs now. */
  get busy(): boolean {
    return this.#work.size > 0;
  }

  /**
   * Hands the effects to another session's collaborators (after a reload).
   *
   * @param shell The new session's shell.
   */
  attach(shell: CrisisShell): void {
    this.#shell = shell;
  }

  /**
   * Feeds one event to the machine after those before it, and carries out
   * the effects. A running sequence is started, not awaited (see `idle()`).
   *
   * @param event What happened.
   * @returns The effects carried out.
   */
  dispatch(event: CrisisEvent): Promise<readonly CrisisEffect[]> {
    const applied = this.#queue.then(() => this.#apply(event));
    this.#queue = applied.catch(() => {/* reported in #apply */});
    return applied;
  }

  /**
   * Resolves at the next change of mode, or when `signal` aborts: lets a
   * watcher sleep without a timer while nothing it cares about can happen.
   *
   * @param signal Ends the wait early.
   */
  modeChange(signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal.aborted) return resolve();
      const done = () => {
        signal.removeEventListener("abort", done);
        resolve();
      };
      this.#modeWaiters.push(done);
      signal.addEventListener("abort", done, { once: true });
    });
  }

  /** Resolves once no sequence or rollback runs. */
  async idle(): Promise<void> {
    while (this.#work.size > 0) await Promise.all(this.#work);
  }

  /** Keeps a sequence or rollback in `busy` until it settles. */
  #track(work: Promise<void>): void {
    this.#work.add(work);
    void work.finally(() => this.#work.delete(work));
  }

  async #apply(event: CrisisEvent): Promise<readonly CrisisEffect[]> {
    const shell = this.#shell;
    if (shell === null) {
      throw new TypeError("A crisis controller needs a shell before events");
    }
    const next = transition(this.#mode, event);
    const changed = next.mode.mode !== this.#mode.mode;
    this.#mode = next.mode;
    if (changed) { for (const wake of this.#modeWaiters.splice(0)) wake(); }
    for (const effect of next.effects) {
      try {
        await this.#carryOut(shell, effect);
      } catch (error) {
        // One failed effect (a flag that cannot be archived) must not stop the rest.
        shell.log(
          "error",
          "shutdown.effect_failed",
          `Crisis mode could not ${effect.kind.replaceAll("_", " ")}: ${
            errorMessage(error)
          }`,
        );
      }
    }
    return next.effects;
  }

  async #carryOut(
    shell: CrisisShell,
    effect: CrisisEffect,
  ): Promise<void> {
    switch (effect.kind) {
      case "write_flag":
        return await shell.writeFlag(effect.flag);
      case "clear_flag":
        return await shell.clearFlag();
      case "archive_flag":
        return await shell.archiveFlag(effect.suffix, effect.why);
      case "announce":
        return shell.announce(effect.what, effect.flag);
      case "run_steps":
        return this.#track(this.#run(shell, effect.flag, effect.resumed));
      case "run_rollback":
        return this.#track(this.#rollBack(shell, effect.flag));
      case "announce_abort":
        return shell.announceAbort(effect.flag);
      case "report_rollback":
        return shell.reportRollback(effect.flag);
      case "report_complete":
        return shell.reportComplete(effect.flag);
      case "hold_triggers":
        return shell.holdTriggers();
      case "rearm_triggers":
        return shell.rearmTriggers();
      case "enter_crisis":
        return shell.enterCrisis();
      case "leave_crisis":
        return shell.leaveCrisis();
      case "log":
        return shell.log(effect.level, effect.event, effect.message);
      case "apply_reload":
        return await shell.applyReload();
    }
  }

  async #run(
    shell: CrisisShell,
    flag: CrisisFlag,
    resumed: boolean,
  ): Promise<void> {
    // The shell that starts a sequence runs it to the end, even after a reload.
    const hooks: StepHooks = {
      beforeStep: async (step) => {
        await this.dispatch({
          kind: "step_starting",
          reversible: step.reversible,
        });
        return this.#mode.mode === "running";
      },
      record: async (result) => {
        await this.dispatch({ kind: "step_ended", result });
      },
    };
    const results = await shell.runSteps(flag, hooks).catch(
      (error: unknown) => {
        shell.log(
          "error",
          "shutdown.failed",
          `The shutdown sequence failed: ${errorMessage(error)}`,
        );
        return [];
      },
    );
    await this.dispatch({ kind: "sequence_ended", nowMs: this.#clock.now() });
    const mode = this.#mode;
    this.#lastRun = {
      flag: mode.mode === "armed" ? flag : mode.flag,
      results,
      resumed,
    };
  }

  async #rollBack(shell: CrisisShell, flag: CrisisFlag): Promise<void> {
    const lines = await shell.rollBack(flag).catch((error: unknown) => {
      shell.log(
        "error",
        "shutdown.rollback_failed",
        `The rollback failed: ${errorMessage(error)}`,
      );
      return [];
    });
    const effects = await this.dispatch({
      kind: "rollback_ended",
      lines,
      nowMs: this.#clock.now(),
    });
    for (const effect of effects) {
      if (effect.kind === "write_flag" && this.#lastRun) {
        this.#lastRun.flag = effect.flag;
      }
    }
  }
}
