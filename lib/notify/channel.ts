/**
 * One notification channel's delivery: a bounded queue and a sender loop
 * that posts with a timeout, honours HTTP 429 `retry_after` (capped), backs
 * off on 5xx and network errors, drops on other 4xx and redirects, and logs
 * a failing webhook once per outage. `enqueue()` never waits.
 *
 * @module
 */
import type { ChannelConfig } from "../config/schema.ts";
import type { Clock } from "../system/clock.ts";
import type { Logger } from "../system/log.ts";
import { type BoundChannelKind, channelKindOf } from "./channel_kinds.ts";
import type { Colors } from "./discord.ts";
import type { Notification, Severity } from "./notifier.ts";
import { MAX_RETRY_AFTER_MS, post, type PostResult } from "./post.ts";

/** Options of {@linkcode ChannelSender}. */
export interface ChannelSenderOptions {
  channel: ChannelConfig;
  colors: Colors;
  fetch: typeof globalThis.fetch;
  clock: Clock;
  logger: Logger;
  /** Notifications kept before the oldest non-critical ones are dropped. */
  queueSize: number;
  /** Request timeout in normal mode, ms. */
  timeoutMs: number;
  /** Request timeout in crisis mode, ms. */
  crisisTimeoutMs: number;
  /** First backoff after a failure, ms. @default 1000 */
  backoffMs?: number;
  /** Longest backoff, ms. @default 60000 */
  maxBackoffMs?: number;
  /**
   * Longest wait a 429 imposes in normal mode, ms; in crisis mode the crisis
   * timeout bounds it too. @default MAX_RETRY_AFTER_MS (60000)
   */
  maxRetryAfterMs?: number;
}

/** Which severities go first when the queue is full; critical never does. */
const DROP_ORDER: Severity[] = ["info", "recovery", "quality", "warning"];

/** A queue and a sender loop for one configured channel. */
export class ChannelSender {
  readonly name: string;
  #options: ChannelSenderOptions;
  #kind: BoundChannelKind;
  #queue: Notification[] = [];
  #inFlight = 0;
  #crisis = false;
  #degraded = false;
  #failing = false;
  #dropped = 0;
  #wake = new AbortController();
  #crisisWake = new AbortController();
  #stop = new AbortController();
  #idleWaiters: (() => void)[] = [];
  #loop: Promise<void>;

  /** @param options The channel and its collaborators. */
  constructor(options: ChannelSenderOptions) {
    this.#options = options;
    this.name = options.channel.name;
    this.#kind = channelKindOf(options.channel);
    this.#loop = this.#run();
  }

  /** In crisis mode, whether a send failed: the sequence must not wait for this channel. */
  get degraded(): boolean {
    return this.#degraded;
  }

  /** Notifications queued or in flight. */
  get depth(): number {
    return this.#queue.length + this.#inFlight;
  }

  /** Notifications dropped so far because the queue was full. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Nothing queued and nothing in flight. */
  get idle(): boolean {
    return this.#queue.length === 0 && this.#inFlight === 0;
  }

  /**
   * Queues a notification; drops the oldest non-critical one when full.
   *
   * @param notification What to send.
   */
  enqueue(notification: Notification): void {
    this.#queue.push(notification);
    if (this.#queue.length > this.#options.queueSize) {
      for (const severity of DROP_ORDER) {
        const index = this.#queue.findIndex((n) => n.severity === severity);
        if (index !== -1) {
          this.#queue.splice(index, 1);
          this.#dropped++;
          this.#options.logger.debug(
            "notify.dropped",
            "Notification queue full: dropped the oldest",
            {
              channel: this.name,
              severity,
            },
          );
          break;
        }
      }
    }
    this.#nudge();
  }

  /** From now on: the longer timeout, packed batches, no waiting on a failed channel. */
  setCrisis(): void {
    this.#crisis = true;
    // Wake the waits under way once; later backoffs of the crisis need a
    // signal that is not aborted already, or they would not wait at all.
    this.#crisisWake.abort();
    this.#crisisWake = new AbortController();
    this.#nudge();
  }

  /** Back to normal mode: the short timeout, and a failed send forgotten. */
  clearCrisis(): void {
    this.#crisis = false;
    this.#degraded = false;
    this.#crisisWake = new AbortController();
  }

  /**
   * Resolves once the channel is idle, or when `signal` aborts.
   *
   * @param signal Ends the wait early.
   */
  waitIdle(signal: AbortSignal): Promise<void> {
    if (this.idle || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        signal.removeEventListener("abort", done);
        resolve();
      };
      this.#idleWaiters.push(done);
      signal.addEventListener("abort", done, { once: true });
    });
  }

  /** Stops the sender loop; queued notifications are abandoned. */
  async close(): Promise<void> {
    this.#stop.abort();
    await this.#loop;
    if (this.#dropped > 0) {
      this.#options.logger.warning(
        "notify.dropped",
        "Notifications were dropped because the queue was full",
        {
          channel: this.name,
          count: this.#dropped,
        },
      );
    }
  }

  #nudge(): void {
    this.#wake.abort();
  }

  /**
   * Sleeps `ms`. `wake` says what ends it early besides a stop: any new
   * notification (an idle wait), the start of crisis mode (an error backoff or
   * a rate-limit wait, so the crisis is not delayed by a long one), or nothing
   * (a rate-limit wait in crisis mode, already bounded by the crisis timeout).
   */
  async #sleep(
    ms: number,
    wake: "notification" | "crisis" | "none" = "notification",
  ): Promise<void> {
    this.#wake = new AbortController();
    const signals = [this.#stop.signal];
    if (wake === "notification") signals.push(this.#wake.signal);
    if (wake === "crisis") signals.push(this.#crisisWake.signal);
    const signal = AbortSignal.any(signals);
    await this.#options.clock.sleep(ms, signal).catch(
      () => {/* woken early on purpose */},
    );
  }

  async #run(): Promise<void> {
    let backoff = this.#options.backoffMs ?? 1000;
    while (!this.#stop.signal.aborted) {
      if (this.#queue.length === 0) {
        for (const resolve of this.#idleWaiters.splice(0)) resolve();
        await this.#sleep(3_600_000);
        continue;
      }
      const { batch, body } = this.#nextRequest();
      this.#inFlight = batch.length;
      const result = await this.#send(body);
      this.#inFlight = 0;
      if (this.#stop.signal.aborted && result.kind === "retry") {
        // Closed mid-request: the receiver did not fail, the sender stopped.
        this.#queue.unshift(...batch);
        break;
      }
      if (result.kind === "ok" || result.kind === "drop") {
        backoff = this.#options.backoffMs ?? 1000;
        if (result.kind === "drop") {
          this.#options.logger.error(
            "notify.rejected",
            `Notification channel "${this.name}" rejected a message: ${result.why}`,
            {
              channel: this.name,
              status: result.status,
            },
          );
        } else if (this.#failing) {
          this.#failing = false;
          this.#options.logger.info(
            "notify.restored",
            `Notification channel "${this.name}" works again`,
            { channel: this.name },
          );
        }
        continue;
      }
      this.#queue.unshift(...batch);
      if (result.kind === "rate_limited") {
        this.#options.logger.debug(
          "notify.rate_limited",
          "Rate limited by the receiver",
          {
            channel: this.name,
            "retry_after_ms": result.retryAfterMs,
          },
        );
        await this.#waitRateLimit(result.retryAfterMs);
        continue;
      }
      if (this.#crisis) this.#degraded = true;
      if (!this.#failing) {
        this.#failing = true;
        this.#options.logger.warning(
          "notify.failed",
          `Cannot deliver to notification channel "${this.name}": ${result.why}; retrying with backoff`,
          {
            channel: this.name,
          },
        );
      }
      await this.#sleep(
        this.#crisis ? Math.min(backoff, 2000) : backoff,
        "crisis",
      );
      backoff = Math.min(backoff * 2, this.#options.maxBackoffMs ?? 60_000);
    }
  }

  /**
   * Waits what a 429 asked, new notifications or not, but at most
   * `maxRetryAfterMs`; in crisis mode (also when it starts during the wait)
   * at most the crisis timeout since the 429, so critical messages are not
   * held back through a shutdown by a long `retry_after`: the receiver is
   * asked again at most once per crisis timeout.
   */
  async #waitRateLimit(retryAfterMs: number): Promise<void> {
    const { clock, crisisTimeoutMs } = this.#options;
    const normalMs = Math.min(
      retryAfterMs,
      this.#options.maxRetryAfterMs ?? MAX_RETRY_AFTER_MS,
    );
    const started = clock.monotonic();
    while (!this.#stop.signal.aborted) {
      const crisis = this.#crisis;
      const boundMs = crisis ? Math.min(normalMs, crisisTimeoutMs) : normalMs;
      const leftMs = boundMs - (clock.monotonic() - started);
      if (leftMs <= 0) return;
      // Outside a crisis, its start ends the wait early to apply its bound.
      await this.#sleep(leftMs, crisis ? "none" : "crisis");
    }
  }

  /** Takes from the queue what one request carries: what the channel's kind packs into one body. */
  #nextRequest(): { batch: Notification[]; body: string } {
    const { count, json } = this.#kind.body(
      this.#queue.slice(0, this.#kind.batchSize),
      { colors: this.#options.colors },
    );
    return { batch: this.#queue.splice(0, count), body: json };
  }

  #send(body: string): Promise<PostResult> {
    return post({
      fetch: this.#options.fetch,
      clock: this.#options.clock,
      channel: this.#options.channel,
      body,
      timeoutMs: this.#crisis
        ? this.#options.crisisTimeoutMs
        : this.#options.timeoutMs,
      signal: this.#stop.signal,
    });
  }
}
