/**
 * One notification channel's delivery: a bounded queue and a sender loop
 * that posts with a timeout, honours HTTP 429 `retry_after`, backs off on
 * 5xx and network errors, drops on other 4xx, and logs a failing webhook
 * once per outage. `enqueue()` never waits.
 *
 * @module
 */
import type { ChannelConfig } from "../config/schema.ts";
import type { Clock } from "../system/clock.ts";
import type { Logger } from "../system/log.ts";
import { buildEmbed, type Colors, packMessages } from "./discord.ts";
import type { Notification, Severity } from "./notifier.ts";
import { buildWebhookBody } from "./webhook.ts";

/** What a receiver answered to one request. */
export type PostResult =
  | { kind: "ok"; status: number }
  | { kind: "rate_limited"; status: 429; retryAfterMs: number }
  | { kind: "retry"; status?: number; why: string }
  | { kind: "drop"; status: number; why: string };

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
}

/** Which severities go first when the queue is full; critical never does. */
const DROP_ORDER: Severity[] = ["info", "recovery", "quality", "warning"];

/** Notifications a Discord message can carry; a generic webhook gets one per request. */
const DISCORD_BATCH = 10;

/**
 * Posts one request and classifies the answer. Never throws: network
 * errors and timeouts become `retry`.
 *
 * @param request Where and what to post.
 * @returns The classified answer.
 */
export async function post(request: {
  fetch: typeof globalThis.fetch;
  clock: Clock;
  url: string;
  body: string;
  headers: Record<string, string>;
  timeoutMs: number;
  signal?: AbortSignal;
}): Promise<PostResult> {
  const controller = new AbortController();
  const stopTimer = new AbortController();
  const onAbort = () => controller.abort();
  request.signal?.addEventListener("abort", onAbort, { once: true });
  request.clock.sleep(request.timeoutMs, stopTimer.signal).then(
    () => controller.abort(),
    () => {/* the request finished first */},
  );
  try {
    const response = await request.fetch(request.url, {
      method: "POST",
      headers: { "content-type": "application/json", ...request.headers },
      body: request.body,
      signal: controller.signal,
    });
    const text = await response.text();
    const status = response.status;
    if (status >= 200 && status < 300) return { kind: "ok", status };
    if (status === 429) {
      return {
        kind: "rate_limited",
        status,
        retryAfterMs: retryAfter(response, text),
      };
    }
    if (status >= 500 || status === 408) {
      return { kind: "retry", status, why: `HTTP ${status}` };
    }
    return { kind: "drop", status, why: describeStatus(status) };
  } catch (error) {
    if (controller.signal.aborted) {
      return {
        kind: "retry",
        why: request.signal?.aborted
          ? "cancelled"
          : `timed out after ${request.timeoutMs} ms`,
      };
    }
    // The message of a fetch error may quote the URL, which is a secret.
    return {
      kind: "retry",
      why: error instanceof TypeError ? "network error" : "request failed",
    };
  } finally {
    stopTimer.abort();
    request.signal?.removeEventListener("abort", onAbort);
  }
}

/** `retry_after` in seconds from Discord's JSON body, else the Retry-After header. */
function retryAfter(response: Response, text: string): number {
  try {
    const body = JSON.parse(text) as { retry_after?: unknown };
    if (typeof body.retry_after === "number" && body.retry_after >= 0) {
      return Math.ceil(body.retry_after * 1000);
    }
  } catch {
    // Not JSON: fall back to the header.
  }
  const header = Number(response.headers.get("retry-after"));
  return Number.isFinite(header) && header >= 0
    ? Math.ceil(header * 1000)
    : 1000;
}

function describeStatus(status: number): string {
  if (status === 401 || status === 403) {
    return `HTTP ${status}: the receiver refused the request (check the token or headers)`;
  }
  if (status === 404) {
    return "HTTP 404: the webhook does not exist (wrong or deleted URL)";
  }
  return `HTTP ${status}: the receiver rejected the message`;
}

/** A queue and a sender loop for one configured channel. */
export class ChannelSender {
  readonly name: string;
  #options: ChannelSenderOptions;
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
    this.#loop = this.#run();
  }

  /** In crisis mode, whether a send failed: the sequence must not wait for this channel. */
  get degraded(): boolean {
    return this.#degraded;
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
    this.#crisisWake.abort();
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
   * notification (an idle wait), the start of crisis mode (an error backoff,
   * so the crisis is not delayed by a long one), or nothing (a rate-limit
   * wait: Discord asks for exactly that long).
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
        await this.#sleep(result.retryAfterMs, "none");
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

  /** Takes from the queue what one request carries: up to 10 embeds within 6000 characters for Discord, one event otherwise. */
  #nextRequest(): { batch: Notification[]; body: string } {
    const { channel, colors } = this.#options;
    if (channel.kind !== "discord") {
      const batch = this.#queue.splice(0, 1);
      return { batch, body: JSON.stringify(buildWebhookBody(batch[0]!)) };
    }
    const candidates = this.#queue.slice(0, DISCORD_BATCH);
    const [first] = packMessages(
      candidates.map((n) => buildEmbed(n, colors)),
      channel.username,
    );
    const batch = this.#queue.splice(0, first!.embeds.length);
    return { batch, body: JSON.stringify(first) };
  }

  #send(body: string): Promise<PostResult> {
    const { channel } = this.#options;
    return post({
      fetch: this.#options.fetch,
      clock: this.#options.clock,
      url: channel.url,
      body,
      headers: channel.kind === "webhook" ? channel.headers : {},
      timeoutMs: this.#crisis
        ? this.#options.crisisTimeoutMs
        : this.#options.timeoutMs,
      signal: this.#stop.signal,
    });
  }
}
