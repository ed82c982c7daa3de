/**
 * The UPSes of a session: per UPS its config view, its own connection to
 * its upsd (so a hung server delays no other UPS's poll), its login and its
 * poll loop. The session logs them in, restores their outages, runs their
 * loops side by side, holds and re-arms their triggers together and logs
 * them all out before the local shutdown.
 *
 * @module
 */
import { type LoadedConfig, loadedForUps } from "../config/load.ts";
import { upsNameOf } from "../config/ups_address.ts";
import type { Monitor } from "../monitor.ts";
import type { NutClient } from "../nut/client.ts";
import { clientForConfig } from "../nut/configured.ts";
import type { CheckResult } from "../readiness/check.ts";
import type { FleetLink } from "../shutdown/step.ts";
import type { Clock } from "../system/clock.ts";
import type { Logger } from "../system/log.ts";
import type { Tell } from "./banner.ts";
import { LoginKeeper } from "./login_keeper.ts";

/** One UPS of the session. */
export interface UpsWatcher {
  /** The loaded config as this UPS sees it (`loadedForUps`). */
  loaded: LoadedConfig;
  /** Its connection. */
  client: NutClient;
  /** Its login. */
  login: LoginKeeper;
  /** Its poll loop. */
  monitor: Monitor;
}

/** Builds the poll loop of one UPS. */
export type MonitorFactory = (
  watcher: Omit<UpsWatcher, "monitor">,
  index: number,
) => Monitor;

/** Every UPS of the session. */
export class UpsSet implements AsyncDisposable {
  /** In `config.upses` order; the first is `config.ups`. */
  readonly watchers: readonly UpsWatcher[];

  /**
   * Opens a client and a login per UPS (nothing is sent yet) and builds
   * their poll loops.
   *
   * @param loaded The session's config.
   * @param deps Clock, logger, the session's notifications, the loops.
   */
  constructor(
    loaded: LoadedConfig,
    deps: { clock: Clock; logger: Logger; tell: Tell; monitor: MonitorFactory },
  ) {
    const { clock, logger, tell } = deps;
    this.watchers = loaded.config.upses.map((_, index) => {
      const view = loadedForUps(loaded, index);
      const client = clientForConfig(view, { clock, logger, login: true });
      const login = new LoginKeeper(client, view.config, logger, tell);
      const parts = { loaded: view, client, login };
      return { ...parts, monitor: deps.monitor(parts, index) };
    });
  }

  /** Logs every UPS in (those with credentials) and restores their outages. */
  async start(): Promise<void> {
    await Promise.all(this.watchers.map(async ({ login, monitor }) => {
      await login.start();
      await monitor.restore();
    }));
  }

  /**
   * Runs every poll loop until `signal` aborts.
   *
   * @param signal Ends the session.
   */
  async run(signal: AbortSignal): Promise<void> {
    await Promise.all(this.watchers.map(({ monitor }) => monitor.run(signal)));
  }

  /** Holds every UPS's triggers (a sequence ran). */
  disarm(): void {
    for (const { monitor } of this.watchers) monitor.disarm();
  }

  /** Re-arms every UPS's triggers. */
  rearm(): void {
    for (const { monitor } of this.watchers) monitor.rearm();
  }

  /**
   * Logs out of every UPS, each bounded by its reply timeout.
   *
   * @param clock Bounds the waits.
   */
  async logout(clock: Clock): Promise<void> {
    await Promise.all(this.watchers.map(({ login }) => login.logout(clock)));
  }

  /** The links of the UPSes this host is primary for, for its FSD step. */
  fleetLinks(): FleetLink[] {
    return this.watchers.filter(({ loaded }) =>
      loaded.config.ups.role === "primary"
    ).map(({ loaded, client, login }) => {
      const { ups } = loaded.config;
      return {
        ups: upsNameOf(ups.name),
        hostsyncMs: ups.hostsync,
        user: ups.username,
        fsd: () => client.fsd(),
        listClients: () => client.listClients(),
        ownAddress: () => login.ownAddress(),
      };
    });
  }

  /**
   * The logins as one readiness check: ready when every UPS with
   * credentials is logged in; each UPS's detail, named, when several.
   *
   * @returns The check; null when no UPS has credentials.
   */
  loginReadiness(): CheckResult | null {
    const results = this.watchers.flatMap(({ loaded, login }) => {
      const result = login.readiness();
      return result === null ? [] : [{ name: loaded.config.ups.name, result }];
    });
    if (results.length === 0) return null;
    if (this.watchers.length === 1) return results[0]!.result;
    return {
      ready: results.every(({ result }) => result.ready),
      detail: results.map(({ name, result }) => `"${name}": ${result.detail}`)
        .join("; "),
    };
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await Promise.all(this.watchers.map(({ client }) => client.close()));
  }
}
