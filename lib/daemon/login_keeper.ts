/**
 * The daemon's login to upsd, like an upsmon secondary: `LOGIN` at start,
 * or after the first poll that reaches upsd when it was down then; a refusal
 * (ACCESS-DENIED) is final and reported once. `LOGOUT` right before the
 * local shutdown, bounded, so a NUT primary stops waiting for this host.
 *
 * @module
 */
import type { Config } from "../config/schema.ts";
import { errorMessage } from "../errors.ts";
import type { PollingClient } from "../monitor.ts";
import type { NutClient } from "../nut/client.ts";
import { NutConnectionError } from "../nut/errors.ts";
import type { Clock } from "../system/clock.ts";
import type { Logger } from "../system/log.ts";
import type { CheckResult } from "../readiness/check.ts";
import type { Tell } from "./banner.ts";

/** Keeps the daemon logged in to its UPS while it polls. */
export class LoginKeeper {
  #client: NutClient;
  #config: Config;
  #logger: Logger;
  #tell: Tell;
  #pending: boolean;
  #refused: string | null = null;
  /** upsd accepted LOGIN (whether or not PRIMARY was granted after it). */
  #loggedIn = false;

  /**
   * @param client The session's NUT client.
   * @param config The config (`ups.username`, `ups.reply_timeout`).
   * @param logger Hears of logins and refusals.
   * @param tell Notifies a refusal.
   */
  constructor(client: NutClient, config: Config, logger: Logger, tell: Tell) {
    this.#client = client;
    this.#config = config;
    this.#logger = logger;
    this.#tell = tell;
    this.#pending = config.ups.username !== null;
  }

  /** Logs in now when upsd can be reached; else after a poll that reaches it. */
  async start(): Promise<void> {
    if (!this.#pending) return;
    await this.#client.connect().then(
      () => this.#login(),
      () => {/* retried after a poll */},
    );
  }

  /** The client the monitor polls through: it logs in once upsd answers. */
  readonly polling: PollingClient = {
    poll: async (names) => {
      const vars = await this.#client.poll(names);
      if (this.#pending) await this.#login();
      return vars;
    },
  };

  /**
   * Logs out before the local shutdown, within `ups.reply_timeout`: a link
   * that is reconnecting must not delay the power-off.
   *
   * @param clock Bounds the wait.
   */
  async logout(clock: Clock): Promise<void> {
    if (!this.#config.ups.username) return;
    const stop = new AbortController();
    await Promise.race([
      this.#client.logout().catch(() => {/* the link may be gone already */}),
      clock.sleep(this.#config.ups.reply_timeout, stop.signal).catch(
        () => {/* logout won */},
      ),
    ]);
    stop.abort();
  }

  /**
   * The login as a readiness check: logged in, refused (final), or not yet
   * (upsd not reached since the start).
   *
   * @returns The result; null without credentials (nothing to log in with).
   */
  readiness(): CheckResult | null {
    const { ups } = this.#config;
    if (ups.username === null) return null;
    if (this.#refused !== null) {
      return {
        ready: false,
        detail: this.#refused,
      };
    }
    return this.#pending
      ? {
        ready: false,
        detail: `not logged in to "${ups.name}": upsd has not been reached`,
      }
      : {
        ready: true,
        detail: `logged in to "${ups.name}" as "${ups.username}"`,
      };
  }

  /**
   * This host's address on the logged-in connection, as upsd lists it; ""
   * when logged in but the address is unknown; null when not logged in.
   */
  ownAddress(): string | null {
    // LOGIN alone decides: a refused PRIMARY leaves the login in place.
    if (!this.#loggedIn) return null;
    return this.#client.localAddress ?? "";
  }

  async #login(): Promise<void> {
    const { ups } = this.#config;
    try {
      await this.#client.login();
      this.#loggedIn = true;
      // PRIMARY only checks the right to set FSD: a primary without it
      // would learn so during the outage.
      if (ups.role === "primary") await this.#client.primary();
      this.#pending = false;
      this.#logger.info(
        "nut.logged_in",
        `Logged in to "${ups.name}" as "${ups.username}"${
          ups.role === "primary" ? " (primary)" : ""
        }`,
      );
    } catch (error) {
      if (error instanceof NutConnectionError) return;
      this.#pending = false;
      this.#refused = `${errorMessage(error)}${roleFix(ups)}`;
      this.#logger.error("nut.login_failed", this.#refused, {
        user: ups.username,
      });
      this.#tell("nut.login_failed", "warning", this.#refused);
    }
  }
}

/** What upsd.users must say for the configured role. */
function roleFix(ups: Config["ups"]): string {
  return `; upsd.users needs [${ups.username}] with its password and "upsmon ${ups.role}"${
    ups.role === "primary" ? " (a primary sets FSD for the other hosts)" : ""
  }`;
}
