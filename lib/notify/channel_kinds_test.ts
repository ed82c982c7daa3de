import assert from "node:assert/strict";
import { parseConfig } from "../config/load.ts";
import { effectiveConfig, secretsOf } from "../config/schema.ts";
import { type ChannelKind, channelKindOf } from "./channel_kinds.ts";
import type { Notification } from "./notification.ts";

/** One channel of every kind, with secrets in every place a kind keeps them. */
const SAMPLES: Record<ChannelKind, string> = {
  discord: `{kind: discord, url: "https://discord.com/api/webhooks/1/tok-d"}`,
  webhook:
    `{kind: webhook, url: "https://hook.example/tok-w", headers: {Authorization: "Bearer tok-h"}}`,
  ntfy: `{kind: ntfy, topic: ups-alerts, token: tk_tok-n}`,
  slack: `{kind: slack, url: "https://hooks.slack.com/services/T0/B0/tok-s"}`,
  telegram: `{kind: telegram, bot_token: "123456:tok-t", chat_id: -100123}`,
};

const NOTE: Notification = {
  event: "test.event",
  severity: "info",
  title: "t",
  message: "m",
  ups: "ups@nas",
  timeMs: 0,
};

Deno.test("every channel kind names its secrets, and check prints none of them", () => {
  for (const [kind, sample] of Object.entries(SAMPLES)) {
    const config = parseConfig(
      `ups: {name: ups@nas}\nnotifications: {channels: [${sample}]}\n`,
      "t.yaml",
    );
    const [channel] = config.notifications.channels;
    assert.equal(channel?.kind, kind);
    const secrets = secretsOf(config);
    assert.ok(secrets.some((secret) => secret.includes("tok-")), kind);
    const printed = JSON.stringify(effectiveConfig(config));
    assert.ok(!printed.includes("tok-"), `${kind}: ${printed}`);
  }
});

Deno.test("channelKindOf() packs at most batchSize notifications, at least one", () => {
  for (const sample of Object.values(SAMPLES)) {
    const config = parseConfig(
      `ups: {name: ups@nas}\nnotifications: {channels: [${sample}]}\n`,
      "t.yaml",
    );
    const kind = channelKindOf(config.notifications.channels[0]!);
    const batch = Array.from({ length: kind.batchSize + 3 }, () => NOTE);
    const { count, json } = kind.body(batch.slice(0, kind.batchSize), {
      colors: config.notifications.colors,
    });
    assert.ok(count >= 1 && count <= kind.batchSize);
    assert.doesNotThrow(() => JSON.parse(json));
  }
});
