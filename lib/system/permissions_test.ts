import assert from "node:assert/strict";
import { parseConfig } from "../config/load.ts";
import { permissionNeeds } from "./permissions.ts";

Deno.test("permissionNeeds() asks for the host of each channel's address, named by its key", () => {
  const config = parseConfig(
    `ups: {name: ups@127.0.0.1}
notifications:
  channels:
    - {kind: discord, url: "https://discord.com/api/webhooks/1/secret"}
    - {kind: ntfy, topic: ups-alerts}
    - {kind: ntfy, server: "http://ntfy.lan:8080/base", topic: t, token: tk_x}
    - {kind: slack, url: "https://hooks.slack.com/services/T0/B0/secret"}
    - {kind: telegram, bot_token: "123:secret", chat_id: 42}
    - {kind: telegram, bot_token: "123:secret", chat_id: 42, api_url: "http://[::1]:8081"}
`,
    "t.yaml",
  );
  const needs = permissionNeeds(config, "/etc/ups-monitor/config.yaml", {
    steps: [],
  }).filter((need) => need.key?.startsWith("notifications."));
  assert.deepEqual(
    needs.map((need) => [need.key, need.what]),
    [
      ["notifications.channels.0.url", 'network access to "discord.com:443"'],
      ["notifications.channels.1.server", 'network access to "ntfy.sh:443"'],
      ["notifications.channels.2.server", 'network access to "ntfy.lan:8080"'],
      [
        "notifications.channels.3.url",
        'network access to "hooks.slack.com:443"',
      ],
      [
        "notifications.channels.4.api_url",
        'network access to "api.telegram.org:443"',
      ],
      ["notifications.channels.5.api_url", 'network access to "[::1]:8081"'],
    ],
  );
});
