import assert from "node:assert/strict";
import type { Embed } from "./discord.ts";
import {
  hang,
  type RecordedRequest,
  startRecordingServer,
} from "../testing/http_server.ts";
import {
  FAKE_DISCORD_LIMIT,
  fakeDiscordResponder,
  replayFakeDiscord,
} from "../testing/fake_discord.ts";
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

/** The requests that are messages of their own: posts not asking for an id. */
function messagesOf(requests: RecordedRequest[]): RecordedRequest[] {
  return requests.filter((r) => r.method === "POST" && r.query === "");
}

Deno.test(
  "runSequence() with a ChannelNotifier delivers crisis messages in order, the summary before the local shutdown",
  { timeout: 60_000 },
  async () => {
    await using server = startRecordingServer(
      fakeDiscordResponder(WEBHOOK_PATH),
    );
    const run = await runCrisisSequence({
      serverUrl: server.url,
      notifications: { "crisis_budget": "10s" },
      drainMs: 8000,
    });
    const messages = messagesOf(server.requests);
    const delivered = embedsOf(messages);
    const answers = replayFakeDiscord(server.requests, WEBHOOK_PATH);
    assert.equal(answers.length, server.requests.length);
    assert.deepEqual(
      answers.filter((a) => a.status !== 200 && a.status !== 204),
      [],
    );

    // Everything but the steps arrived once, as messages, in the order it
    // was queued; the steps are one incident message, edited in place.
    assert.deepEqual(
      delivered.map(({ embed }) => [embed.title, embed.description]),
      run.sent.filter((n) => n.event !== "shutdown.step").map((
        n,
      ) => [n.title, n.message]),
    );
    const incident = server.requests.filter((r) => r.query === "?wait=true");
    assert.equal(incident.length, 1, "one incident message");
    const table = (r: RecordedRequest) =>
      (JSON.parse(r.body) as { embeds: Embed[] }).embeds[0]!.description;
    const final = server.requests.filter((r) =>
      r === incident[0] || r.method === "PATCH"
    ).at(-1)!;
    for (const result of run.report.results) {
      if (result.status === "skipped") continue;
      assert.match(
        table(final),
        new RegExp(`\\*\\*${result.title}\\*\\* · ${result.status}`),
      );
    }
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

    // It arrived before the local shutdown stand-in ran, after a table
    // with every step that had ended.
    const summaryRequest = messages[
      delivered.find(({ embed }) => embed.title === "Shutting down this host")!
        .request
    ]!;
    const lastTable = server.requests.slice(
      0,
      server.requests.indexOf(summaryRequest),
    ).filter((r) => r.method === "PATCH" || r.query === "?wait=true").at(-1)!;
    for (
      const result of run.report.results.filter((r) =>
        r.id !== "local" && r.status !== "skipped"
      )
    ) {
      assert.ok(
        table(lastTable).includes(`**${result.title}** · ${result.status}`),
        `the table before the summary shows ${result.id}: ${table(lastTable)}`,
      );
    }
    assert.ok(
      summaryRequest.atMs < run.shutdownAtMs,
      `summary at ${summaryRequest.atMs.toFixed(1)} ms, shutdown at ${
        run.shutdownAtMs.toFixed(1)
      } ms`,
    );
    assert.equal(run.logger.events("shutdown.notify_late").length, 0);

    const beforeShutdown = server.requests.indexOf(summaryRequest) + 1;
    const edits = server.requests.filter((r) => r.method === "PATCH").length;
    note(
      `Discord requests for a sequence with ${CRISIS_VMS} VMs and ${CRISIS_MOUNTS} mounts ` +
        `(loopback, instant answers, at most ${FAKE_DISCORD_LIMIT.requests} per ${FAKE_DISCORD_LIMIT.perMs} ms): ` +
        `${beforeShutdown} up to the summary, ${server.requests.length} in all ` +
        `(${edits} edits of the incident message), for ${run.sent.length} notifications`,
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
