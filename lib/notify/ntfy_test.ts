import assert from "node:assert/strict";
import { systemClock } from "../system/clock.ts";
import { deliver, testChannel } from "../testing/channel_harness.ts";
import { startRecordingServer } from "../testing/http_server.ts";
import type { Notification, Severity } from "./notification.ts";
import { buildNtfyMessage, NTFY_LIMITS } from "./ntfy.ts";
import { post } from "./post.ts";
import { utf8Length } from "./text.ts";

const TOKEN = "tk_secretntfytoken0123";

function note(overrides: Partial<Notification> = {}): Notification {
  return {
    event: "power.on_battery",
    severity: "warning",
    title: "On battery",
    message: "Mains power failed",
    ups: "ups@nas",
    fields: { charge: "97 %", runtime: "30 min" },
    timeMs: Date.UTC(2026, 10, 27, 10),
    ...overrides,
  };
}

function ntfy(server: string, extra = `, token: ${TOKEN}`) {
  return testChannel(
    `{kind: ntfy, name: phone, server: "${server}/base/", topic: ups-alerts${extra}}`,
  );
}

Deno.test("buildNtfyMessage() takes priority and tags from the severity", () => {
  const cases: [Severity, number, string][] = [
    ["critical", 5, "rotating_light"],
    ["warning", 4, "warning"],
    ["quality", 3, "zap"],
    ["recovery", 3, "white_check_mark"],
    ["info", 3, "information_source"],
  ];
  for (const [severity, priority, tag] of cases) {
    const message = buildNtfyMessage("t", note({ severity }));
    assert.equal(message.priority, priority, severity);
    assert.deepEqual(message.tags, [tag, "power.on_battery"], severity);
  }
  assert.deepEqual(buildNtfyMessage("ups-alerts", note()), {
    topic: "ups-alerts",
    title: "On battery",
    message:
      "Mains power failed\ncharge: 97 %\nruntime: 30 min\nups-monitor · ups@nas",
    priority: 4,
    tags: ["warning", "power.on_battery"],
  });
});

Deno.test("buildNtfyMessage() cuts the message to 4096 bytes and the JSON to 8192, with a marker", () => {
  const long = buildNtfyMessage(
    "t",
    note({ title: "t".repeat(300), message: "é".repeat(5000) }),
  );
  assert.ok(utf8Length(long.message) <= NTFY_LIMITS.messageBytes);
  assert.ok(utf8Length(long.message) > NTFY_LIMITS.messageBytes - 4);
  assert.ok(long.message.endsWith("…"));
  assert.equal([...long.title].length, NTFY_LIMITS.title);
  // Control characters take six bytes each once JSON-escaped.
  const escaped = buildNtfyMessage(
    "t",
    note({ message: "\u0001".repeat(4000) }),
  );
  const size = utf8Length(JSON.stringify(escaped));
  assert.ok(size <= NTFY_LIMITS.bodyBytes, String(size));
  assert.ok(size > NTFY_LIMITS.bodyBytes - 8, `cut too far: ${size}`);
  assert.ok(escaped.message.endsWith("…"));
});

Deno.test(
  "an ntfy channel publishes JSON to the server's root with the token as a bearer",
  { timeout: 10_000 },
  async () => {
    await using server = startRecordingServer(() =>
      Response.json({ id: "abc", event: "message" })
    );
    const { logger, idle } = await deliver(ntfy(server.url), [
      note(),
      note({ severity: "critical", title: "Shutdown triggered" }),
    ]);
    assert.equal(idle, true);
    assert.deepEqual(
      server.requests.map((r) => [r.method, r.path]),
      [["POST", "/base/"], ["POST", "/base/"]],
      "one message a request",
    );
    const [first, second] = server.requests;
    assert.equal(first?.headers["authorization"], `Bearer ${TOKEN}`);
    assert.equal(first?.headers["content-type"], "application/json");
    assert.deepEqual(
      JSON.parse(first?.body ?? ""),
      buildNtfyMessage("ups-alerts", note()),
    );
    assert.equal(JSON.parse(second?.body ?? "").priority, 5);
    assert.ok(!JSON.stringify(logger.entries).includes(TOKEN));
  },
);

Deno.test(
  "an ntfy channel without a token sends no Authorization header",
  { timeout: 10_000 },
  async () => {
    await using server = startRecordingServer();
    await deliver(ntfy(server.url, ""), [note()]);
    assert.equal(server.requests.length, 1);
    assert.equal(server.requests[0]?.headers["authorization"], undefined);
  },
);

Deno.test(
  "an ntfy channel logs ntfy's own error text for a refusal, never the token",
  { timeout: 10_000 },
  async () => {
    await using server = startRecordingServer(() =>
      Response.json({
        code: 40101,
        http: 401,
        error: `unauthorized: token ${TOKEN}`,
        link: "https://ntfy.sh/docs/publish/#authentication",
      }, { status: 401 })
    );
    const { logger } = await deliver(ntfy(server.url), [note()]);
    assert.deepEqual(logger.events("notify.rejected").map((e) => e.msg), [
      'Notification channel "phone" rejected a message: HTTP 401: the receiver refused the request (check the token or headers): "unauthorized: token ***"',
    ]);
    assert.ok(!JSON.stringify(logger.entries).includes(TOKEN));
  },
);

Deno.test(
  "an ntfy channel retries after a 429, which names no wait: 1 s",
  { timeout: 10_000 },
  async () => {
    // The first answer goes to post(), the second to the sender.
    await using server = startRecordingServer((_request, index) =>
      index <= 1
        ? Response.json({
          code: 42901,
          http: 429,
          error: "limit reached: too many requests, please be nice",
        }, { status: 429 })
        : Response.json({ id: "abc" })
    );
    const target = ntfy(server.url);
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
    const { idle, logger } = await deliver(target, [note()]);
    assert.equal(idle, true);
    const [, limited, delivered] = server.requests;
    assert.equal(limited?.body, delivered?.body, "the same message again");
    const gap = (delivered?.atMs ?? 0) - (limited?.atMs ?? 0);
    assert.ok(gap >= 950, `retried after ${gap} ms`);
    assert.deepEqual(logger.events("notify.rejected"), []);
  },
);
