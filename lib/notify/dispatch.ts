/**
 * The notifier the daemon uses: fans every notification out to one
 * {@linkcode ChannelSender} per configured channel (each with its own queue)
 * and logs it too. In crisis mode it keeps the sequence's time budget.
 *
 * @module
 */
import type { Config } from "../config/schema.ts";
import type { Clock } from "../system/clock.ts";
import type { Logger } from "../system/log.ts";
import { ChannelSender } from "./channel.ts";
import { LogNotifier, type Notification, type Notifier } from "./notifier.ts";

/** Collaborators of {@linkcode ChannelNotifier}. */
export interface ChannelNotifierOptions {
  config: Config;
  fetch: typeof globalThis.fetch;
  clock: Clock;
  logger: Logger;
}

/** One channel's queue, as `/metrics` shows it. */
export interface ChannelQueue {
  /** The channel's name. */
  readonly channel: string;
  /** Notifications queued or in flight. */
  readonly depth: number;
  /** Notifications dropped because the queue was full. */
  readonly dropped: number;
}

/** Notifier over every configured channel. */
export class ChannelNotifier implements Notifier {
  #senders: ChannelSender[];
  #log: LogNotifier;
  #clock: Clock;
  #budgetMs: number;
  #spentMs = 0;
  #crisis = false;

  /** @param options The config and collaborators. */
  constructor(options: ChannelNotifierOptions) {
    const { config } = options;
    this.#clock = options.clock;
    this.#log = new LogNotifier(options.logger);
    this.#budgetMs = config.notifications.crisis_budget;
    this.#senders = config.notifications.channels.map((channel) =>
      new ChannelSender({
        channel,
        colors: config.notifications.colors,
        fetch: options.fetch,
        clock: options.clock,
        logger: options.logger,
        queueSize: config.notifications.queue_size,
        timeoutMs: config.notifications.timeout,
        crisisTimeoutMs: config.notifications.crisis_timeout,
      })
    );
  }

  /**
   * Each channel's queue, for `/metrics`.
   *
   * @returns Name, notifications queued or in flight, and drops so far.
   */
  queues(): ChannelQueue[] {
    return this.#senders.map((sender) => ({
      channel: sender.name,
      depth: sender.depth,
      dropped: sender.dropped,
    }));
  }

  notify(notification: Notification): void {
    this.#log.notify(notification);
    for (const sender of this.#senders) sender.enqueue(notification);
  }

  enterCrisis(): void {
    this.#crisis = true;
    this.#log.enterCrisis();
    for (const sender of this.#senders) sender.setCrisis();
  }

  leaveCrisis(): void {
    this.#crisis = false;
    this.#spentMs = 0;
    this.#log.leaveCrisis();
    for (const sender of this.#senders) sender.clearCrisis();
  }

  async flush(
    timeoutMs: number,
    options: { final?: boolean } = {},
  ): Promise<boolean> {
    let bound = timeoutMs;
    const waitFor = this.#senders.filter((sender) => !sender.idle);
    if (waitFor.length === 0) return true;
    if (this.#crisis && !options.final) {
      // A channel that already failed in this crisis is not waited for again.
      if (waitFor.some((sender) => sender.degraded)) return false;
      bound = Math.min(bound, Math.max(0, this.#budgetMs - this.#spentMs));
    }
    const started = this.#clock.monotonic();
    const timer = new AbortController();
    const done = new AbortController();
    const timeout = this.#clock.sleep(bound, done.signal).then(
      () => timer.abort(),
      () => {/* all delivered first */},
    );
    await Promise.all(waitFor.map((sender) => sender.waitIdle(timer.signal)));
    done.abort();
    await timeout;
    if (this.#crisis && !options.final) {
      this.#spentMs += this.#clock.monotonic() - started;
    }
    return waitFor.every((sender) => sender.idle);
  }

  /**
   * Stops every sender; what is still queued is abandoned (call `flush` first).
   */
  async close(): Promise<void> {
    await Promise.all(this.#senders.map((sender) => sender.close()));
  }
}
