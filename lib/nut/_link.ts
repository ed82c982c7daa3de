/**
 * The connection management of the NUT client: one request at a time,
 * opening (TCP, STARTTLS, credentials, `LOGIN`) when needed, capped backoff
 * after failed attempts and a keep-alive against upsd's 60 s idle close.
 * Internal to the client.
 *
 * @module
 */

import type { Clock } from "../system/clock.ts";
import type { Logger } from "../system/log.ts";
import {
  encodeRequest,
  type Expect,
  NutConnectionError,
  NutProtocolError,
  NutTimeoutError,
  type Reply,
} from "./protocol.ts";
import type { Session } from "./_session.ts";
import type { NutTransport } from "./transport.ts";
import { type Handshake, openSession, sendLogin } from "./_handshake.ts";

/** How STARTTLS is used: never, when the server offers it, or always. */
export type TlsMode = "off" | "starttls" | "required";

/** Wait between failed connection attempts: capped exponential backoff. */
export interface ReconnectPolicy {
  /** Wait after the first failure, in ms. */
  initialDelayMs: number;
  /** Longest wait, in ms. */
  maxDelayMs: number;
  /** Growth per further failure. */
  factor: number;
  /** Random spread, as a fraction of the wait (0.2 = ±20 %). */
  jitter: number;
}

/** Settings of a {@linkcode Link}, all resolved. */
export interface LinkOptions {
  hostname: string;
  port: number;
  endpoint: string;
  tls: TlsMode;
  caCerts: string[] | undefined;
  connectTimeoutMs: number;
  replyTimeoutMs: number;
  keepAliveMs: number;
  reconnect: ReconnectPolicy;
  clock: Clock;
  logger: Logger;
  transport: NutTransport;
  random: () => number;
}

/** Credentials and login, replayed on every new connection. */
export interface Credentials {
  username?: string;
  password?: string;
  login?: string;
}

/** Delay before attempt number `failures + 1`, in ms. */
export function backoffDelay(
  policy: ReconnectPolicy,
  failures: number,
  random: () => number,
): number {
  if (failures <= 0) return 0;
  const base = Math.min(
    policy.maxDelayMs,
    policy.initialDelayMs * policy.factor ** (failures - 1),
  );
  return Math.max(0, base * (1 + policy.jitter * (2 * random() - 1)));
}

/** One persistent, self-reopening connection to upsd. */
export class Link {
  /** Resolved settings and collaborators (clock, logger, transport). */
  #settings: LinkOptions;
  #session: Session | null = null;
  #lock: Promise<unknown> = Promise.resolve();
  #failures = 0;
  #retryAt = 0;
  #lastError: Error | null = null;
  #lastTraffic = 0;
  /** The exchange under way, for the watchdog. */
  #busy: { session: Session; since: number } | null = null;
  #stop = new AbortController();
  #watchdog: Promise<void> | null = null;
  #keepAlive: Promise<void> | null = null;
  /** What every new connection replays. */
  readonly credentials: Credentials = {};
  #handshake: Handshake;

  /** @param options Resolved settings. */
  constructor(options: LinkOptions) {
    this.#settings = options;
    this.#handshake = {
      settings: options,
      credentials: this.credentials,
      send: (session, words, action, values) =>
        this.#line(session, words, action, values),
    };
  }

  /** `host:port` of upsd, for messages. */
  get endpoint(): string {
    return this.#settings.endpoint;
  }

  /** Whether a connection is open now. */
  get session(): Session | null {
    return this.#session?.closed === false ? this.#session : null;
  }

  /**
   * Runs `fn` after every earlier call has finished.
   *
   * @param fn The work; it may call {@linkcode Link.call}.
   * @returns What `fn` returns.
   */
  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.#lock.then(fn);
    this.#lock = result.catch(() => {/* the caller sees the error */});
    return result;
  }

  /**
   * Sends a request (inside {@linkcode Link.run}), opening a connection first
   * when none is open. An idempotent request that finds a reused connection
   * closed (idle close, upsd restart) is sent once more on a new one.
   *
   * @param line The encoded request.
   * @param expect The shape of its reply.
   * @param action For error messages, e.g. `read UPS "ups"`.
   * @param idempotent Whether a resend is harmless.
   * @returns The reply; `ERR` lines are returned, not thrown.
   * @throws {NutConnectionError} When the link fails.
   */
  async call(
    line: string,
    expect: Expect,
    action: string,
    idempotent: boolean,
  ): Promise<Reply> {
    const reused = this.session !== null;
    const session = await this.ensure();
    try {
      return await this.#exchange(session, line, expect, action);
    } catch (error) {
      // Not once closed: close() ends the read under the request, and a
      // resend would wait on a new connection that no watch times out.
      const retry = idempotent && reused && !this.#stop.signal.aborted &&
        !(error instanceof NutTimeoutError) &&
        !(error instanceof NutProtocolError);
      if (!retry) throw error;
      this.#settings.logger.debug(
        "nut.retry",
        "Connection was closed, resending",
        {
          endpoint: this.#settings.endpoint,
        },
      );
      return await this.#exchange(await this.ensure(), line, expect, action);
    }
  }

  /**
   * The open connection, or a new one: TCP, STARTTLS as configured, then the
   * credentials and login. Between failed attempts it waits out the backoff
   * by failing fast with the last error.
   *
   * @throws {NutConnectionError} When upsd cannot be reached.
   * @throws {NutError} When TLS is required but refused, or `LOGIN` fails.
   */
  async ensure(): Promise<Session> {
    if (this.session) return this.session;
    if (this.#stop.signal.aborted) {
      throw new NutConnectionError(
        `Cannot reach upsd at "${this.#settings.endpoint}": the client is closed`,
      );
    }
    this.#watchdog ??= this.#watch();
    if (this.#lastError && this.#settings.clock.monotonic() < this.#retryAt) {
      throw this.#lastError;
    }
    try {
      const session = await openSession(this.#handshake);
      this.#lastTraffic = this.#settings.clock.monotonic();
      this.#settings.logger.info("nut.connected", "Connected to upsd", {
        endpoint: this.#settings.endpoint,
        tls: session.tls,
      });
      this.#session = session;
      this.#failures = 0;
      this.#lastError = null;
      return session;
    } catch (error) {
      this.#failures++;
      this.#lastError = error instanceof Error
        ? error
        : new Error(String(error));
      const delay = backoffDelay(
        this.#settings.reconnect,
        this.#failures,
        this.#settings.random,
      );
      this.#retryAt = this.#settings.clock.monotonic() + delay;
      this.#settings.logger.warning(
        "nut.connect_failed",
        this.#lastError.message,
        {
          endpoint: this.#settings.endpoint,
          "retry_ms": Math.round(delay),
        },
      );
      throw error;
    }
  }

  /**
   * Sends `LOGIN` on a session.
   *
   * @throws {NutError} ACCESS-DENIED, UNKNOWN-UPS, USERNAME-REQUIRED, ...
   */
  login(session: Session, ups: string): Promise<void> {
    return sendLogin(this.#handshake, session, ups);
  }

  /** Closes the current connection, if any. */
  async drop(): Promise<void> {
    const session = this.#session;
    this.#session = null;
    await session?.close();
  }

  /** Stops the keep-alive and closes the connection. */
  async close(): Promise<void> {
    this.#stop.abort();
    // Close the socket first: with the watchdog stopped, nothing else would
    // end a request (a poll or a keep-alive) waiting on a silent server. A
    // connection still in its handshake is not the session yet: it is the
    // busy one.
    await this.#session?.close();
    await this.#busy?.session.close();
    await this.#watchdog;
    await this.#keepAlive;
    await this.run(() => this.drop());
  }

  async #exchange(
    session: Session,
    line: string,
    expect: Expect,
    action: string,
  ): Promise<Reply> {
    const { clock, endpoint, replyTimeoutMs } = this.#settings;
    this.#busy = { session, since: clock.monotonic() };
    try {
      const reply = await session.exchange(line, expect, {
        action,
        endpoint,
        timeoutMs: replyTimeoutMs,
      });
      this.#lastTraffic = clock.monotonic();
      return reply;
    } catch (error) {
      if (this.#session === session) this.#session = null;
      this.#settings.logger.warning(
        "nut.dropped",
        "Dropped the connection to upsd",
        {
          endpoint,
          error,
        },
      );
      throw error;
    } finally {
      this.#busy = null;
    }
  }

  async #line(
    session: Session,
    words: string[],
    action: string,
    values: string[] = [],
  ): Promise<string> {
    const reply = await this.#exchange(
      session,
      encodeRequest(words, values),
      { kind: "line" },
      action,
    );
    return reply.kind === "line" ? reply.line : "";
  }

  /**
   * One loop for all timing, so a request costs no timer of its own (timers
   * and abort signals per request doubled the poll time at 1 s cadence):
   * expires a request waiting longer than the reply timeout, and sends
   * `NETVER` on a connection idle for the keep-alive time. It sleeps until
   * the next of these is due, and at most one reply timeout while idle: a
   * request that starts during that sleep is still expired on time, since
   * the sleep ends before its timeout would and the next one is measured to
   * it. Each wake-up of a timer costs the process two context switches, so
   * this wakes 5 times less often than a fixed tick of a quarter timeout
   * (issue 19).
   */
  async #watch(): Promise<void> {
    const { clock, replyTimeoutMs } = this.#settings;
    const signal = this.#stop.signal;
    while (!signal.aborted) {
      const now = clock.monotonic();
      const busy = this.#busy;
      let wake = now + replyTimeoutMs;
      if (busy) {
        const due = busy.since + replyTimeoutMs;
        if (due <= now) busy.session.expire();
        // The reply may come at any moment; a keep-alive is due one
        // keep-alive after it at the earliest.
        else {
          const { keepAliveMs } = this.#settings;
          wake = keepAliveMs > 0 ? Math.min(due, now + keepAliveMs) : due;
        }
      } else {
        const keepAliveDue = this.#keepAliveDue(now);
        if (keepAliveDue <= now) {
          this.#keepAlive = this.run(() => this.#ping()).finally(() => {
            this.#keepAlive = null;
          });
          // Its reply is traffic: the next one is due a keep-alive later.
          wake = Math.min(wake, now + this.#settings.keepAliveMs);
        } else wake = Math.min(wake, keepAliveDue);
      }
      try {
        await clock.sleep(Math.max(5, wake - now), signal);
      } catch {
        return; // stopped by close()
      }
    }
  }

  /**
   * When the connection is due a keep-alive; without one, the earliest a
   * connection opened from now could be; Infinity when none is sent.
   */
  #keepAliveDue(now: number): number {
    const { keepAliveMs } = this.#settings;
    if (keepAliveMs <= 0 || this.#keepAlive) return Infinity;
    return (this.session ? this.#lastTraffic : now) + keepAliveMs;
  }

  async #ping(): Promise<void> {
    const session = this.session;
    const { clock, keepAliveMs, endpoint, logger } = this.#settings;
    if (!session || this.#lastTraffic + keepAliveMs > clock.monotonic()) return;
    try {
      await this.#line(
        session,
        ["NETVER"],
        "keep the connection to upsd alive",
      );
      logger.debug("nut.keepalive", "Sent a keep-alive", { endpoint });
    } catch (error) {
      // The next request reconnects; the drop is logged already.
      logger.debug("nut.keepalive_failed", "Keep-alive failed", { error });
    }
  }
}
