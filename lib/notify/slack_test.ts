import assert from "node:assert/strict";
import { systemClock } from "../system/clock.ts";
import { deliver, testChannel } from "../testing/channel_harness.ts";
import { startRecordingServer } from "../testing/http_server.ts";
import { channelKindOf } from "./channel_kinds.ts";
import type { Notification, Severity } from "./notification.ts";
import { post, type PostResult } from "./post.ts";
import {
  attachmentSize,
  buildSlackPayload,
  SLACK_LIMITS,
  type SlackPayload,
  webhookToken,
} from "./slack.ts";

const COLORS = {
  red: 0xff0000,
  orange: 0xff8800,
  yellow: 0xffff00,
  green: 0x00ff00,
  blue: 0x0000ff,
};
const SECRET = "XXsecretslacktoken0123";

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

function slack(server: string) {
  return testChannel(
    `{kind: slack, name: team, url: "${server}/services/T0/B0/${SECRET}"}`,
  );
}

Deno.test("buildSlackPayload() colors each attachment and picks the emoji by severity", () => {
  const cases: [Severity, string, string][] = [
    ["critical", "#ff0000", ":rotating_light:"],
    ["warning", "#ff8800", ":warning:"],
    ["quality", "#ffff00", ":zap:"],
    ["recovery", "#00ff00", ":white_check_mark:"],
    ["info", "#0000ff", ":information_source:"],
  ];
  for (const [severity, color, emoji] of cases) {
    const { payload } = buildSlackPayload([note({ severity })], COLORS, null);
    assert.equal(payload.attachments[0]?.color, color, severity);
    assert.equal(payload.text, `${emoji} On battery`, severity);
  }
  assert.deepEqual(buildSlackPayload([note()], COLORS, "ups-monitor"), {
    count: 1,
    payload: {
      text: ":warning: On battery",
      username: "ups-monitor",
      attachments: [{
        fallback: "On battery: Mains power failed",
        color: "#ff8800",
        title: "On battery",
        text: "Mains power failed",
        fields: [{ title: "charge", value: "97 %", short: true }],
        footer: "ups-monitor · ups@\u2060nas",
        ts: Date.UTC(2026, 10, 27, 10) / 1000,
      }],
    },
  });
});

Deno.test("buildSlackPayload() escapes markup and mentions so UPS text pings nobody", () => {
  const { payload } = buildSlackPayload(
    [note({ title: "<!channel>", message: "a & b <@U123> @here" })],
    COLORS,
    null,
  );
  assert.equal(payload.text, ":warning: &lt;!channel&gt;");
  assert.equal(
    payload.attachments[0]?.text,
    "a &amp; b &lt;@\u2060U123&gt; @\u2060here",
  );
});

Deno.test("buildSlackPayload() packs in order, at most 10 attachments and 6000 characters a message", () => {
  const pack = (batch: Notification[]) => {
    const messages: SlackPayload[] = [];
    let rest = batch;
    while (rest.length > 0) {
      const { payload, count } = buildSlackPayload(rest, COLORS, null);
      assert.ok(count >= 1);
      messages.push(payload);
      rest = rest.slice(count);
    }
    return messages;
  };
  const small = Array.from(
    { length: 25 },
    (_, i) => note({ title: `step ${i}` }),
  );
  const packed = pack(small);
  assert.deepEqual(packed.map((p) => p.attachments.length), [10, 10, 5]);
  assert.deepEqual(
    packed.flatMap((p) => p.attachments.map((a) => a.title)),
    small.map((n) => n.title),
  );
  assert.equal(packed[0]?.text, ":warning: step 0 (and 9 more)");

  const big = Array.from({ length: 5 }, () =>
    note({
      message: "x".repeat(5000),
      fields: Object.fromEntries(
        Array.from({ length: 30 }, (_, i) => [`f${i}`, "y".repeat(2000)]),
      ),
    }));
  const split = pack(big);
  assert.ok(split.length >= 3, String(split.length));
  for (const payload of split) {
    const size = payload.attachments.reduce(
      (sum, a) => sum + attachmentSize({ ...a, fallback: "" }),
      0,
    );
    assert.ok(size <= SLACK_LIMITS.message, String(size));
    for (const attachment of payload.attachments) {
      assert.ok([...attachment.text].length <= SLACK_LIMITS.attachmentText);
      assert.ok(attachment.text.endsWith("…"));
    }
  }
  assert.equal(split.reduce((sum, p) => sum + p.attachments.length, 0), 5);
});

Deno.test(
  "a Slack channel posts one JSON message with an attachment per queued notification",
  { timeout: 10_000 },
  async () => {
    await using server = startRecordingServer(() => new Response("ok"));
    const target = slack(server.url);
    const batch = [
      note({ severity: "critical", title: "Shutdown triggered" }),
      note({ severity: "info", title: "Step VMs" }),
      note({ severity: "info", title: "Step containers" }),
    ];
    const { logger, idle } = await deliver(target, batch);
    assert.equal(idle, true);
    assert.deepEqual(
      server.requests.map((r) => [r.method, r.path, r.headers["content-type"]]),
      [["POST", `/services/T0/B0/${SECRET}`, "application/json"]],
    );
    const body = JSON.parse(server.requests[0]?.body ?? "");
    assert.deepEqual(
      body,
      buildSlackPayload(batch, target.colors, null).payload,
    );
    assert.equal(body.text, ":rotating_light: Shutdown triggered (and 2 more)");
    assert.ok(!JSON.stringify(logger.entries).includes(SECRET));
  },
);

Deno.test(
  "a Slack channel waits what the Retry-After header of a 429 asks",
  { timeout: 10_000 },
  async () => {
    // The first answer goes to post(), the second to the sender.
    await using server = startRecordingServer((_request, index) =>
      index <= 1
        ? new Response("rate_limited", {
          status: 429,
          headers: { "retry-after": "1" },
        })
        : new Response("ok")
    );
    const target = slack(server.url);
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
    const [, limited, delivered] = server.requests;
    const gap = (delivered?.atMs ?? 0) - (limited?.atMs ?? 0);
    assert.ok(gap >= 950, `retried after ${gap} ms`);
    assert.equal(limited?.body, delivered?.body);
  },
);

Deno.test(
  "a Slack channel reports Slack's and Mattermost's error text, never the URL",
  { timeout: 10_000 },
  async () => {
    const cases: [Response, string][] = [
      [
        new Response("invalid_payload", { status: 400 }),
        'HTTP 400: the receiver rejected the message: "invalid_payload"',
      ],
      [
        new Response("no_service", { status: 404 }),
        'HTTP 404: the webhook does not exist (wrong or deleted URL): "no_service"',
      ],
      [
        new Response("channel_is_archived", { status: 410 }),
        'HTTP 410: the receiver rejected the message: "channel_is_archived"',
      ],
      [
        Response.json({
          id: "web.incoming_webhook.invalid.app_error",
          message: "Invalid webhook.",
          "status_code": 400,
        }, { status: 400 }),
        'HTTP 400: the receiver rejected the message: "Invalid webhook."',
      ],
      [
        new Response(`<html>no hook ${SECRET}</html>`, { status: 403 }),
        "HTTP 403: the receiver refused the request (check the token or headers)",
      ],
    ];
    for (const [response, why] of cases) {
      await using server = startRecordingServer(() => response);
      const target = slack(server.url);
      const result: PostResult = await post({
        fetch,
        clock: systemClock,
        channel: target.channel,
        body: "{}",
        timeoutMs: 3000,
      });
      assert.deepEqual(result, { kind: "drop", status: response.status, why });
    }
    await using server = startRecordingServer(() =>
      new Response(`invalid_token for ${SECRET}`, { status: 403 })
    );
    const { logger } = await deliver(slack(server.url), [note()]);
    assert.deepEqual(logger.events("notify.rejected").map((e) => e.msg), [
      'Notification channel "team" rejected a message: HTTP 403: the receiver refused the request (check the token or headers): "invalid_token for ***"',
    ]);
    assert.ok(!JSON.stringify(logger.entries).includes(SECRET));
  },
);

Deno.test("channelKindOf() of a Slack channel posts to its URL, which is its secret", () => {
  const { channel } = testChannel(
    `{kind: slack, url: "https://hooks.slack.com/services/T0/B0/${SECRET}"}`,
  );
  const kind = channelKindOf(channel);
  assert.equal(kind.url(), `https://hooks.slack.com/services/T0/B0/${SECRET}`);
  assert.deepEqual(kind.secrets(), [kind.url(), SECRET]);
  assert.deepEqual(kind.headers(), {});
});

Deno.test("webhookToken() masks a webhook's token segment, not a short path word", () => {
  assert.deepEqual(
    webhookToken("https://chat.example.net/hooks/xk3j9s8d7f6g5h4j3k2l1"),
    ["xk3j9s8d7f6g5h4j3k2l1"],
  );
  assert.deepEqual(webhookToken("http://127.0.0.1:8065/hooks/abc"), []);
  assert.deepEqual(webhookToken("https://example.net/hook/"), []);
  assert.deepEqual(webhookToken("https://a-long-host-name.example.net"), []);
  assert.deepEqual(
    webhookToken("https://h.example.net/hooks/xk3j9s8d7f6g5h4j3k2l1/?x=1"),
    ["xk3j9s8d7f6g5h4j3k2l1"],
  );
});
