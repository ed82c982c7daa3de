/**
 * The daemon's HTTP endpoint (`http.listen`): bound once at start (a
 * failure there refuses to start, exit 2, naming the address), rebound
 * when a reload changes the address (a failure there is a warning: the
 * daemon goes on without it), and fed by each session with views of what
 * the daemon holds in memory. No request waits on upsd or the poll loop:
 * `/metrics` and `/status` are built from the monitor's last state, the
 * counters and the queues as they are; the UPS's make and model are read
 * once per session, through the session's own connection.
 *
 * @module
 */
import { ConfigError, issueAt, type LoadedConfig } from "../config/load.ts";
import {
  formatListenAddress,
  parseListenAddress,
} from "../config/listen_address.ts";
import type { Config } from "../config/schema.ts";
import { parseUpsAddress, upsNameOf } from "../config/ups_address.ts";
import { errorMessage } from "../errors.ts";
import {
  type LastSequence,
  lastSequenceOf,
  metricFamilies,
} from "../metrics/families.ts";
import type { PollStats } from "../metrics/poll_stats.ts";
import { renderMetrics } from "../metrics/render.ts";
import {
  HttpListenError,
  type HttpServer,
  listenHttp,
} from "../metrics/server.ts";
import type { Monitor, PollingClient } from "../monitor.ts";
import { ChannelNotifier } from "../notify/dispatch.ts";
import type { Notifier } from "../notify/notification.ts";
import { readinessOf } from "../readiness/report.ts";
import type { ReadinessState } from "../readiness/state.ts";
import type { CrisisController } from "../shutdown/crisis_controller.ts";
import { addRun, type DurationHistory } from "../shutdown/durations.ts";
import type { Clock } from "../system/clock.ts";
import type { Logger } from "../system/log.ts";
import { VERSION } from "../version.ts";
import {
  assessState,
  type StatusReport,
  statusReport,
} from "../cli/status_report.ts";
import { suppliesOf } from "../cli/status_several.ts";
import { safetyOf } from "../power/supplies.ts";

/** Time between two tries to read the UPS's make and model, ms. */
const IDENTIFY_RETRY_MS = 30_000;

/** One UPS of a session, as the endpoint reads it. */
export interface UpsView {
  /** The config as this UPS sees it (`configForUps`). */
  config: Config;
  monitor: Monitor;
  /** Its connection, for the make and model (read once). */
  client: PollingClient;
  /** Its poll loop's counters. */
  polls: PollStats;
}

/** What one session shows: its parts, read at request time. */
export interface SessionView {
  /** The session's config. */
  config: Config;
  /** Its UPSes, in `config.upses` order. */
  upses: readonly UpsView[];
  /** The session's notifier: its channel queues, when it has channels. */
  notifier: Notifier;
  /** The durations file as the session read it at its start. */
  durations: DurationHistory;
}

/** What lives as long as the daemon, as the endpoint needs it. */
export interface DaemonView {
  /** This process's id (the `daemon` of `/status`). */
  pid: number;
  crisis: CrisisController;
  /** The last readiness round. */
  readiness(): ReadinessState;
}

/** The endpoint, across sessions; inert when `http.listen` is null. */
export class HttpEndpoint implements AsyncDisposable {
  #clock: Clock;
  #logger: Logger;
  #daemon: DaemonView;
  #server: HttpServer | null = null;
  #listen: string | null = null;
  #session: SessionView | null = null;
  /** Each UPS's make and model, once read. */
  #identity: ({ mfr: string | null; model: string | null } | undefined)[] = [];

  /**
   * @param daemon What lives as long as the daemon.
   * @param options The clock and the logger.
   */
  constructor(daemon: DaemonView, options: { clock: Clock; logger: Logger }) {
    this.#daemon = daemon;
    this.#clock = options.clock;
    this.#logger = options.logger;
  }

  /**
   * Binds `http.listen` at start.
   *
   * @param loaded The config.
   * @throws {ConfigError} When the address cannot be bound (exit 2).
   */
  start(loaded: LoadedConfig): void {
    try {
      this.#bind(loaded.config.http.listen);
    } catch (error) {
      if (!(error instanceof HttpListenError)) throw error;
      throw new ConfigError([
        issueAt(loaded, "http.listen", lowerFirst(error.message)),
      ], { cause: error });
    }
  }

  /**
   * Follows a reloaded config: rebinds when `http.listen` changed; a bind
   * that fails is logged, and the daemon goes on without the endpoint.
   *
   * @param config The new config.
   */
  async reload(config: Config): Promise<void> {
    if (config.http.listen === this.#listen) return;
    await this.close();
    try {
      this.#bind(config.http.listen);
    } catch (error) {
      if (!(error instanceof HttpListenError)) throw error;
      this.#logger.warning(
        "http.listen_failed",
        `${error.message}: /metrics and /status are off until the next reload`,
        { address: error.address },
      );
    }
  }

  /**
   * Serves a session's views until `signal` aborts; reads the UPS's make
   * and model meanwhile (only when the endpoint is on).
   *
   * @param view The session's parts.
   * @param signal The end of the session.
   */
  async serve(view: SessionView, signal: AbortSignal): Promise<void> {
    this.#session = view;
    this.#identity = [];
    try {
      if (this.#server !== null) {
        await Promise.all(
          view.upses.map((ups, index) =>
            this.#identify(ups.client, index, signal)
          ),
        );
      }
      if (!signal.aborted) {
        await new Promise((resolve) =>
          signal.addEventListener("abort", resolve, { once: true })
        );
      }
    } finally {
      this.#session = null;
    }
  }

  /** Stops listening. */
  async close(): Promise<void> {
    const server = this.#server;
    this.#server = null;
    this.#listen = null;
    await server?.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #bind(listen: string | null): void {
    if (listen === null) return;
    const parsed = parseListenAddress(listen);
    // The schema has refused anything else.
    if (!parsed.ok) throw new TypeError(parsed.message);
    this.#server = listenHttp(parsed.value, {
      metrics: () => this.#metrics(),
      status: () => this.#status(),
    }, { clock: this.#clock, logger: this.#logger });
    this.#listen = listen;
    const address = formatListenAddress(this.#server.address);
    this.#logger.info(
      "http.listening",
      `Serving /metrics and /status on "${address}"`,
      { address },
    );
  }

  async #identify(
    client: PollingClient,
    index: number,
    signal: AbortSignal,
  ): Promise<void> {
    while (!signal.aborted) {
      try {
        const vars = await client.poll(["ups.mfr", "ups.model"]);
        this.#identity[index] = {
          mfr: vars.get("ups.mfr") ?? null,
          model: vars.get("ups.model") ?? null,
        };
        return;
      } catch (error) {
        this.#logger.debug("http.identify_failed", errorMessage(error));
      }
      await this.#clock.sleep(IDENTIFY_RETRY_MS, signal).catch(
        () => {/* the session ended */},
      );
    }
  }

  #lastSequence(session: SessionView): LastSequence | null {
    const run = this.#daemon.crisis.lastRun;
    if (run === null) return lastSequenceOf(session.durations);
    // The same rule as the durations file: what this daemon ran last.
    const { flag } = run;
    return lastSequenceOf(
      addRun({}, flag.results, flag.dryRun, flag.finishedAt ?? flag.startedAt),
    );
  }

  #metrics(): string | null {
    const session = this.#session;
    if (session === null) return null;
    const now = this.#clock.monotonic();
    const labels = upsLabels(session.upses.map(({ config }) => config));
    const [first, ...others] = session.upses.map((ups, index) => ({
      ups: labels[index]!,
      identity: this.#identity[index] ?? null,
      reading: ups.monitor.state.last,
      snap: assessState(ups.monitor.state, ups.monitor.power, now).snap,
      polls: ups.polls,
      timing: ups.monitor.timing,
    }));
    return renderMetrics(metricFamilies({
      version: VERSION,
      ...first!,
      others,
      readiness: this.#daemon.readiness(),
      queues: session.notifier instanceof ChannelNotifier
        ? session.notifier.queues()
        : [],
      sequenceRunning: this.#daemon.crisis.busy,
      lastSequence: this.#lastSequence(session),
      httpRejections: this.#server?.rejections ?? {},
    }));
  }

  #status(): string | null {
    const session = this.#session;
    if (session === null) return null;
    const reports = session.upses.map((ups, index) =>
      this.#upsReport(ups, index)
    );
    const body = reports.length === 1 ? reports[0] : {
      upses: reports,
      // The daemon's own verdict: fired triggers and lost links included.
      supplies: suppliesOf(
        session.config,
        reports,
        session.upses.map((ups) => safetyOf(ups.monitor.state)),
      ),
    };
    return JSON.stringify(body, null, 2) + "\n";
  }

  #upsReport(view: UpsView, index: number): StatusReport {
    const { monitor, config } = view;
    const address = parseUpsAddress(config.ups.name);
    if (!address.ok) throw new TypeError(address.message);
    const { decision, snap } = assessState(
      monitor.state,
      monitor.power,
      this.#clock.monotonic(),
    );
    return statusReport({
      address: address.value,
      mfr: this.#identity[index]?.mfr ?? null,
      model: this.#identity[index]?.model ?? null,
      reading: monitor.state.last,
      snap,
      budget: snap.budget ?? null,
      trigger: decision,
      daemon: this.#daemon.pid,
      // Normalised as status reads it from the state file.
      readiness: readinessOf({ readiness: this.#daemon.readiness() }),
      timing: monitor.timing,
      // No request waits on upsd: `ups-monitor status` lists the clients.
      fleet: {
        role: config.ups.role,
        clients: null,
        error: "listed by ups-monitor status, not by the daemon",
      },
    });
  }
}

/**
 * The `ups` label of each UPS: its name on its server, or its whole
 * `ups.name` where two servers use the same name.
 */
function upsLabels(configs: readonly Config[]): string[] {
  const short = configs.map((config) => upsNameOf(config.ups.name));
  return short.map((name, index) =>
    short.indexOf(name) === short.lastIndexOf(name)
      ? name
      : configs[index]!.ups.name
  );
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}
