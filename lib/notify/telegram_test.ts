import assert from "node:assert/strict";
import { parseConfig } from "../config/load.ts";
import { effectiveConfig } from "../config/schema.ts";
import { systemClock } from "../system/clock.ts";
import { deliver, testChannel } from "../testing/channel_harness.ts";
import { startRecordingServer } from "../testing/http_server.ts";
import type { Notification, Severity } from "./notification.ts";
import { post } from "./post.ts";
import {
  buildTelegramMessage,
  TELEGRAM_LIMITS,
  telegramBlock,
  telegramErrorText,
} from "./telegram.ts";

const TOKEN = "123456789:AAsecretTelegramToken_0123";

function note(overrides: Partial<Notification> = {}): Notification {
  return {
    event: "power.on_battery",
    severity: "warning",
    title: "On battery",
    message: "Mains power failed",
    ups: "ups@nas",
    fields: { charge: "97 %" },
    timeMs: Date.UTC(2026, 10, 27, 10),
    ...overrides,
  };
}

function telegram(server: string, chatId = "-1001234567890") {
  return testChannel(
    `{kind: telegram, name: phone, bot_token: "${TOKEN}", chat_id: ${chatId}, api_url: "${server}/"}`,
  );
}

Deno.test("telegramBlock() heads each notification with its severity's emoji and a bold title", () => {
  const cases: [Severity, string][] = [
    ["critical", "🚨"],
    ["warning", "⚠️"],
    ["quality", "⚡"],
    ["recovery", "✅"],
    ["info", "ℹ️"],
  ];
  for (const [severity, emoji] of cases) {
    assert.ok(
      telegramBlock(note({ severity })).startsWith(
        `${emoji} <b>On battery</b>\n`,
      ),
      severity,
    );
  }
  assert.equal(
    telegramBlock(note()),
    "⚠️ <b>On battery</b>\nMains power failed\ncharge: 97 %\n<i>ups-monitor · ups@nas</i>",
  );
});

Deno.test("telegramBlock() escapes HTML and cuts the text, not an entity, to 4096", () => {
  assert.equal(
    telegramBlock(note({ title: "<b>&", message: "a < b > c", fields: {} })),
    "⚠️ <b>&lt;b&gt;&amp;</b>\na &lt; b &gt; c\n<i>ups-monitor · ups@nas</i>",
  );
  const block = telegramBlock(note({ message: "<&>".repeat(3000) }));
  assert.ok(block.length <= TELEGRAM_LIMITS.text, String(block.length));
  assert.ok(block.length > TELEGRAM_LIMITS.text - 10, String(block.length));
  assert.match(block, /(&lt;|&amp;|&gt;)…\ncharge: 97 %|…\n<i>/);
  assert.doesNotMatch(block, /&[a-z]*…/, "no entity is split by the cut");
});

Deno.test("buildTelegramMessage() packs in order, at most 10 blocks and 4096 characters", () => {
  const small = Array.from(
    { length: 25 },
    (_, i) => note({ title: `step ${i}` }),
  );
  const counts: number[] = [];
  let rest = small;
  while (rest.length > 0) {
    const { message, count } = buildTelegramMessage("1", rest);
    assert.equal(message.text.split("\n\n").length, count);
    counts.push(count);
    rest = rest.slice(count);
  }
  assert.deepEqual(counts, [10, 10, 5]);
  const big = Array.from(
    { length: 3 },
    () => note({ message: "x".repeat(3000) }),
  );
  const { message, count } = buildTelegramMessage("1", big);
  assert.equal(count, 1);
  assert.ok(message.text.length <= TELEGRAM_LIMITS.text);
  assert.deepEqual(
    { ...message, text: "" },
    { "chat_id": "1", text: "", "parse_mode": "HTML" },
  );
});

Deno.test("telegramErrorText() reads the description, and a group's new chat id", () => {
  assert.equal(
    telegramErrorText(
      '{"ok":false,"error_code":400,"description":"Bad Request: chat not found"}',
    ),
    "Bad Request: chat not found",
  );
  assert.equal(
    telegramErrorText(
      '{"ok":false,"error_code":400,"description":"Bad Request: group chat was upgraded to a supergroup chat","parameters":{"migrate_to_chat_id":-1009876543210}}',
    ),
    'Bad Request: group chat was upgraded to a supergroup chat; the chat id is now "-1009876543210"',
  );
  assert.equal(telegramErrorText("<html>bad gateway</html>"), undefined);
});

Deno.test(
  "a Telegram channel calls sendMessage with the chat id and HTML text, one request for a burst",
  { timeout: 10_000 },
  async () => {
    await using server = startRecordingServer(() =>
      Response.json({ ok: true, result: { "message_id": 1 } })
    );
    const batch = [note({ severity: "critical", title: "Shutdown" }), note()];
    const { logger, idle } = await deliver(telegram(server.url), batch);
    assert.equal(idle, true);
    assert.deepEqual(
      server.requests.map((r) => [r.method, r.path, r.headers["content-type"]]),
      [["POST", `/bot${TOKEN}/sendMessage`, "application/json"]],
    );
    assert.deepEqual(JSON.parse(server.requests[0]?.body ?? ""), {
      "chat_id": "-1001234567890",
      text: `${telegramBlock(batch[0]!)}\n\n${telegramBlock(batch[1]!)}`,
      "parse_mode": "HTML",
    });
    assert.ok(!JSON.stringify(logger.entries).includes(TOKEN));
  },
);

Deno.test(
  "a Telegram channel waits the retry_after of a 429's parameters",
  { timeout: 10_000 },
  async () => {
    const limited = {
      ok: false,
      "error_code": 429,
      description: "Too Many Requests: retry after 1",
      parameters: { "retry_after": 1 },
    };
    // The first answer goes to post(), the second to the sender.
    await using server = startRecordingServer((_request, index) =>
      index <= 1
        ? Response.json(limited, { status: 429 })
        : Response.json({ ok: true, result: {} })
    );
    const target = telegram(server.url, '"@ups_alerts"');
    assert.deepEqual(
      await post({
        fetch,
        clock: systemClock,
        channel: target.channel,
        body: "{}",
        timeoutMs: 3000,
      }),
      { kind: "rate_limited", status: 429, retryAfterMs: 1000 },
    );
    const { idle } = await deliver(target, [note()]);
    assert.equal(idle, true);
    const [, first, second] = server.requests;
    const gap = (second?.atMs ?? 0) - (first?.atMs ?? 0);
    assert.ok(gap >= 950, `retried after ${gap} ms`);
    assert.equal(JSON.parse(second?.body ?? "").chat_id, "@ups_alerts");
  },
);

Deno.test(
  "a Telegram channel logs the Bot API's description of a refusal, never the token",
  { timeout: 10_000 },
  async () => {
    const answers = [
      [400, "Bad Request: chat not found"],
      [401, `Unauthorized: ${TOKEN}`],
      [404, "Not Found"],
    ] as const;
    await using server = startRecordingServer((_request, index) => {
      const [status, description] = answers[index] ?? [500, "?"];
      return Response.json({ ok: false, "error_code": status, description }, {
        status,
      });
    });
    const { logger } = await deliver(telegram(server.url), [
      note({ title: "one" }),
    ]);
    const second = await deliver(telegram(server.url), [note()]);
    const third = await deliver(telegram(server.url), [note()]);
    assert.deepEqual(
      [logger, second.logger, third.logger].flatMap((l) =>
        l.events("notify.rejected").map((e) => e.msg)
      ),
      [
        'Notification channel "phone" rejected a message: HTTP 400: the receiver rejected the message: "Bad Request: chat not found"',
        'Notification channel "phone" rejected a message: HTTP 401: the receiver refused the request (check the token or headers): "Unauthorized: ***"',
        'Notification channel "phone" rejected a message: HTTP 404: the Bot API does not know this bot (check the bot token and the API URL): "Not Found"',
      ],
    );
    for (const l of [logger, second.logger, third.logger]) {
      assert.ok(!JSON.stringify(l.entries).includes(TOKEN));
    }
  },
);

Deno.test("effectiveConfig() prints a Telegram chat id as written, the token masked", () => {
  const config = parseConfig(
    `ups: {name: ups@nas}
notifications:
  channels:
    - {kind: telegram, bot_token: "${TOKEN}", chat_id: -1001234567890}
    - {kind: telegram, bot_token: "${TOKEN}", chat_id: "@ups_alerts"}
`,
    "t.yaml",
  );
  const shown = effectiveConfig(config) as {
    notifications: { channels: Record<string, unknown>[] };
  };
  assert.deepEqual(
    shown.notifications.channels.map((c) => [c["chat_id"], c["bot_token"]]),
    [["-1001234567890", "***"], ["@ups_alerts", "***"]],
  );
});
