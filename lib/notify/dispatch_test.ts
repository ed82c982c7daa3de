import assert from "node:assert/strict";
import { parseConfig } from "../config/load.ts";
import { systemClock } from "../system/clock.ts";
import { ConsoleLogger } from "../system/log.ts";
import { hang, startRecordingServer } from "../testing/http_server.ts";
import { MemoryLogger } from "../testing/memory_logger.ts";
import { ChannelNotifier } from "./dispatch.ts";
import type { Notification, Severity } from "./notifier.ts";

const SECRET_PATH = "/api/webhooks/123/secret-token-xyz";

function configFor(url: string, extra = "") {
  return parseConfig(
    `ups: {name: ups@nas}
notifications:
  timeout: 300ms
  crisis_timeout: 300ms
  crisis_budget: 1s
  queue_size: 4
  channels:
    - {kind: discord, url: "${url}${SECRET_PATH}"}
${extra}`,
    "test.yaml",
  );
}

let sequence = 0;
function note(
  severity: Severity = "info",
  title = `event ${++sequence}`,
): Notification {
  return {
    event: "test.event",
    severity,
    title,
    message: "m",
    ups: "ups@nas",
    timeMs: 0,
  };
}

function titles(body: string): string[] {
  return (JSON.parse(body) as { embeds: { title: string }[] }).embeds.map((e) =>
    e.title
  );
}

Deno.test("ChannelNotifier posts Discord embeds and honours 429 retry_after", {
  timeout: 10_000,
}, async () => {
  await using server = startRecordingServer((_request, index) =>
    index === 0
      ? Response.json({
        message: "You are being rate limited.",
        "retry_after": 0.3,
      }, { status: 429 })
      : new Response(null, { status: 204 })
  );
  const logger = new MemoryLogger();
  const notifier = new ChannelNotifier({
    config: configFor(server.url),
    fetch,
    clock: systemClock,
    logger,
  });
  notifier.notify(note("warning", "On battery"));
  assert.equal(await notifier.flush(5000), true);
  await notifier.close();
  assert.equal(server.requests.length, 2);
  const [first, second] = server.requests;
  assert.equal(first?.path, SECRET_PATH);
  assert.deepEqual(titles(second?.body ?? ""), ["On battery"]);
  assert.ok(
    (second?.atMs ?? 0) - (first?.atMs ?? 0) >= 280,
    "waited retry_after",
  );
  assert.deepEqual(
    logger.events("notify.failed"),
    [],
    "a rate limit is not a failure",
  );
});

Deno.test(
  "ChannelNotifier.notify() never waits for a hung webhook and logs the outage once",
  { timeout: 10_000 },
  async () => {
    await using server = startRecordingServer(hang());
    const lines: string[] = [];
    const logger = new ConsoleLogger({
      format: "json",
      level: "debug",
      write: (line) => lines.push(line),
    });
    const notifier = new ChannelNotifier({
      config: configFor(server.url),
      fetch,
      clock: systemClock,
      logger,
    });
    const started = performance.now();
    for (let i = 0; i < 3; i++) notifier.notify(note());
    assert.ok(performance.now() - started < 50, "notify() returns at once");
    assert.equal(await notifier.flush(1600), false);
    await notifier.close();
    const failed = lines.filter((line) => line.includes('"notify.failed"'));
    assert.equal(failed.length, 1, "one warning per outage, not per retry");
    assert.match(failed[0] ?? "", /timed out after 300 ms/);
    assert.ok(server.requests.length >= 2, "retried");
    assert.ok(
      !lines.join("\n").includes("secret-token-xyz"),
      "the webhook URL is never logged",
    );
  },
);

Deno.test("ChannelNotifier drops a message the receiver rejects and logs why", {
  timeout: 10_000,
}, async () => {
  await using server = startRecordingServer(() =>
    new Response("Unknown Webhook", { status: 404 })
  );
  const logger = new MemoryLogger();
  const notifier = new ChannelNotifier({
    config: configFor(server.url),
    fetch,
    clock: systemClock,
    logger,
  });
  notifier.notify(note());
  assert.equal(await notifier.flush(2000), true);
  await notifier.close();
  assert.equal(server.requests.length, 1, "no retry of a 404");
  const [rejected] = logger.events("notify.rejected");
  assert.equal(
    rejected?.msg,
    'Notification channel "discord" rejected a message: HTTP 404: the webhook does not exist (wrong or deleted URL)',
  );
});

Deno.test(
  "ChannelNotifier backs off on 5xx, then reports the channel restored",
  { timeout: 10_000 },
  async () => {
    await using server = startRecordingServer((_r, index) =>
      new Response(null, { status: index < 2 ? 502 : 204 })
    );
    const config = configFor(server.url);
    const logger = new MemoryLogger();
    const notifier = new ChannelNotifier({
      config,
      fetch,
      clock: systemClock,
      logger,
    });
    notifier.notify(note());
    assert.equal(await notifier.flush(8000), true);
    await notifier.close();
    assert.equal(server.requests.length, 3);
    const gaps = [1, 2].map((i) =>
      (server.requests[i]?.atMs ?? 0) - (server.requests[i - 1]?.atMs ?? 0)
    );
    assert.ok(
      (gaps[0] ?? 0) >= 900 && (gaps[1] ?? 0) >= 1900,
      `backoff 1 s then 2 s: ${gaps}`,
    );
    assert.equal(logger.events("notify.failed").length, 1);
    assert.equal(logger.events("notify.restored").length, 1);
  },
);

Deno.test(
  "ChannelNotifier drops the oldest informational messages first when full, never a critical one",
  { timeout: 10_000 },
  async () => {
    let release = () => {};
    const gate = new Promise<void>((resolve) => release = resolve);
    await using server = startRecordingServer(async () => {
      await gate;
      return new Response(null, { status: 204 });
    });
    const notifier = new ChannelNotifier({
      config: configFor(server.url),
      fetch,
      clock: systemClock,
      logger: new MemoryLogger(),
    });
    notifier.notify(note("info", "in flight"));
    await server.waitForRequests(1);
    for (
      const [severity, title] of [
        ["critical", "c1"],
        ["info", "i1"],
        ["warning", "w1"],
        ["info", "i2"],
        ["critical", "c2"],
        ["critical", "c3"],
        ["critical", "c4"],
      ] as const
    ) {
      notifier.notify(note(severity, title));
    }
    // What /metrics shows: 4 queued and 1 in flight, 3 dropped.
    const [queue] = notifier.queues();
    assert.deepEqual({ ...queue, channel: "" }, {
      channel: "",
      depth: 5,
      dropped: 3,
    });
    release();
    assert.equal(await notifier.flush(5000), true);
    assert.deepEqual(notifier.queues().map((q) => [q.depth, q.dropped]), [
      [0, 3],
    ]);
    await notifier.close();
    const delivered = server.requests.slice(1).flatMap((r) => titles(r.body));
    assert.deepEqual(
      delivered,
      ["c1", "c2", "c3", "c4"],
      "queue of 4 keeps the critical ones, in order",
    );
  },
);

Deno.test(
  "ChannelNotifier in crisis packs actions in order and keeps the time budget",
  { timeout: 15_000 },
  async () => {
    await using server = startRecordingServer();
    const notifier = new ChannelNotifier({
      config: configFor(server.url),
      fetch,
      clock: systemClock,
      logger: new MemoryLogger(),
    });
    notifier.enterCrisis();
    const sent = Array.from({ length: 4 }, (_, i) => `action ${i}`);
    for (const title of sent) notifier.notify(note("critical", title));
    assert.equal(await notifier.flush(5000), true);
    await notifier.close();
    assert.deepEqual(server.requests.flatMap((r) => titles(r.body)), sent);
    assert.ok(
      server.requests.length <= 2,
      `packed: ${server.requests.length} requests`,
    );

    await using hung = startRecordingServer(hang());
    const slow = new ChannelNotifier({
      config: configFor(hung.url),
      fetch,
      clock: systemClock,
      logger: new MemoryLogger(),
    });
    slow.enterCrisis();
    slow.notify(note("critical"));
    let started = performance.now();
    assert.equal(await slow.flush(10_000), false);
    const first = performance.now() - started;
    assert.ok(first < 1100, `bounded by the 1 s budget: ${first} ms`);
    slow.notify(note("critical"));
    started = performance.now();
    assert.equal(await slow.flush(10_000), false);
    assert.ok(
      performance.now() - started < 50,
      "a failed channel is not waited for again",
    );
    started = performance.now();
    assert.equal(await slow.flush(400, { final: true }), false);
    const final = performance.now() - started;
    assert.ok(
      final >= 380 && final < 900,
      `the final flush waits its own bound: ${final} ms`,
    );
    await slow.close();
  },
);

Deno.test(
  "ChannelNotifier posts one JSON object per event with headers to a generic webhook",
  { timeout: 10_000 },
  async () => {
    await using server = startRecordingServer();
    const config = parseConfig(
      `ups: {name: ups@nas}
notifications:
  channels:
    - {kind: webhook, name: ntfy, url: "${server.url}/ups", headers: {Authorization: Bearer abc}}`,
      "t.yaml",
    );
    const notifier = new ChannelNotifier({
      config,
      fetch,
      clock: systemClock,
      logger: new MemoryLogger(),
    });
    notifier.notify({
      ...note("critical", "Shutdown"),
      event: "shutdown.triggered",
      fields: { reason: "charge 18% < 20%" },
    });
    notifier.notify(note("info", "second"));
    assert.equal(await notifier.flush(3000), true);
    await notifier.close();
    assert.equal(server.requests.length, 2);
    assert.equal(server.requests[0]?.headers["authorization"], "Bearer abc");
    assert.equal(
      server.requests[0]?.headers["content-type"],
      "application/json",
    );
    assert.deepEqual(JSON.parse(server.requests[0]?.body ?? ""), {
      event: "shutdown.triggered",
      severity: "critical",
      ups: "ups@nas",
      title: "Shutdown",
      message: "m",
      fields: { reason: "charge 18% < 20%" },
      time: "1970-01-01T00:00:00.000Z",
      text: "Shutdown: m",
    });
  },
);

Deno.test(
  "ChannelNotifier keeps to retry_after while new notifications keep coming",
  { timeout: 10_000 },
  async () => {
    await using server = startRecordingServer((_request, index) =>
      index === 0
        ? Response.json({ "retry_after": 1 }, { status: 429 })
        : new Response(null, { status: 204 })
    );
    const config = configFor(server.url);
    // In crisis mode a retry_after is honoured up to the crisis timeout.
    config.notifications.crisis_timeout = 2000;
    const notifier = new ChannelNotifier({
      config,
      fetch,
      clock: systemClock,
      logger: new MemoryLogger(),
    });
    notifier.enterCrisis();
    notifier.notify(note("critical", "first"));
    await server.waitForRequests(1);
    for (let i = 0; i < 8; i++) {
      notifier.notify(note("critical", `burst ${i}`));
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(
      server.requests.length,
      1,
      "no request before retry_after has passed",
    );
    assert.equal(await notifier.flush(5000), true);
    await notifier.close();
    const [first, second] = server.requests;
    assert.ok(
      (second?.atMs ?? 0) - (first?.atMs ?? 0) >= 950,
      "waited the full second",
    );
  },
);

Deno.test(
  "ChannelNotifier.leaveCrisis() gives the next crisis a fresh budget and forgets a failed send",
  { timeout: 15_000 },
  async () => {
    let healthy = false;
    await using server = startRecordingServer((request, index, signal) =>
      healthy
        ? new Response(null, { status: 204 })
        : hang()(request, index, signal)
    );
    const notifier = new ChannelNotifier({
      config: configFor(server.url),
      fetch,
      clock: systemClock,
      logger: new MemoryLogger(),
    });
    notifier.enterCrisis();
    notifier.notify(note("critical"));
    assert.equal(
      await notifier.flush(10_000),
      false,
      "budget of 1 s spent on a hung webhook",
    );
    healthy = true;
    notifier.leaveCrisis();
    notifier.enterCrisis();
    notifier.notify(note("critical", "second crisis"));
    assert.equal(
      await notifier.flush(10_000),
      true,
      "waited again within a fresh budget",
    );
    await notifier.close();
    assert.ok(server.requests.some((r) => r.body.includes("second crisis")));
  },
);
