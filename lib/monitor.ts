/**
 * The poll loop: poll upsd, fold the poll into the power core, log and
 * notify its events, persist the state snapshot and the outage, and hand a
 * decision to the shutdown sequence once. It never dies on a bad poll: a
 * failure is data for the triggers. Clock, client, notifier and sequence are
 * passed in.
 *
 * @module
 */
import { errorMessage } from "./errors.ts";
import type { Config } from "./config/schema.ts";
import { NutConnectionError, NutError, NutTimeoutError } from "./nut/errors.ts";
import { notificationOf } from "./notify/from_event.ts";
import type { Notifier } from "./notify/notification.ts";
import type { PowerEvent } from "./power/events.ts";
import { restoreOutage, serializeOutage } from "./power/outage.ts";
import type { PollStats } from "./metrics/poll_stats.ts";
import {
  type PollFailure,
  pollFailureOf,
  READING_VARIABLES,
  readReading,
} from "./power/reading.ts";
import { snapshot } from "./power/snapshot.ts";
import {
  type Decision,
  initialState,
  type PollInput,
  type PowerConfig,
  type PowerState,
} from "./power/state.ts";
import {
  addTiming,
  pollJitter,
  type PollTiming,
  summarizeTiming,
  type TimingSummary,
} from "./power/timing.ts";
import { step } from "./power/triggers.ts";
import {
  NOTHING_WRITTEN,
  planWrites,
  type WrittenMemo,
} from "./power/write_policy.ts";
import { UNKNOWN_BOOT_ID } from "./shutdown/crisis.ts";
import type { Clock } from "./system/clock.ts";
import {
  READ_LIMITS,
  readTextIfExists,
  writeFileAtomic,
} from "./system/files.ts";
import type { Logger } from "./system/log.ts";

/** The part of the NUT client the loop uses. */
export interface PollingClient {
  /** Reads the named variables of the configured UPS; absent ones are left out. */
  poll(names: readonly string[]): Promise<Map<string, string>>;
}

/** Collaborators of {@linkcode Monitor}. */
export interface MonitorOptions {
  /**
   * Added once to the wait after the first poll, ms: the loops of several
   * UPSes spread their polls over the interval instead of all asking at
   * the same moment (their one event loop, often their one upsd).
   * @default 0
   */
  phaseMs?: number;
  config: Config;
  client: PollingClient;
  notifier: Notifier;
  logger: Logger;
  clock: Clock;
  /** This boot's id: a persisted outage is only resumed within the same boot. */
  bootId: string;
  /** Time since boot, ms, when known (a plausibility check of the outage file). */
  uptimeMs?: number;
  /** Starts the shutdown sequence; called once per arming, not awaited by the loop. */
  onDecision(decision: Decision): void;
  /** The power core re-armed itself after `shutdown.rearm_after` on line power. */
  onRearmed?(): void;
  /** More for the state file, e.g. the last readiness round. @default none */
  extraState?(): Record<string, unknown>;
  /**
   * The time the shutdown plan needs, ms, for the budget trigger (learned
   * durations, else worst cases). @default none: the budget cannot fire
   */
  neededMs?: number;
  /** Hears every poll, after the power core (the abort hold). @default none */
  onPoll?(input: PollInput, monoMs: number): void;
  /** Counts poll durations and failures for `/metrics`. @default none */
  stats?: PollStats;
}

/**
 * Maps a poll error to the failure kind the triggers count.
 *
 * @param error What `poll()` threw.
 * @returns The failure.
 */
export function failureOf(error: unknown): PollFailure {
  const detail = errorMessage(error);
  if (error instanceof NutError) {
    if (error.code === "DATA-STALE") return { kind: "data_stale", detail };
    if (error.code === "DRIVER-NOT-CONNECTED") {
      return { kind: "driver_not_connected", detail };
    }
    return { kind: "error", detail };
  }
  if (error instanceof NutTimeoutError) return { kind: "timeout", detail };
  if (error instanceof NutConnectionError) {
    const refused = error.cause instanceof Deno.errors.ConnectionRefused ||
      /connection refused/i.test(detail);
    return { kind: refused ? "refused" : "closed", detail };
  }
  return { kind: "error", detail };
}

/** The poll loop of `ups-monitor run`. */
export class Monitor {
  #options: MonitorOptions;
  #state: PowerState = initialState();
  #writeFailed = new Set<string>();
  #written: WrittenMemo = NOTHING_WRITTEN;
  #timing: PollTiming[] = [];
  /** Monotonic start of the previous poll, for the jitter; null before one. */
  #lastPollStartMs: number | null = null;
  #power: PowerConfig;

  /** @param options The config and collaborators. */
  constructor(options: MonitorOptions) {
    this.#options = options;
    const { neededMs } = options;
    this.#power = neededMs === undefined
      ? options.config
      : { ...options.config, neededMs };
  }

  /** The power state after the latest poll. */
  get state(): PowerState {
    return this.#state;
  }

  /** The settings the power core reads, the time the plan needs included. */
  get power(): PowerConfig {
    return this.#power;
  }

  /** Median and maximum poll, decision and start jitter times of the last polls. */
  get timing(): TimingSummary | null {
    return summarizeTiming(this.#timing);
  }

  /**
   * Restores an outage that was in progress when the daemon last stopped
   * (same boot, plausible clocks), so grace period and extended time go on.
   */
  async restore(): Promise<void> {
    const { config, clock, logger, bootId } = this.#options;
    if (bootId === UNKNOWN_BOOT_ID) return;
    const text = await readTextIfExists(
      config.paths.history,
      READ_LIMITS.history,
    ).catch(
      (error: unknown) => {
        logger.warning(
          "outage.discarded",
          `Cannot read the battery history: ${errorMessage(error)}`,
        );
        return null;
      },
    );
    if (text === null) return;
    const restored = restoreOutage(text, {
      bootId,
      monoMs: clock.monotonic(),
      wallMs: clock.now(),
      windowMs: config.triggers.depletion.window,
      ...(this.#options.uptimeMs === undefined
        ? {}
        : { uptimeMs: this.#options.uptimeMs }),
    });
    if (restored.kind === "discarded") {
      logger.warning(
        "outage.discarded",
        `Persisted outage discarded: ${restored.reason}`,
      );
    } else if (restored.kind === "resumed") {
      logger.warning("outage.resumed", restored.message);
      this.#state = initialState(restored.outage);
    }
  }

  /**
   * Polls every `ups.check_interval` until `signal` aborts.
   *
   * @param signal Stops the loop (SIGTERM, SIGINT).
   */
  async run(signal: AbortSignal): Promise<void> {
    const { clock, config } = this.#options;
    // Polls at once, then shifts to its phase once (see MonitorOptions.phaseMs).
    let phase = this.#options.phaseMs ?? 0;
    while (!signal.aborted) {
      const started = clock.monotonic();
      await this.pollOnce();
      const wait = config.ups.check_interval - (clock.monotonic() - started);
      await clock.sleep(Math.max(0, wait) + phase, signal).catch(
        () => {/* stopping */},
      );
      phase = 0;
    }
  }

  /**
   * Holds the triggers back (a sequence already ran in this boot): they re-arm
   * after `shutdown.rearm_after` on line power, or by {@linkcode rearm}.
   */
  disarm(): void {
    this.#state = { ...this.#state, armed: false, lineSinceMs: null };
  }

  /** Re-arms the triggers now (the crisis flag was removed by hand). */
  rearm(): void {
    this.#state = { ...this.#state, armed: true };
  }

  /** One poll, folded into the state, with its events, decision and files. */
  async pollOnce(): Promise<void> {
    const { client, clock } = this.#options;
    const config = this.#power;
    let input: PollInput;
    const asked = clock.monotonic();
    const jitterMs = pollJitter(
      asked,
      this.#lastPollStartMs,
      this.#options.config.ups.check_interval,
    );
    this.#lastPollStartMs = asked;
    try {
      const vars = await client.poll(READING_VARIABLES);
      input = {
        kind: "reading",
        reading: readReading(vars, clock.monotonic()),
      };
    } catch (error) {
      input = { kind: "failure", failure: failureOf(error) };
    }
    const monoMs = clock.monotonic();
    const wallMs = clock.now();
    const result = step(this.#state, input, { config, monoMs, wallMs });
    this.#state = result.state;
    for (const event of result.events) this.#report(event, wallMs);
    if (result.events.some((event) => event.name === "shutdown.rearmed")) {
      this.#options.onRearmed?.();
    }
    if (result.decision) this.#options.onDecision(result.decision);
    this.#options.onPoll?.(input, monoMs);
    this.#timing = addTiming(this.#timing, {
      pollMs: monoMs - asked,
      decideMs: clock.monotonic() - monoMs,
      jitterMs,
    });
    this.#options.stats?.record(
      monoMs - asked,
      input.kind === "failure"
        ? input.failure.kind
        : pollFailureOf(input.reading)?.kind ?? null,
    );
    await this.#writeFiles(monoMs, wallMs);
  }

  /** Writes the state snapshot and the outage file when the policy says so. */
  async #writeFiles(monoMs: number, wallMs: number): Promise<void> {
    const { config, bootId } = this.#options;
    const power = snapshot(this.#state, monoMs, this.#power);
    const extra = this.#options.extraState?.();
    const plan = planWrites(this.#written, { ...power, ...extra }, monoMs);
    let memo = plan.memo;
    // The timings are summarised only for a write: most polls write nothing.
    const text = () =>
      JSON.stringify({ ...power, timing: this.timing, ...extra }) + "\n";
    if (plan.state && !await this.#write(config.paths.state, text())) {
      const { stateKey, urgentKey, stateAtMs } = this.#written;
      memo = { ...memo, stateKey, urgentKey, stateAtMs };
    }
    if (
      plan.history &&
      !await this.#write(
        config.paths.history,
        serializeOutage(this.#state, { bootId, monoMs, wallMs }),
      )
    ) {
      memo = { ...memo, onBattery: this.#written.onBattery };
    }
    this.#written = memo;
  }

  #report(event: PowerEvent, wallMs: number): void {
    const { logger, notifier, config } = this.#options;
    // The shutdown sequence reports the trigger itself, with the dry-run mark.
    if (event.name === "shutdown.triggered") return;
    logger[event.level](event.name, event.message, { ...event.fields });
    notifier.notify(notificationOf(event, config.ups.name, wallMs));
  }

  /**
   * Writes a runtime file atomically; a failure is logged once per file,
   * never fatal.
   *
   * @returns Whether it was written.
   */
  async #write(path: string, text: string): Promise<boolean> {
    try {
      // Both files matter only within this boot (an outage is resumed only
      // under the same boot id), and a crash of the process keeps the page
      // cache: no fsync, which was most of the loop's cost (issue 19).
      await writeFileAtomic(path, text, { durable: false });
      if (this.#writeFailed.delete(path)) {
        this.#options.logger.info(
          "state.write_restored",
          `Writing "${path}" works again`,
        );
      }
      return true;
    } catch (error) {
      if (!this.#writeFailed.has(path)) {
        this.#writeFailed.add(path);
        this.#options.logger.error(
          "state.write_failed",
          errorMessage(error),
          { path },
        );
      }
      return false;
    }
  }
}
