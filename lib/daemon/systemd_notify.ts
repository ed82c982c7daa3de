/**
 * What the daemon tells systemd under `Type=notify` (sd_notify(3)), through
 * the socket of `NOTIFY_SOCKET` (see lib/system/notify_socket.ts for why it
 * is libc through FFI):
 *
 * - `READY=1` once, after the first poll of the daemon's life, whether it
 *   read the UPS or failed. By then the config, the permissions, the pid
 *   file and an interrupted sequence resumed at start are behind it, and the
 *   loop is running: a failed poll is data for the fail-safe, and waiting
 *   for upsd to come back would have systemd kill the monitor at
 *   `TimeoutStartSec=` while it is the one thing that should run.
 * - `WATCHDOG=1` from completed polls only, at most once per half of
 *   `WATCHDOG_USEC` (as sd_watchdog_enabled(3) advises), and only when
 *   `WATCHDOG_PID` is unset or this process. A poll that never ends sends
 *   nothing, so systemd kills and restarts a hung loop; there is no timer.
 *   A failed poll still pings: the loop is alive and counting failures.
 * - `STATUS=` with the status line of the latest poll, when it changed: at
 *   once when its meaning changed (on line or battery, the connection, a
 *   trigger, a flag such as LB), else at most every
 *   {@linkcode STATUS_REFRESH_MS}, so the seconds on battery do not make a
 *   message per poll.
 * - `STOPPING=1` when SIGTERM or SIGINT arrives, before a running sequence
 *   is waited for: systemd stops watching the watchdog then, and
 *   `TimeoutStopSec=` bounds the rest.
 *
 * No `RELOADING=1`: `Type=notify-reload` needs systemd 253 (Debian 12 has
 * 252), and under `Type=notify` the SIGHUP of `ExecReload=` is asynchronous
 * anyway; the reload's outcome is logged.
 *
 * Without `NOTIFY_SOCKET` it does nothing. A send that fails is logged once
 * (and its recovery once) and never reaches the poll loop.
 *
 * @module
 */
import type { Config } from "../config/schema.ts";
import { errorMessage } from "../errors.ts";
import type { PowerSnapshot } from "../power/snapshot.ts";
import { spokenDuration, statusKey, statusLine } from "../power/status_line.ts";
import type { Clock } from "../system/clock.ts";
import type { Host } from "../system/host.ts";
import type { Logger } from "../system/log.ts";
import {
  type NotifySocket,
  openNotifySocket,
} from "../system/notify_socket.ts";

/** Least time between two `STATUS=` that keep the power state, ms. */
export const STATUS_REFRESH_MS = 10_000;

/** Collaborators of {@linkcode SystemdNotifier}. */
export interface SystemdNotifierOptions {
  /** Reads `NOTIFY_SOCKET`, `WATCHDOG_USEC`, `WATCHDOG_PID` and the pid. */
  host: Host;
  /** Paces the watchdog and the status (monotonic time). */
  clock: Clock;
  logger: Logger;
  /** Opens the socket. @default {@linkcode openNotifySocket} */
  open?: (address: string) => NotifySocket;
}

/** Tells systemd about readiness, liveness, status and stopping. */
export class SystemdNotifier implements Disposable {
  #socket: NotifySocket | null = null;
  #clock: Clock;
  #logger: Logger;
  /** Half of `WATCHDOG_USEC` in ms; null when the watchdog is not ours. */
  #pingEveryMs: number | null = null;
  #ready = false;
  #stopping = false;
  #failing = false;
  #lastPingMs: number | null = null;
  #status = { line: "", key: "", atMs: Number.NEGATIVE_INFINITY };

  /** @param options The host's environment and collaborators. */
  constructor(options: SystemdNotifierOptions) {
    this.#clock = options.clock;
    this.#logger = options.logger;
    const address = options.host.env("NOTIFY_SOCKET");
    if (address === undefined || address === "") return;
    try {
      this.#socket = (options.open ?? openNotifySocket)(address);
    } catch (error) {
      this.#logger.error(
        "systemd.notify_unavailable",
        `${
          errorMessage(error)
        }: systemd hears no readiness, watchdog or status`,
      );
      return;
    }
    this.#pingEveryMs = watchdogHalfMs(options.host, this.#logger);
  }

  /** Whether the watchdog of systemd is on for this process. */
  get watchdog(): boolean {
    return this.#pingEveryMs !== null;
  }

  /**
   * Warns when a poll cycle of the config may outlast half of the watchdog
   * interval: a slow but working upsd would then get the daemon killed.
   *
   * @param config The session's config.
   */
  checkPollCycle(config: Config): void {
    if (this.#pingEveryMs === null) return;
    const { ups } = config;
    const cycleMs = slowPollCycleMs(config);
    if (cycleMs < this.#pingEveryMs) return;
    this.#logger.warning(
      "systemd.watchdog_short",
      `The watchdog of systemd (WatchdogSec= "${
        spokenDuration(this.#pingEveryMs * 2 / 1000)
      }") is shorter than twice the slowest poll cycle of this config (check_interval + connect_timeout + reply_timeout = "${
        spokenDuration(cycleMs / 1000)
      }"): raise WatchdogSec= or lower those settings`,
      {
        "check_interval_ms": ups.check_interval,
        "connect_timeout_ms": ups.connect_timeout,
        "reply_timeout_ms": ups.reply_timeout,
      },
    );
  }

  /**
   * After each completed poll: `READY=1` the first time, `WATCHDOG=1` when
   * due, `STATUS=` when it changed.
   *
   * @param snap The snapshot of the poll, made only when systemd listens.
   */
  polled(snap: () => PowerSnapshot): void {
    if (this.#socket === null || this.#stopping) return;
    const nowMs = this.#clock.monotonic();
    const current = snap();
    const line = statusLine(current);
    const key = statusKey(current);
    const lines: string[] = [];
    if (!this.#ready) lines.push("READY=1");
    const every = this.#pingEveryMs;
    const pinging = every !== null &&
      (this.#lastPingMs === null || nowMs - this.#lastPingMs >= every);
    if (pinging) lines.push("WATCHDOG=1");
    const status = this.#status;
    const statusDue = line !== status.line &&
      (!this.#ready || key !== status.key ||
        nowMs - status.atMs >= STATUS_REFRESH_MS);
    if (statusDue) lines.push(`STATUS=${line}`);
    if (lines.length === 0 || !this.#send(lines)) return;
    this.#ready = true;
    if (pinging) this.#lastPingMs = nowMs;
    if (statusDue) this.#status = { line, key, atMs: nowMs };
  }

  /** On SIGTERM or SIGINT: `STOPPING=1`, once; nothing after it. */
  stopping(): void {
    if (this.#socket === null || this.#stopping) return;
    this.#stopping = true;
    this.#send(["STOPPING=1", "STATUS=Stopping"]);
  }

  /** Closes the socket. */
  [Symbol.dispose](): void {
    this.#socket?.[Symbol.dispose]();
    this.#socket = null;
  }

  /** Sends one datagram; a failure is logged once until a send works again. */
  #send(lines: string[]): boolean {
    try {
      this.#socket?.send(lines.join("\n"));
    } catch (error) {
      if (!this.#failing) {
        this.#failing = true;
        this.#logger.warning("systemd.notify_failed", errorMessage(error));
      }
      return false;
    }
    if (this.#failing) {
      this.#failing = false;
      this.#logger.info(
        "systemd.notify_restored",
        "Notifying systemd works again",
      );
    }
    return true;
  }
}

/**
 * The slowest poll cycle that still ends the normal way: the interval, then
 * a connect that times out or a request that does (the link drops a silent
 * server after one reply timeout, and the reconnect back-off makes the next
 * polls fail fast).
 *
 * @param config The config.
 * @returns Milliseconds.
 */
export function slowPollCycleMs(config: Config): number {
  const { ups } = config;
  return ups.check_interval + ups.connect_timeout + ups.reply_timeout;
}

/** Half of `WATCHDOG_USEC` in ms, when the watchdog is meant for this process. */
function watchdogHalfMs(host: Host, logger: Logger): number | null {
  const usec = host.env("WATCHDOG_USEC");
  if (usec === undefined || usec === "") return null;
  const pid = host.env("WATCHDOG_PID");
  // Set for another process (we inherited it): not ours to feed.
  if (pid !== undefined && pid !== "" && pid !== String(host.pid)) return null;
  const micros = /^\d+$/.test(usec) ? Number(usec) : NaN;
  if (!Number.isSafeInteger(micros) || micros <= 0) {
    logger.warning(
      "systemd.watchdog_invalid",
      `Cannot use WATCHDOG_USEC "${usec}": expected a positive whole number of microseconds; no watchdog pings`,
    );
    return null;
  }
  return micros / 2000;
}
