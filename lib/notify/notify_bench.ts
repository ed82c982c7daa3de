/**
 * Benchmarks of notification delivery, each run once, printing its own
 * table to stderr: the poll-interval jitter of the monitor loop against a
 * real upsd while the Discord webhook hangs, answers at once or is absent,
 * with power events raised by flipping `ups.status`; and the number of
 * Discord requests of a full shutdown sequence with 10 VMs and 3 mounts.
 * The tables are the result; the time column of `deno bench` only times
 * the calls after the first, which return at once.
 *
 * @module
 */
import { Monitor, type PollingClient } from "../monitor.ts";
import { NutClient } from "../nut/client.ts";
import { systemClock } from "../system/clock.ts";
import {
  CRISIS_MOUNTS,
  CRISIS_VMS,
  runCrisisSequence,
  WEBHOOK_PATH,
} from "../testing/crisis_run.ts";
import { fakeDiscordResponder } from "../testing/fake_discord.ts";
import {
  hang,
  type Responder,
  startRecordingServer,
} from "../testing/http_server.ts";
import { MemoryLogger } from "../testing/memory_logger.ts";
import { shutdownConfig } from "../testing/shutdown_config.ts";
import { makeTempDir } from "../testing/temp_dir.ts";
import { startUpsd, type Upsd, UPSD_PRESENT } from "../testing/upsd.ts";
import { ChannelNotifier } from "./dispatch.ts";

/** Poll interval of the measured loop, ms. */
const INTERVAL_MS = 200;
/** Poll intervals measured per case. */
const POLLS = 75;
/** Time between `ups.status` flips, ms: one power event per flip. */
const FLIP_MS = 1000;

/**
 * Runs `measure` on the first call only: `deno bench` calls a slow bench
 * function more than once whatever `n` says, and each of these measures
 * itself and prints its table.
 */
function once(measure: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | null = null;
  // An async function: deno bench awaits only those.
  return async () => {
    await (done ??= measure());
  };
}

function write(text: string): void {
  Deno.stderr.writeSync(new TextEncoder().encode(text + "\n"));
}

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: number[], p: number): number {
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] ?? NaN;
}

/** Answers 204 after `latencyMs`. */
function answerAfter(latencyMs: number): Responder {
  return (_request, _index, signal) =>
    systemClock.sleep(latencyMs, signal).then(
      () => new Response(null, { status: 204 }),
      () => new Response(null, { status: 503 }),
    );
}

/**
 * Answers like a Discord webhook (`lib/testing/fake_discord.ts`: ids with
 * `?wait=true`, edits, at most 5 requests per 2 s, beyond that 429 with
 * `retry_after`), after `latencyMs`.
 */
function discordLike(latencyMs: number): Responder {
  const discord = fakeDiscordResponder(WEBHOOK_PATH);
  return async (request, index, signal) => {
    const answer = await discord(request, index, signal);
    return await systemClock.sleep(latencyMs, signal).then(
      () => answer,
      () => new Response(null, { status: 503 }),
    );
  };
}

/** The NUT client, timestamping the start of each poll. */
class TimedClient implements PollingClient {
  readonly startedAt: number[] = [];
  #client: NutClient;

  constructor(client: NutClient) {
    this.#client = client;
  }

  poll(names: readonly string[]): Promise<Map<string, string>> {
    this.startedAt.push(performance.now());
    return this.#client.poll(names);
  }
}

interface JitterRow {
  name: string;
  polls: number;
  events: number;
  requests: number;
  medianMs: number;
  p99Ms: number;
  maxMs: number;
}

/** Runs the monitor for `POLLS` intervals with one channel setup and measures them. */
async function measure(
  upsd: Upsd,
  name: string,
  respond: Responder | null,
): Promise<JitterRow> {
  await using server = startRecordingServer(respond ?? undefined);
  await using dir = await makeTempDir({ prefix: "ups-monitor-bench-" });
  const { ups, host, port } = upsd.address();
  const config = shutdownConfig(dir.path, {}, {
    ups: {
      name: `${ups}@${host}:${port}`,
      "check_interval": `${INTERVAL_MS}ms`,
    },
    notifications: {
      channels: respond === null
        ? []
        : [{ kind: "discord", url: `${server.url}/api/webhooks/1/bench` }],
    },
  });
  const logger = new MemoryLogger();
  await using nut = new NutClient({
    address: upsd.address(),
    clock: systemClock,
    logger,
  });
  await using admin = upsd.adminClient();
  const notifier = new ChannelNotifier({
    config,
    fetch,
    clock: systemClock,
    logger,
  });
  const client = new TimedClient(nut);
  const monitor = new Monitor({
    config,
    client,
    notifier,
    logger,
    clock: systemClock,
    bootId: "bench",
    onDecision() {/* a full battery never triggers */},
  });
  const stop = new AbortController();
  const running = monitor.run(stop.signal);
  let onBattery = false;
  try {
    while (client.startedAt.length <= POLLS) {
      await systemClock.sleep(FLIP_MS);
      onBattery = !onBattery;
      await admin.setVar("ups.status", onBattery ? "OB DISCHRG" : "OL CHRG");
    }
  } finally {
    stop.abort();
    await running;
    await admin.setVar("ups.status", "OL CHRG");
    await notifier.close();
  }
  const starts = client.startedAt.slice(0, POLLS + 1);
  const deviations = starts.slice(1).map((at, i) =>
    Math.abs(at - starts[i]! - INTERVAL_MS)
  ).sort((a, b) => a - b);
  return {
    name,
    polls: deviations.length,
    events: logger.entries.filter((e) => e.event.startsWith("power.")).length,
    requests: server.requests.length,
    medianMs: percentile(deviations, 50),
    p99Ms: percentile(deviations, 99),
    maxMs: deviations.at(-1) ?? NaN,
  };
}

Deno.bench({
  name:
    `poll jitter at ${INTERVAL_MS} ms against upsd: webhook hung vs answering`,
  ignore: !UPSD_PRESENT,
  n: 1,
  warmup: 0,
  fn: once(async () => {
    await using upsd = await startUpsd();
    const rows = [
      await measure(upsd, "no channel", null),
      await measure(upsd, "webhook answers at once", answerAfter(0)),
      await measure(upsd, "webhook hangs", hang()),
    ];
    const fmt = (ms: number) => ms.toFixed(2).padStart(8);
    write(
      `\nDeviation of the interval between poll starts from ${INTERVAL_MS} ms ` +
        `(${POLLS} intervals per case, ups.status flipped every ${FLIP_MS} ms)\n` +
        `${"case".padEnd(26)}${"median".padStart(8)}${"p99".padStart(8)}${
          "max".padStart(8)
        }  events  requests`,
    );
    for (const row of rows) {
      write(
        `${row.name.padEnd(26)}${fmt(row.medianMs)}${fmt(row.p99Ms)}${
          fmt(row.maxMs)
        }  ${String(row.events).padStart(6)}  ${
          String(row.requests).padStart(8)
        }`,
      );
    }
  }),
});

Deno.bench({
  name:
    `Discord requests of a shutdown sequence with ${CRISIS_VMS} VMs and ${CRISIS_MOUNTS} mounts`,
  n: 1,
  warmup: 0,
  fn: once(async () => {
    write(
      `\nDiscord requests of a full sequence (${CRISIS_VMS} VMs, one ignoring ACPI; ${CRISIS_MOUNTS} mounts)\n` +
        `${
          "receiver".padEnd(40)
        }notifications  up to summary  in all  edits  429s`,
    );
    const receivers: [string, Responder][] = [
      ["Discord: loopback, instant", discordLike(0)],
      ["Discord: 150 ms latency", discordLike(150)],
      ["no message ids (204), 150 ms latency", answerAfter(150)],
    ];
    for (const [name, respond] of receivers) {
      const statuses: number[] = [];
      await using server = startRecordingServer(async (r, index, signal) => {
        const response = await respond(r, index, signal);
        statuses[index] = response.status;
        return response;
      });
      const run = await runCrisisSequence({
        serverUrl: server.url,
        drainMs: 15_000,
      });
      // The accepted request that carried the summary (a 429 leaves it queued).
      const summary = server.requests.findIndex((request, index) =>
        statuses[index] === 204 && request.method === "POST" &&
        (JSON.parse(request.body) as { embeds: { title: string }[] }).embeds
          .some((embed) => embed.title === "Shutting down this host")
      );
      const limited = statuses.filter((status) => status === 429).length;
      const edits = server.requests.filter((r) => r.method === "PATCH").length;
      write(
        `${name.padEnd(40)}${String(run.sent.length).padStart(13)}  ${
          String(summary + 1).padStart(13)
        }  ${String(server.requests.length).padStart(6)}  ${
          String(edits).padStart(5)
        }  ${String(limited).padStart(4)}`,
      );
    }
  }),
});
