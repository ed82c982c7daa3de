/**
 * The poll loop of each UPS of a session, and the join that turns their
 * decisions, polls and re-arms into crisis mode's events (see
 * `power_join.ts`); the first UPS's loop also feeds systemd.
 *
 * @module
 */
import type { Config } from "../config/schema.ts";
import type { DaemonLife, DaemonOptions, Halt } from "../daemon.ts";
import { PollStats } from "../metrics/poll_stats.ts";
import { Monitor } from "../monitor.ts";
import { notificationOf } from "../notify/from_event.ts";
import type { Notifier } from "../notify/notification.ts";
import { snapshot } from "../power/snapshot.ts";
import { PowerJoin } from "./power_join.ts";
import type { UpsSet, UpsWatcher } from "./ups_set.ts";

/** What one UPS's poll loop reports to. */
export interface LoopParts {
  options: DaemonOptions;
  life: DaemonLife;
  notifier: Notifier;
  join: PowerJoin;
  neededMs: number;
  /** How many UPSes the session watches. */
  upsCount: number;
}

/** One UPS's poll loop: decisions, polls and re-arms go to the join. */
export function monitorFor(
  parts: LoopParts,
  watcher: Omit<UpsWatcher, "monitor">,
  index: number,
): Monitor {
  const { options, life, join, neededMs } = parts;
  const { config } = watcher.loaded;
  const { clock } = options;
  const uptimeMs = options.host.uptimeMs();
  const power = { ...config, neededMs };
  const count = parts.upsCount;
  const monitor: Monitor = new Monitor({
    config,
    // After a first poll at once, the loops spread over the interval.
    phaseMs: phaseOf(index, count, config.ups.check_interval),
    client: watcher.login.polling,
    notifier: parts.notifier,
    logger: options.logger,
    clock,
    bootId: life.bootId,
    neededMs,
    stats: pollsOf(life, config.ups.name),
    ...(uptimeMs === undefined ? {} : { uptimeMs }),
    onRearmed: () => join.rearmed(),
    extraState: () => ({ readiness: life.readiness.state }),
    onPoll: (input, monoMs) => {
      join.polled(index, input, monoMs);
      // systemd hears the first UPS's loop: its STATUS and watchdog.
      if (index === 0) {
        life.systemd.polled(() => snapshot(monitor.state, monoMs, power));
      }
    },
    onDecision: (decision) => join.decided(decision),
  });
  return monitor;
}

/** The session's join of its UPSes, wired to crisis mode and the notifier. */
export function joinFor(
  parts: {
    options: DaemonOptions;
    config: Config;
    life: DaemonLife;
    notifier: Notifier;
    halt: Halt;
    dryRun: boolean;
  },
  upses: () => Pick<UpsSet, "watchers" | "disarm">,
): PowerJoin {
  const { options, config, life, notifier, halt, dryRun } = parts;
  const { clock, logger } = options;
  const { crisis } = life;
  return new PowerJoin(config, {
    triggered: (reason) => {
      // A readiness round in progress stops: the sequence has the host now.
      halt.now();
      void crisis.dispatch({
        kind: "triggered",
        reason,
        bootId: life.bootId,
        dryRun,
        nowMs: clock.now(),
      });
    },
    powerBack: () => void crisis.dispatch({ kind: "power_back" }),
    disarm: () => upses().disarm(),
    powerStable: () =>
      void crisis.dispatch({ kind: "power_stable", nowMs: clock.now() }),
    report: (event) => {
      logger[event.level](event.name, event.message, { ...event.fields });
      // The UPS the event is about, not the session's first.
      const ups = event.fields["ups"];
      notifier.notify(
        notificationOf(
          event,
          typeof ups === "string" ? ups : config.ups.name,
          clock.now(),
        ),
      );
    },
    states: () => upses().watchers.map(({ monitor }) => monitor.state),
    state: (index) => upses().watchers[index]?.monitor.state,
    running: () => crisis.mode.mode === "running",
  });
}

/**
 * The poll counters of a UPS, by its name: they follow the UPS across
 * reloads that add, remove or reorder UPSes.
 *
 * @param life What lives as long as the daemon.
 * @param name The UPS's `ups.name`.
 * @returns Its counters, made on first use.
 */
export function pollsOf(life: DaemonLife, name: string): PollStats {
  let stats = life.polls.get(name);
  if (stats === undefined) life.polls.set(name, stats = new PollStats());
  return stats;
}

/**
 * Forgets the counters of UPSes the config no longer lists.
 *
 * @param life What lives as long as the daemon.
 * @param names The session's UPS names.
 */
export function prunePolls(life: DaemonLife, names: readonly string[]): void {
  for (const name of life.polls.keys()) {
    if (!names.includes(name)) life.polls.delete(name);
  }
}

/**
 * The phase of a UPS loop, ms after a first poll at once: the loops spread
 * evenly over the interval. Measured with 64 UPSes on one upsd (120 s and
 * 60 s windows): all in one phase, the polls queued at upsd and in the one
 * event loop (worst poll 14.5 ms late, 2.0 % CPU); in 8 groups, 16 ms late
 * and 3.0 %; one phase each, 2.9 ms (a single UPS: 2.2 ms) and 4.7 %, each
 * poll being its own wake-up. Keeping every poll on time is the point.
 *
 * @param index The UPS's index.
 * @param count How many UPSes the session watches.
 * @param intervalMs Its `check_interval`.
 * @returns The phase.
 */
export function phaseOf(
  index: number,
  count: number,
  intervalMs: number,
): number {
  return count <= 1 ? 0 : Math.floor(index * intervalMs / count);
}
