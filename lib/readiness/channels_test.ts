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
