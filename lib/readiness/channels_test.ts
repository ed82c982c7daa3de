import assert from "node:assert/strict";
import { systemClock } from "../system/clock.ts";
import { createRunner } from "../system/exec.ts";
import { hang, startRecordingServer } from "../testing/http_server.ts";
import { MemoryLogger } from "../testing/memory_logger.ts";
import { shutdownConfig } from "../testing/shutdown_config.ts";
import { makeTempDir } from "../testing/temp_dir.ts";
import type { RoundResult } from "./state.ts";
import { channelChecks } from "./channels.ts";
import { runChecks } from "./checks.ts";

const TOKEN = "secret-token-0123";

/** Runs the check of one channel against `url` with a real fetch. */
async function probe(
  channel: Record<string, unknown>,
  options: { timeoutMs?: number } = {},
): Promise<RoundResult> {
  await using dir = await makeTempDir();
  const config = shutdownConfig(dir.path, {}, {
    notifications: { channels: [channel] },
  });
  const logger = new MemoryLogger();
  const [result] = await runChecks(channelChecks(config), {
    config,
    runner: createRunner({ logger, dryRun: true }),
    logger,
    fetch,
    clock: systemClock,
    timeoutMs: options.timeoutMs ?? 5000,
  });
  assert.ok(result);
  assert.ok(!result.detail.includes(TOKEN), result.detail);
  return result;
}

const CASES: {
  name: string;
  kind: "discord" | "webhook";
  status: number;
  ready: boolean;
  detail: string;
}[] = [
  {
    name: "Discord's 200 with the webhook's info",
    kind: "discord",
    status: 200,
    ready: true,
    detail: "HTTP 200: the webhook exists",
  },
  {
    name: "an unknown Discord webhook",
    kind: "discord",
    status: 404,
    ready: false,
    detail:
      "HTTP 404: the webhook does not exist (wrong or deleted URL): set its current URL in notifications.channels.0.url",
  },
  {
    name: "a wrong Discord token",
    kind: "discord",
    status: 401,
    ready: false,
    detail:
      "HTTP 401: the receiver refused the request: check the token in notifications.channels.0.url or its headers",
  },
  {
    name: "a Discord 405, which Discord never sends to a GET of a webhook",
    kind: "discord",
    status: 405,
    ready: false,
    detail:
      "HTTP 405: the receiver rejected the request: check notifications.channels.0",
  },
  {
    name: "a webhook that takes only POST",
    kind: "webhook",
    status: 405,
    ready: true,
    detail: "HTTP 405: the receiver answers",
  },
  {
    name: "a webhook that answers a GET",
    kind: "webhook",
    status: 204,
    ready: true,
    detail: "HTTP 204: the receiver answers",
  },
  {
    name: "a webhook with a problem of its own",
    kind: "webhook",
    status: 502,
    ready: false,
    detail:
      "HTTP 502: the receiver has a problem of its own: check the service",
  },
  {
    name: "a rate-limited webhook",
    kind: "webhook",
    status: 429,
    ready: true,
    detail: "HTTP 429: the receiver answers (rate limited now)",
  },
];

Deno.test("the channel check GETs the URL, never POSTs, and reads the status by kind", async (t) => {
  for (const c of CASES) {
    await t.step(c.name, async () => {
      await using server = startRecordingServer(() =>
        new Response(c.status === 200 ? '{"name":"ups"}' : null, {
          status: c.status,
        })
      );
      const result = await probe({
        kind: c.kind,
        name: "alerts",
        url: `${server.url}/api/webhooks/1/${TOKEN}`,
        ...(c.kind === "webhook"
          ? { headers: { Authorization: "Bearer abc" } }
          : {}),
      });
      assert.deepEqual(result, {
        id: "channels.0",
        title: 'Channel "alerts"',
        ready: c.ready,
        detail: c.detail,
      });
      assert.deepEqual(
        server.requests.map((r) => [r.method, r.path, r.body]),
        [["GET", `/api/webhooks/1/${TOKEN}`, ""]],
      );
      if (c.kind === "webhook") {
        assert.equal(
          server.requests[0]?.headers["authorization"],
          "Bearer abc",
        );
      }
    });
  }
});

Deno.test("the channel check does not follow a redirect", async () => {
  await using server = startRecordingServer((request) =>
    request.path === "/moved"
      ? new Response(null, { status: 200 })
      : new Response(null, { status: 302, headers: { location: "/moved" } })
  );
  const result = await probe({
    kind: "discord",
    url: `${server.url}/api/webhooks/1/${TOKEN}`,
  });
  assert.equal(result.ready, false);
  assert.equal(
    result.detail,
    "HTTP 302: the receiver answered a redirect, which is not followed: set the final address in notifications.channels.0.url",
  );
  assert.equal(server.requests.length, 1);
});

Deno.test("the channel check reports an unreachable receiver without its URL", async () => {
  const port = (() => {
    using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    return listener.addr.port;
  })();
  const result = await probe({
    kind: "discord",
    url: `http://127.0.0.1:${port}/api/webhooks/1/${TOKEN}`,
  });
  assert.equal(result.ready, false);
  assert.equal(
    result.detail,
    "cannot reach the receiver: client error (Connect): tcp connect error: Connection refused (os error 111); check the network and the host in notifications.channels.0.url",
  );
});

Deno.test({
  name: "the channel check gives up on a receiver that never answers",
  timeout: 10_000,
  async fn() {
    await using server = startRecordingServer(hang());
    const result = await probe({
      kind: "webhook",
      url: `${server.url}/hook/${TOKEN}`,
    }, { timeoutMs: 300 });
    assert.deepEqual(
      [result.ready, result.detail],
      [false, "did not answer within 300ms"],
    );
  },
});

/** A probe of ntfy, Slack or Telegram: the answer, what must be asked, the result. */
interface KindCase {
  name: string;
  channel: (url: string) => Record<string, unknown>;
  answer: () => Response;
  request: {
    path: string;
    query?: string;
    authorization?: string;
  };
  ready: boolean;
  detail: string;
}

const BOT_TOKEN = `123456:${TOKEN}`;
const ntfyChannel = (token: string | null) => (url: string) => ({
  kind: "ntfy",
  name: "alerts",
  server: `${url}/ntfy`,
  topic: "ups-alerts",
  token,
});
const telegramChannel = (url: string) => ({
  kind: "telegram",
  name: "alerts",
  "bot_token": BOT_TOKEN,
  "chat_id": -1001234567890,
  "api_url": url,
});
const slackChannel = (url: string) => ({
  kind: "slack",
  name: "alerts",
  url: `${url}/services/T0/B0/${TOKEN}`,
});
const botApi = (status: number, description: string) => () =>
  Response.json({ ok: false, "error_code": status, description }, { status });

const KIND_CASES: KindCase[] = [
  {
    name: "ntfy's health endpoint with a token it accepts",
    channel: ntfyChannel(TOKEN),
    answer: () => Response.json({ healthy: true }),
    request: { path: "/ntfy/v1/health", authorization: `Bearer ${TOKEN}` },
    ready: true,
    detail: "HTTP 200: the server is healthy and accepts the token",
  },
  {
    name: "ntfy without a token",
    channel: ntfyChannel(null),
    answer: () => Response.json({ healthy: true }),
    request: { path: "/ntfy/v1/health" },
    ready: true,
    detail: "HTTP 200: the server is healthy",
  },
  {
    name: "ntfy refusing the token",
    channel: ntfyChannel(TOKEN),
    answer: () =>
      Response.json({ code: 40101, http: 401, error: "unauthorized" }, {
        status: 401,
      }),
    request: { path: "/ntfy/v1/health", authorization: `Bearer ${TOKEN}` },
    ready: false,
    detail:
      "HTTP 401: the server refused the token: check notifications.channels.0.token",
  },
  {
    name: "an address that is not the root of an ntfy server",
    channel: ntfyChannel(null),
    answer: () => new Response("not found", { status: 404 }),
    request: { path: "/ntfy/v1/health" },
    ready: false,
    detail:
      'HTTP 404: the server has no health endpoint ("/v1/health"): check that notifications.channels.0.server is the root of an ntfy server',
  },
  {
    name: "Telegram's getChat for a chat the bot sees",
    channel: telegramChannel,
    answer: () => Response.json({ ok: true, result: { id: -1001234567890 } }),
    request: {
      path: `/bot${BOT_TOKEN}/getChat`,
      query: "?chat_id=-1001234567890",
    },
    ready: true,
    detail: "HTTP 200: the bot token works and the bot can see the chat",
  },
  {
    name: "a revoked Telegram bot token",
    channel: telegramChannel,
    answer: botApi(401, "Unauthorized"),
    request: { path: `/bot${BOT_TOKEN}/getChat` },
    ready: false,
    detail:
      'HTTP 401: the Bot API refused the bot token ("Unauthorized"): check notifications.channels.0.bot_token',
  },
  {
    name: "a chat the bot is not in",
    channel: telegramChannel,
    answer: botApi(400, "Bad Request: chat not found"),
    request: { path: `/bot${BOT_TOKEN}/getChat` },
    ready: false,
    detail:
      'HTTP 400: the bot cannot reach the chat ("Bad Request: chat not found"): check notifications.channels.0.chat_id and that the bot is a member of the chat',
  },
  {
    name: "a Bot API that does not know the bot",
    channel: telegramChannel,
    answer: botApi(404, "Not Found"),
    request: { path: `/bot${BOT_TOKEN}/getChat` },
    ready: false,
    detail:
      'HTTP 404: the Bot API does not know this bot ("Not Found"): check notifications.channels.0.bot_token and notifications.channels.0.api_url',
  },
  {
    name: "a Slack host whose root is not found",
    channel: slackChannel,
    answer: () => new Response("not found", { status: 404 }),
    request: { path: "/" },
    ready: true,
    detail:
      "HTTP 404: the host answers (the webhook itself cannot be checked without posting)",
  },
  {
    name: "a Slack host that redirects its root",
    channel: slackChannel,
    answer: () =>
      new Response(null, {
        status: 302,
        headers: { location: "https://slack.com/" },
      }),
    request: { path: "/" },
    ready: true,
    detail:
      "HTTP 302: the host answers (the webhook itself cannot be checked without posting)",
  },
  {
    name: "a Slack host with a problem of its own",
    channel: slackChannel,
    answer: () => new Response(null, { status: 503 }),
    request: { path: "/" },
    ready: false,
    detail:
      "HTTP 503: the receiver has a problem of its own: check the service",
  },
];

Deno.test("the channel check of ntfy, Slack and Telegram sends no message and reads the answer by kind", async (t) => {
  for (const c of KIND_CASES) {
    await t.step(c.name, async () => {
      await using server = startRecordingServer(c.answer);
      const result = await probe(c.channel(server.url));
      assert.deepEqual(result, {
        id: "channels.0",
        title: 'Channel "alerts"',
        ready: c.ready,
        detail: c.detail,
      });
      assert.equal(server.requests.length, 1);
      const [request] = server.requests;
      assert.deepEqual(
        [request?.method, request?.path, request?.body],
        ["GET", c.request.path, ""],
      );
      if (c.request.query !== undefined) {
        assert.equal(request?.query, c.request.query);
      }
      assert.equal(
        request?.headers["authorization"],
        c.request.authorization,
      );
    });
  }
});

Deno.test("the channel check names each kind's address key when the host is unreachable", async () => {
  const port = (() => {
    using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    return listener.addr.port;
  })();
  const url = `http://127.0.0.1:${port}`;
  const cases: [Record<string, unknown>, string][] = [
    [telegramChannel(url), "api_url"],
    [ntfyChannel(TOKEN)(url), "server"],
    [slackChannel(url), "url"],
  ];
  for (const [channel, key] of cases) {
    const result = await probe(channel);
    assert.deepEqual([result.ready, result.detail], [
      false,
      `cannot reach the receiver: client error (Connect): tcp connect error: Connection refused (os error 111); check the network and the host in notifications.channels.0.${key}`,
    ]);
  }
});
