import assert from "node:assert/strict";
import { parseConfig } from "../config/load.ts";
import { systemClock } from "../system/clock.ts";
import {
  fakeDiscordResponder,
  replayFakeDiscord,
} from "../testing/fake_discord.ts";
import {
  type RecordedRequest,
  type Responder,
  startRecordingServer,
} from "../testing/http_server.ts";
import { idleWithin } from "../testing/channel_harness.ts";
import { MemoryLogger } from "../testing/memory_logger.ts";
import { pause } from "../testing/scripted_server.ts";
import { ChannelSender, type ChannelSenderOptions } from "./channel.ts";
import type { Embed } from "./discord.ts";
import type { Notification, StepProgress } from "./notification.ts";

const HOOK = "/api/webhooks/77/incident-secret-token";

function sender(
  url: string,
  options: Partial<ChannelSenderOptions> & { kind?: string } = {},
): ChannelSender {
  const { kind = "discord", ...rest } = options;
  const config = parseConfig(
    `ups: {name: ups@nas}
notifications:
  channels:
    - {kind: ${kind}, url: "${url}${HOOK}"}`,
    "t.yaml",
  );
  return new ChannelSender({
    channel: config.notifications.channels[0]!,
    colors: config.notifications.colors,
    fetch,
    clock: systemClock,
    logger: new MemoryLogger(),
    queueSize: 100,
    timeoutMs: 2000,
    crisisTimeoutMs: 2000,
    backoffMs: 200,
    ...rest,
  });
}

function note(event: string, title: string): Notification {
  return {
    event,
    severity: "critical",
    title,
    message: title,
    ups: "ups@nas",
    timeMs: 0,
  };
}

/** The start or end of a step, as the sequence notifies it. */
function step(id: string, phase: StepProgress["phase"]): Notification {
  const ended = phase !== "start";
  return {
    event: "shutdown.step",
    severity: "info",
    title: ended ? `Step ${id}: ${phase}` : `Step ${id}`,
    message: ended ? `Summary of ${id}` : "Starting",
    ups: "ups@nas",
    timeMs: 0,
    step: {
      id,
      title: `Step ${id}`,
      phase,
      dryRun: false,
      ...(ended ? { durationMs: 1200, summary: `Summary of ${id}` } : {}),
    },
  };
}

/** Titles of the embeds of the messages of their own (posts without `wait`). */
function messageTitles(requests: readonly RecordedRequest[]): string[] {
  return requests.filter((r) => r.method === "POST" && r.query === "")
    .flatMap((r) =>
      (JSON.parse(r.body) as { embeds: Embed[] }).embeds.map((e) => e.title)
    );
}

/** The table an incident post or edit showed. */
function tableOf(request: RecordedRequest): string {
  return (JSON.parse(request.body) as { embeds: Embed[] }).embeds[0]!
    .description;
}

const tables = (requests: readonly RecordedRequest[]) =>
  requests.filter((r) => r.method === "PATCH" || r.query === "?wait=true");

const fakeDiscord = () => fakeDiscordResponder(HOOK);

Deno.test(
  "ChannelSender keeps a sequence's steps in one Discord message, posted below the trigger and edited, the final table before the summary",
  { timeout: 20_000 },
  async () => {
    await using server = startRecordingServer(fakeDiscord());
    const channel = sender(server.url);
    channel.setCrisis();
    channel.enqueue(note("shutdown.triggered", "Shutdown triggered"));
    channel.enqueue(step("vms", "start"));
    await pause(100);
    channel.enqueue(step("vms", "done"));
    channel.enqueue(step("sync", "start"));
    await pause(100);
    channel.enqueue(step("sync", "failed"));
    channel.enqueue(note("shutdown.summary", "Shutting down this host"));
    assert.equal(await idleWithin(channel, 10_000), true);
    await channel.close();

    const requests = server.requests;
    assert.deepEqual(messageTitles(requests), [
      "Shutdown triggered",
      "Shutting down this host",
    ]);
    const posts = requests.filter((r) => r.query === "?wait=true");
    assert.equal(posts.length, 1, "one incident message");
    assert.ok(requests.indexOf(posts[0]!) === 1, "right after the trigger");
    const answers = replayFakeDiscord(requests, HOOK);
    const id = answers.find((a) => a.request === posts[0])!.id;
    const edits = requests.filter((r) => r.method === "PATCH");
    assert.ok(edits.length >= 1);
    assert.ok(edits.every((r) => r.path === `${HOOK}/messages/${id}`));
    assert.deepEqual(answers.map((a) => a.status).filter((s) => s >= 300), []);
    const summary = requests.at(-1)!;
    assert.match(summary.body, /Shutting down this host/);
    assert.equal(
      tableOf(tables(requests).at(-1)!),
      [
        "✅ **Step vms** · done in 1.2 s · Summary of vms",
        "❌ **Step sync** · failed after 1.2 s · Summary of sync",
      ].join("\n"),
    );
    assert.ok(
      requests.indexOf(tables(requests).at(-1)!) < requests.indexOf(summary),
    );
  },
);

Deno.test(
  "ChannelSender coalesces edits that come faster than Discord's rate limit and never exceeds it",
  { timeout: 30_000 },
  async () => {
    await using server = startRecordingServer(fakeDiscord());
    const channel = sender(server.url);
    channel.setCrisis();
    channel.enqueue(note("shutdown.triggered", "Shutdown triggered"));
    // 24 updates over 2.4 s: one every 100 ms.
    for (let i = 0; i < 12; i++) {
      channel.enqueue(step(`s${i}`, "start"));
      await pause(100);
      channel.enqueue(step(`s${i}`, "done"));
      await pause(100);
    }
    channel.enqueue(note("shutdown.summary", "Shutting down this host"));
    assert.equal(await idleWithin(channel, 15_000), true);
    await channel.close();

    const answers = replayFakeDiscord(server.requests, HOOK);
    assert.deepEqual(
      answers.filter((a) => a.status === 429).length,
      0,
      "no request past the limit",
    );
    const shown = tables(server.requests);
    // A queue of edits would be 24 requests; the rate allows about 10 in
    // the 2.4 s, the trigger's and the summary's messages included.
    assert.ok(shown.length <= 10, `${shown.length} tables for 24 updates`);
    const ended = shown.map((r) =>
      tableOf(r).split("\n").filter((l) => l.startsWith("✅")).length
    );
    assert.deepEqual(ended, [...ended].sort((a, b) => a - b), "never stale");
    assert.equal(
      tableOf(shown.at(-1)!).split("\n").filter((l) => l.startsWith("✅"))
        .length,
      12,
    );
    assert.deepEqual(messageTitles(server.requests), [
      "Shutdown triggered",
      "Shutting down this host",
    ]);
  },
);

/** The fake Discord, but the incident message is deleted once posted. */
function deletedAfterPost(): Responder {
  const discord = fakeDiscord();
  return (request, index, signal) =>
    request.method === "PATCH"
      ? Response.json({ message: "Unknown Message", code: 10008 }, {
        status: 404,
      })
      : discord(request, index, signal);
}

Deno.test(
  "ChannelSender posts the steps as messages of their own once the incident message is gone, none lost",
  { timeout: 20_000 },
  async () => {
    await using server = startRecordingServer(deletedAfterPost());
    const logger = new MemoryLogger();
    const channel = sender(server.url, { logger });
    channel.setCrisis();
    channel.enqueue(note("shutdown.triggered", "Shutdown triggered"));
    channel.enqueue(step("vms", "start"));
    await server.waitForRequests(2);
    channel.enqueue(step("vms", "done"));
    await pause(200);
    channel.enqueue(step("sync", "start"));
    channel.enqueue(note("shutdown.summary", "Shutting down this host"));
    assert.equal(await idleWithin(channel, 10_000), true);
    await channel.close();

    assert.deepEqual(messageTitles(server.requests), [
      "Shutdown triggered",
      "Step vms: done",
      "Step sync",
      "Shutting down this host",
    ]);
    assert.equal(server.requests.filter((r) => r.method === "PATCH").length, 1);
    assert.deepEqual(
      logger.events("notify.incident_fallback").map((e) => e.msg),
      [
        'Cannot keep the shutdown steps in one message at notification channel "discord": HTTP 404: the message or its webhook was deleted; sending each step as a message of its own',
      ],
    );
    assert.ok(
      !JSON.stringify(logger.entries).includes("incident-secret-token"),
    );
  },
);

Deno.test(
  "ChannelSender falls back to a message per step when the post answers no message id or is refused",
  { timeout: 20_000 },
  async (t) => {
    const cases: [string, Responder, string[], string][] = [
      [
        "no id (204)",
        () => new Response(null, { status: 204 }),
        // The posted table shows the first start; the rest follow as messages.
        ["Shutdown triggered", "Step vms: done", "Shutting down this host"],
        "the receiver did not answer the message's id",
      ],
      [
        "refused (400)",
        (request) =>
          request.query === "?wait=true"
            ? Response.json({ message: "Invalid Form Body" }, { status: 400 })
            : new Response(null, { status: 204 }),
        [
          "Shutdown triggered",
          "Step vms",
          "Step vms: done",
          "Shutting down this host",
        ],
        "HTTP 400: the receiver rejected the message",
      ],
    ];
    for (const [name, responder, titles, why] of cases) {
      await t.step(name, async () => {
        await using server = startRecordingServer(responder);
        const logger = new MemoryLogger();
        const channel = sender(server.url, { logger });
        channel.setCrisis();
        channel.enqueue(note("shutdown.triggered", "Shutdown triggered"));
        channel.enqueue(step("vms", "start"));
        await server.waitForRequests(2);
        channel.enqueue(step("vms", "done"));
        channel.enqueue(note("shutdown.summary", "Shutting down this host"));
        assert.equal(await idleWithin(channel, 10_000), true);
        await channel.close();
        assert.deepEqual(messageTitles(server.requests), titles);
        assert.deepEqual(
          logger.events("notify.incident_fallback").map((e) => e.msg),
          [
            `Cannot keep the shutdown steps in one message at notification channel "discord": ${why}; sending each step as a message of its own`,
          ],
        );
      });
    }
  },
);

Deno.test(
  "ChannelSender gives the table up after 3 failed edits in a row, so the summary is not held back behind them",
  { timeout: 30_000 },
  async (t) => {
    const cases: [string, () => Response][] = [
      ["HTTP 502", () => new Response(null, { status: 502 })],
      ["HTTP 429", () =>
        Response.json({
          message: "You are being rate limited.",
          "retry_after": 0.1,
          global: false,
        }, { status: 429 })],
    ];
    for (const [why, failing] of cases) {
      await t.step(why, async () => {
        const discord = fakeDiscord();
        await using server = startRecordingServer((request, index, signal) =>
          request.method === "PATCH"
            ? failing()
            : discord(request, index, signal)
        );
        const logger = new MemoryLogger();
        const channel = sender(server.url, { logger });
        channel.setCrisis();
        channel.enqueue(step("vms", "start"));
        await server.waitForRequests(1);
        channel.enqueue(step("vms", "done"));
        channel.enqueue(note("shutdown.summary", "Shutting down this host"));
        assert.equal(await idleWithin(channel, 10_000), true);
        await channel.close();
        assert.equal(
          server.requests.filter((r) => r.method === "PATCH").length,
          3,
        );
        assert.deepEqual(messageTitles(server.requests), [
          "Step vms: done",
          "Shutting down this host",
        ]);
        assert.deepEqual(
          logger.events("notify.incident_fallback").map((e) => e.msg),
          [
            `Cannot keep the shutdown steps in one message at notification channel "discord": ${why}, 3 times in a row; sending each step as a message of its own`,
          ],
        );
      });
    }
  },
);

Deno.test(
  "ChannelSender retries an edit after a 429 with retry_after and then sends the latest table",
  { timeout: 20_000 },
  async () => {
    const discord = fakeDiscord();
    let patches = 0;
    await using server = startRecordingServer((request, index, signal) =>
      request.method === "PATCH" && patches++ === 0
        ? Response.json({
          message: "You are being rate limited.",
          "retry_after": 0.4,
          global: false,
        }, { status: 429 })
        : discord(request, index, signal)
    );
    const channel = sender(server.url);
    channel.setCrisis();
    channel.enqueue(step("vms", "start"));
    await server.waitForRequests(1);
    channel.enqueue(step("vms", "done"));
    await server.waitForRequests(2);
    channel.enqueue(step("sync", "start"));
    assert.equal(await idleWithin(channel, 10_000), true);
    await channel.close();
    const [limited, retried] = server.requests.filter((r) =>
      r.method === "PATCH"
    );
    assert.ok(limited && retried);
    const gap = retried.atMs - limited.atMs;
    assert.ok(gap >= 380, `retried after ${gap.toFixed(0)} ms`);
    assert.equal(
      tableOf(retried),
      "✅ **Step vms** · done in 1.2 s · Summary of vms\n⏳ **Step sync** · running",
    );
  },
);

Deno.test(
  "ChannelSender waits for the reset when Discord's headers say no request is left",
  { timeout: 20_000 },
  async () => {
    await using server = startRecordingServer(() =>
      new Response(null, {
        status: 204,
        headers: {
          "x-ratelimit-limit": "5",
          "x-ratelimit-remaining": "0",
          "x-ratelimit-reset-after": "0.6",
        },
      })
    );
    const channel = sender(server.url);
    channel.enqueue(note("power.on_battery", "On battery"));
    await server.waitForRequests(1);
    channel.enqueue(note("power.restored", "Power restored"));
    assert.equal(await idleWithin(channel, 5000), true);
    await channel.close();
    const [first, second] = server.requests;
    const gap = second!.atMs - first!.atMs;
    assert.ok(gap >= 580, `waited ${gap.toFixed(0)} ms, not the reset`);
  },
);

Deno.test(
  "ChannelSender of a generic webhook still sends a message per step",
  { timeout: 10_000 },
  async () => {
    await using server = startRecordingServer();
    const channel = sender(server.url, { kind: "webhook" });
    channel.enqueue(step("vms", "start"));
    channel.enqueue(step("vms", "done"));
    assert.equal(await idleWithin(channel, 5000), true);
    await channel.close();
    assert.deepEqual(
      server.requests.map((r) => [r.query, JSON.parse(r.body)["title"]]),
      [["", "Step vms"], ["", "Step vms: done"]],
    );
  },
);
