/**
 * SIGHUP between sessions: crisis mode decides when (a reload during a
 * sequence waits until it is over); this loads and checks the config again
 * and, when it is accepted, ends the session so the next one starts with
 * it. A rejected config is logged with its issues and the old one stays.
 *
 * @module
 */
import { ConfigError, type LoadedConfig } from "../config/load.ts";
import { errorMessage } from "../errors.ts";
import type { CrisisController } from "../shutdown/crisis_controller.ts";
import type { Logger } from "../system/log.ts";

/** How a session reloads. */
export interface ReloadSource {
  /**
   * Fires a "hangup" event on SIGHUP; `pending` latches one that came while
   * no session listened (start-up, between sessions).
   */
  hangups: EventTarget & { pending: boolean };
  /**
   * Loads and checks the config again (validation and permission self-check).
   *
   * @throws {ConfigError} When the new config is rejected.
   */
  reload(): Promise<LoadedConfig>;
  /** Applies logging settings of a newly loaded config. */
  applyLogging(loaded: LoadedConfig): void;
}

/** One session's reloads. */
export class Reloader implements Disposable {
  #source: ReloadSource;
  #logger: Logger;
  #endSession: () => void;
  #crisis: CrisisController;
  #accepted: LoadedConfig | null = null;
  #onHangup = () => {
    this.#source.hangups.pending = false;
    void this.#crisis.dispatch({ kind: "reload_requested" });
  };

  /**
   * Listens for SIGHUP (and takes a latched one) until disposed.
   *
   * @param source Hangups and the loader.
   * @param crisis Decides whether the reload applies now or waits.
   * @param logger Hears of rejected configs.
   * @param endSession Ends the session once a config is accepted.
   */
  constructor(
    source: ReloadSource,
    crisis: CrisisController,
    logger: Logger,
    endSession: () => void,
  ) {
    this.#source = source;
    this.#crisis = crisis;
    this.#logger = logger;
    this.#endSession = endSession;
    source.hangups.addEventListener("hangup", this.#onHangup);
    if (source.hangups.pending) this.#onHangup();
  }

  /** The accepted config, once a reload succeeded. */
  get accepted(): LoadedConfig | null {
    return this.#accepted;
  }

  /** Loads the config now (crisis mode's `apply_reload`). */
  async apply(): Promise<void> {
    try {
      const loaded = await this.#source.reload();
      this.#source.applyLogging(loaded);
      this.#accepted = loaded;
      this.#endSession();
    } catch (error) {
      const issues = error instanceof ConfigError ? error.issues : undefined;
      this.#logger.error(
        "config.reload_rejected",
        `New config rejected, the old one stays: ${errorMessage(error)}`,
        { ...(issues ? { issues } : {}) },
      );
    }
  }

  [Symbol.dispose](): void {
    this.#source.hangups.removeEventListener("hangup", this.#onHangup);
  }
}
