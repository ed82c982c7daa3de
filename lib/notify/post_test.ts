import assert from "node:assert/strict";
import { parseConfig } from "../config/load.ts";
import type { ChannelConfig } from "../config/schema.ts";
import { systemClock } from "../system/clock.ts";
import { startRecordingServer } from "../testing/http_server.ts";
import { post, type PostResult } from "./post.ts";

function webhook(url: string): ChannelConfig {
  const config = parseConfig(
    `ups: {name: ups@nas}
notifications:
  channels:
    - {kind: webhook, url: "${url}", headers: {X-Token: secret-header}}`,
    "t.yaml",
  );
  return config.notifications.channels[0]!;
}

function send(url: string, timeoutMs = 5000): Promise<PostResult> {
  return post({
    fetch,
    clock: systemClock,
    channel: webhook(url),
    body: "{}",
    timeoutMs,
  });
}

/** An answer whose body never ends; `sent` counts the bytes produced. */
function endless(status: number, headers: Record<string, string> = {}) {
  const counter = { sent: 0 };
  const respond = () =>
    new Response(
      new ReadableStream<Uint8Array>({
        pull(controller) {
          controller.enqueue(new Uint8Array(16 * 1024).fill(0x61));
          counter.sent += 16 * 1024;
        },
      }),
      { status, headers },
    );
  return { counter, respond };
}

Deno.test(
  "post() turns a missing, NaN, negative or infinite retry_after into 1 s and caps a huge one at 60 s",
  {
    timeout: 10_000,
  },
  async () => {
    const cases: [string, Record<string, string>, number][] = [
      ['{"retry_after": 0.25}', {}, 250],
      ['{"retry_after": -1}', {}, 1000],
      ['{"retry_after": 1e999}', {}, 1000],
      ['{"retry_after": "soon"}', {}, 1000],
      ['{"retry_after": 3000000}', {}, 60_000],
      ["", { "retry-after": "2" }, 2000],
      ["", { "retry-after": "-5" }, 1000],
      ["", { "retry-after": "NaN" }, 1000],
      ["", { "retry-after": "99999999999" }, 60_000],
      ["", {}, 1000],
    ];
    for (const [body, headers, expected] of cases) {
      await using server = startRecordingServer(() =>
        new Response(body, { status: 429, headers })
      );
      const result = await send(`${server.url}/hook`);
      assert.deepEqual(
        result,
        { kind: "rate_limited", status: 429, retryAfterMs: expected },
        `${body} ${JSON.stringify(headers)}`,
      );
    }
  },
);

Deno.test(
  "post() reports a redirect without following it, and without its address",
  {
    timeout: 10_000,
  },
  async () => {
    await using elsewhere = startRecordingServer();
    for (const status of [301, 302, 303, 307, 308]) {
      await using server = startRecordingServer(() =>
        new Response(null, {
          status,
          headers: { location: `${elsewhere.url}/stolen/secret-path` },
        })
      );
      const result = await send(`${server.url}/hook/secret-path`);
      assert.deepEqual(result, {
        kind: "drop",
        status,
        why:
          `HTTP ${status}: the receiver answered a redirect to another address, which is not followed`,
      });
      assert.equal(server.requests.length, 1);
    }
    assert.deepEqual(
      elsewhere.requests.map((r) => r.headers["x-token"]),
      [],
      "the body and the secret header never reached the other address",
    );
  },
);

Deno.test(
  "post() reads at most 64 KiB of an endless answer and returns at once",
  {
    timeout: 20_000,
  },
  async () => {
    const cases: [number, Record<string, string>, PostResult["kind"]][] = [
      [200, {}, "ok"],
      [429, { "retry-after": "3" }, "rate_limited"],
      [500, {}, "retry"],
      [400, {}, "drop"],
    ];
    for (const [status, headers, kind] of cases) {
      const { counter, respond } = endless(status, headers);
      await using server = startRecordingServer(respond);
      const started = performance.now();
      const result = await send(`${server.url}/hook`, 5000);
      const elapsed = performance.now() - started;
      assert.equal(result.kind, kind, JSON.stringify(result));
      assert.ok(elapsed < 2000, `returned after ${elapsed} ms`);
      if (result.kind === "rate_limited") {
        assert.equal(result.retryAfterMs, 3000);
      }
      // The sender stopped reading: the server produced a bounded amount
      // (what the loopback socket buffers take), not 5 s worth of data.
      assert.ok(counter.sent < 64 * 1024 * 1024, `${counter.sent} bytes sent`);
    }
  },
);
