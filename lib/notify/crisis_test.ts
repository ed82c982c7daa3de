import assert from "node:assert/strict";
import type { Embed } from "./discord.ts";
import {
  hang,
  type RecordedRequest,
  startRecordingServer,
} from "../testing/http_server.ts";
import {
  CRISIS_MOUNTS,
  CRISIS_VMS,
  runCrisisSequence,
  WEBHOOK_PATH,
} from "../testing/crisis_run.ts";

const note = (text: string) =>
  Deno.stderr.writeSync(new TextEncoder().encode(text + "\n"));

/** Every embed the server received, with the index of the request that carried it. */
function embedsOf(
  requests: RecordedRequest[],
): { request: number; embed: Embed }[] {
  return requests.flatMap((request, index) =>
    (JSON.parse(request.body) as { embeds: Embed[] }).embeds.map((embed) => ({
      request: index,
      embed,
    }))
  );
}

Deno.test(
  "runSequence() with a ChannelNotifier delivers crisis messages in order, the summary before the local shutdown",
  { timeout: 60_000 },
  async () => {
    await using server = startRecordingServer();
    const run = await runCrisisSequence({
      serverUrl: server.url,
      notifications: { "crisis_budget": "10s" },
      drainMs: 5000,
    });
    const delivered = embedsOf(server.requests);
    assert.ok(server.requests.every((r) => r.path === WEBHOOK_PATH));

    // Everything the sequence queued arrived once, in the order it was queued.
    assert.deepEqual(
      delivered.map(({ embed }) => [embed.title, embed.description]),
      run.sent.map((n) => [n.title, n.message]),
    );
    const events = run.sent.map((n) => n.event);
    assert.equal(
      events.filter((e) => e === "shutdown.action").length,
      CRISIS_VMS + 1 + 1 + CRISIS_MOUNTS + 1,
      "10 VM stops, 1 destroy, sync, 3 unmounts, the local shutdown",
    );
    assert.deepEqual(
      run.calls.filter((c) => c[0] === "umount").map((c) => c.at(-1)),
      run.sent.filter((n) => n.message.startsWith("Unmounting ")).map((n) =>
        n.message.slice("Unmounting ".length)
      ),
    );

    // The summary: what succeeded and failed, with durations.
    const summaryIndex = events.indexOf("shutdown.summary");
    const summary = run.sent[summaryIndex]!;
    for (
      const result of run.report.results.filter((r) =>
        r.id !== "local" && r.status !== "skipped"
      )
    ) {
      assert.ok(
        summary.message.includes(
          `${result.title}: ${result.status} in ${
            (result.durationMs / 1000).toFixed(1)
          } s`,
        ),
        `summary names ${result.id}: ${summary.message}`,
      );
    }
    assert.deepEqual(
      events.slice(summaryIndex + 1),
      ["shutdown.step", "shutdown.action", "shutdown.step"],
      "only the local step's own messages come after the summary",
    );

    // It arrived before the local shutdown stand-in ran.
    const summaryRequest = server.requests[delivered[summaryIndex]!.request]!;
    assert.ok(
      summaryRequest.atMs < run.shutdownAtMs,
      `summary at ${summaryRequest.atMs.toFixed(1)} ms, shutdown at ${
        run.shutdownAtMs.toFixed(1)
      } ms`,
    );
    assert.equal(run.logger.events("shutdown.notify_late").length, 0);

    const beforeShutdown = delivered[summaryIndex]!.request + 1;
    note(
      `Discord requests for a sequence with ${CRISIS_VMS} VMs and ${CRISIS_MOUNTS} mounts ` +
        `(loopback, instant answers): ${beforeShutdown} up to the summary, ` +
        `${server.requests.length} in all, for ${run.sent.length} notifications`,
    );
  },
);

Deno.test(
  "runSequence() with a hung webhook is late by no more than the crisis budget",
  { timeout: 90_000 },
  async (t) => {
    const budgetMs = 2000;
    const slackMs = 1500;
    let quietMs = 0;
    await t.step("without a channel", async () => {
      const run = await runCrisisSequence();
      quietMs = run.elapsedMs;
      assert.equal(run.report.flag.state, "done");
    });
    await using server = startRecordingServer(hang());
    let hungMs = 0;
    await t.step("with a Discord channel that never answers", async () => {
      const run = await runCrisisSequence({
        serverUrl: server.url,
        // A crisis timeout longer than the sequence: no send fails before the summary.
        notifications: { "crisis_budget": "2s", "crisis_timeout": "10s" },
      });
      hungMs = run.elapsedMs;
      assert.ok(server.requests.length >= 1, "the sender tried");
      assert.equal(run.logger.events("shutdown.notify_late").length, 1);
      assert.ok(
        !JSON.stringify(run.logger.entries).includes(
          WEBHOOK_PATH.split("/").at(-1)!,
        ),
        "the webhook token is never logged",
      );
      assert.deepEqual(
        run.report.results.map((r) => r.status).at(-1),
        "done",
        "the host was shut down",
      );
    });
    note(
      `sequence wall time: ${quietMs.toFixed(0)} ms without a channel, ` +
        `${hungMs.toFixed(0)} ms with a hung webhook (budget ${budgetMs} ms)`,
    );
    assert.ok(
      hungMs <= quietMs + budgetMs + slackMs,
      `${hungMs.toFixed(0)} ms > ${
        quietMs.toFixed(0)
      } + ${budgetMs} + ${slackMs} ms`,
    );
  },
);

Deno.test({
  name:
    "runSequence() still waits for the summary after one send of the crisis timed out",
  timeout: 60_000,
  async fn() {
    // The first two requests hang past the crisis timeout, then the webhook
    // works: the sender is in its backoff when the summary is queued.
    const hung = hang();
    await using server = startRecordingServer((request, index, signal) =>
      index < 2
        ? hung(request, index, signal)
        : new Response(null, { status: 204 })
    );
    const run = await runCrisisSequence({
      serverUrl: server.url,
      notifications: { "crisis_budget": "10s", "crisis_timeout": "300ms" },
      drainMs: 8000,
    });
    const delivered = embedsOf(server.requests.slice(2));
    const summary = delivered.find(({ embed }) =>
      embed.title === "Shutting down this host"
    );
    assert.ok(summary, "the summary was delivered before the notifier closed");
    const at = server.requests[summary.request + 2]!.atMs;
    assert.ok(
      at < run.shutdownAtMs,
      `summary at ${at.toFixed(1)} ms, shutdown at ${
        run.shutdownAtMs.toFixed(1)
      } ms`,
    );
  },
});
