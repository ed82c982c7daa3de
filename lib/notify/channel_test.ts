import assert from "node:assert/strict";
import { parseConfig } from "../config/load.ts";
import { systemClock } from "../system/clock.ts";
import { startRecordingServer } from "../testing/http_server.ts";
import { idleWithin } from "../testing/channel_harness.ts";
import { MemoryLogger } from "../testing/memory_logger.ts";
import { pause } from "../testing/scripted_server.ts";
import { ChannelSender, type ChannelSenderOptions } from "./channel.ts";
import type { Notification, Severity } from "./notification.ts";

function sender(
  url: string,
  options: Partial<ChannelSenderOptions> = {},
): ChannelSender {
  const config = parseConfig(
    `ups: {name: ups@nas}
notifications:
  channels:
    - {kind: discord, url: "${url}/api/webhooks/1/secret-token"}`,
    "t.yaml",
  );
  return new ChannelSender({
    channel: config.notifications.channels[0]!,
    colors: config.notifications.colors,
    fetch,
    clock: systemClock,
    logger: new MemoryLogger(),
    queueSize: 10,
    timeoutMs: 300,
    crisisTimeoutMs: 300,
    ...options,
  });
}

function note(severity: Severity, title: string): Notification {
  return { event: "t", severity, title, message: "m", ups: "u", timeMs: 0 };
}

/** 429 with `retry_after` seconds for the first `limited` requests, then 204. */
function rateLimited(retryAfter: number, limited = 1) {
  return (_request: unknown, index: number) =>
    index < limited
      ? Response.json({ "retry_after": retryAfter }, { status: 429 })
      : new Response(null, { status: 204 });
}

Deno.test(
  "ChannelSender does not hammer a receiver whose retry_after overflows the timer",
  {
    timeout: 10_000,
  },
  async () => {
    // 3e6 s is 3e9 ms, past setTimeout's 2^31 ms range.
    await using server = startRecordingServer(rateLimited(3e6, Infinity));
    const channel = sender(server.url);
    channel.enqueue(note("info", "one"));
    await pause(600);
    await channel.close();
    assert.equal(
      server.requests.length,
      1,
      `${server.requests.length} requests in 600 ms`,
    );
  },
);

Deno.test(
  "ChannelSender keeps backing off from a failing receiver in crisis mode",
  {
    timeout: 10_000,
  },
  async () => {
    await using server = startRecordingServer(() =>
      new Response(null, { status: 502 })
    );
    const channel = sender(server.url, { backoffMs: 1000 });
    channel.setCrisis();
    channel.enqueue(note("critical", "one"));
    await pause(600);
    await channel.close();
    // One send, then a backoff (at most 2 s in a crisis), not a hot loop.
    assert.equal(
      server.requests.length,
      1,
      `${server.requests.length} requests in 600 ms`,
    );
  },
);

Deno.test(
  "ChannelSender waits at most maxRetryAfterMs behind a long retry_after",
  {
    timeout: 10_000,
  },
  async () => {
    await using server = startRecordingServer(rateLimited(3600));
    const channel = sender(server.url, { maxRetryAfterMs: 300 });
    channel.enqueue(note("info", "one"));
    assert.equal(await idleWithin(channel, 3000), true);
    await channel.close();
    const [first, second] = server.requests;
    const gap = (second?.atMs ?? 0) - (first?.atMs ?? 0);
    assert.ok(gap >= 280 && gap < 2000, `waited ${gap} ms`);
  },
);

Deno.test(
  "ChannelSender in crisis waits at most the crisis timeout behind a retry_after that began before the crisis",
  {
    timeout: 10_000,
  },
  async () => {
    await using server = startRecordingServer(rateLimited(30));
    const channel = sender(server.url, { crisisTimeoutMs: 500 });
    channel.enqueue(note("info", "before"));
    await server.waitForRequests(1);
    await pause(100);
    channel.setCrisis();
    channel.enqueue(note("critical", "shutdown"));
    assert.equal(await idleWithin(channel, 3000), true);
    await channel.close();
    const [first, second] = server.requests;
    const gap = (second?.atMs ?? 0) - (first?.atMs ?? 0);
    assert.ok(gap >= 480 && gap < 1500, `waited ${gap} ms, not 30 s`);
    assert.match(second?.body ?? "", /shutdown/);
  },
);

Deno.test(
  "ChannelSender logs a redirect as a rejected message without the address",
  {
    timeout: 10_000,
  },
  async () => {
    await using elsewhere = startRecordingServer();
    await using server = startRecordingServer(() =>
      new Response(null, {
        status: 308,
        headers: { location: `${elsewhere.url}/api/webhooks/1/secret-token` },
      })
    );
    const logger = new MemoryLogger();
    const channel = sender(server.url, { logger });
    channel.enqueue(note("warning", "On battery"));
    assert.equal(await idleWithin(channel, 3000), true);
    await channel.close();
    assert.equal(elsewhere.requests.length, 0);
    assert.deepEqual(logger.events("notify.rejected").map((e) => e.msg), [
      'Notification channel "discord" rejected a message: HTTP 308: the receiver answered a redirect to another address, which is not followed',
    ]);
    assert.ok(!JSON.stringify(logger.entries).includes("secret-token"));
  },
);
