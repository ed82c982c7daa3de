/**
 * Sends notifications through one configured channel the way the daemon
 * does (a {@linkcode ChannelSender} with the real `fetch`), for the tests of
 * each channel kind against a loopback server. Test support only.
 *
 * @module
 */
import { parseConfig } from "../config/load.ts";
import type { ChannelConfig } from "../config/schema.ts";
import { ChannelSender } from "../notify/channel.ts";
import type { Colors } from "../notify/discord.ts";
import type { Notification } from "../notify/notification.ts";
import { systemClock } from "../system/clock.ts";
import { MemoryLogger } from "./memory_logger.ts";

/** A channel read from YAML, with the config's default palette. */
export interface TestChannel {
  channel: ChannelConfig;
  colors: Colors;
}

/**
 * Parses one channel as the config loader does.
 *
 * @param flow The channel as a YAML flow mapping, e.g. `{kind: ntfy, topic: t}`.
 * @returns The validated channel and the default colors.
 */
export function testChannel(flow: string): TestChannel {
  const config = parseConfig(
    `ups: {name: ups@nas}\nnotifications: {channels: [${flow}]}\n`,
    "t.yaml",
  );
  return {
    channel: config.notifications.channels[0]!,
    colors: config.notifications.colors,
  };
}

/** What {@linkcode deliver} saw. */
export interface Delivery {
  /** Every log entry of the sender. */
  logger: MemoryLogger;
  /** Whether the queue emptied within the wait. */
  idle: boolean;
}

/**
 * Queues `notifications` at once (so the sender may pack them), waits until
 * the sender is idle or `waitMs` passes, then closes it.
 *
 * @param target The channel.
 * @param notifications What to send, oldest first.
 * @param waitMs Longest wait for an empty queue. @default 5000
 * @returns The log and whether everything left the queue.
 */
export async function deliver(
  target: TestChannel,
  notifications: readonly Notification[],
  waitMs = 5000,
): Promise<Delivery> {
  const logger = new MemoryLogger();
  const sender = new ChannelSender({
    channel: target.channel,
    colors: target.colors,
    fetch,
    clock: systemClock,
    logger,
    queueSize: 100,
    timeoutMs: 3000,
    crisisTimeoutMs: 3000,
  });
  for (const notification of notifications) sender.enqueue(notification);
  const timer = new AbortController();
  const stop = setTimeout(() => timer.abort(), waitMs);
  await sender.waitIdle(timer.signal);
  clearTimeout(stop);
  const idle = sender.idle;
  await sender.close();
  return { logger, idle };
}

/**
 * Waits until a sender is idle, at most `ms`.
 *
 * @returns Whether it is idle: false when `ms` passed first.
 */
export async function idleWithin(
  channel: ChannelSender,
  ms: number,
): Promise<boolean> {
  const timer = new AbortController();
  const stop = setTimeout(() => timer.abort(), ms);
  await channel.waitIdle(timer.signal);
  clearTimeout(stop);
  return channel.idle;
}
