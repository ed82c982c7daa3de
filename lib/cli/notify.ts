/**
 * `ups-monitor notify-test`: one test message per configured channel, and
 * what each receiver answered.
 *
 * @module
 */
import { DEFAULT_CONFIG_PATH } from "../config/load.ts";
import { loadForCommand } from "./config.ts";
import { channelKindOf } from "../notify/channel_kinds.ts";
import type { Notification } from "../notify/notifier.ts";
import { post, type PostResult } from "../notify/post.ts";
import { systemClock } from "../system/clock.ts";
import { VERSION } from "../version.ts";
import { parseCommandArgs } from "./args.ts";
import { type Command, UsageError } from "./context.ts";

function describe(result: PostResult): string {
  switch (result.kind) {
    case "ok":
      return `delivered (HTTP ${result.status})`;
    case "rate_limited":
      return `rate limited (HTTP 429, retry after ${result.retryAfterMs} ms)`;
    case "retry":
      return `failed: ${result.why}`;
    case "drop":
      return `failed: ${result.why}`;
  }
}

/** The `notify-test` subcommand. */
export const notifyTestCommand: Command = {
  summary: "send a test notification to every channel",
  usage: `Usage: ups-monitor notify-test [--config PATH]

Sends one test message to each channel in notifications.channels and prints
what each receiver answered. Exit 0 when every channel took its message, 1
when one failed, 2 when the config is invalid or has no channel.

Options:
  --config PATH   config file (default ${DEFAULT_CONFIG_PATH})
  -h, --help      show this help`,
  async run(context) {
    const { values } = parseCommandArgs(context.args, {
      config: { type: "string" },
    });
    const loaded = await loadForCommand(context, values["config"]);
    const { config } = loaded;
    if (config.notifications.channels.length === 0) {
      throw new UsageError(
        `"${loaded.path}" has no notification channels: add one under notifications.channels`,
      );
    }
    const notification: Notification = {
      event: "notify.test",
      severity: "info",
      title: "Test notification",
      message:
        "ups-monitor can reach this channel. Power events and shutdown steps will arrive here.",
      ups: config.ups.name,
      fields: { version: VERSION },
      timeMs: systemClock.now(),
    };
    let failures = 0;
    for (const channel of config.notifications.channels) {
      const { json } = channelKindOf(channel).body([notification], {
        colors: config.notifications.colors,
      });
      const request = {
        fetch,
        clock: systemClock,
        channel,
        body: json,
        timeoutMs: config.notifications.crisis_timeout,
      };
      let result = await post(request);
      if (result.kind === "rate_limited") {
        await systemClock.sleep(Math.min(result.retryAfterMs, 10_000));
        result = await post(request);
      }
      if (result.kind !== "ok") failures++;
      context.stdout.write(
        `${channel.name} (${channel.kind}): ${describe(result)}\n`,
      );
    }
    return failures === 0 ? 0 : 1;
  },
};
