import assert from "node:assert/strict";
import { Monitor, type PollingClient } from "../monitor.ts";
import { systemClock } from "../system/clock.ts";
import { hang, startRecordingServer } from "../testing/http_server.ts";
import { MemoryLogger } from "../testing/memory_logger.ts";
import { shutdownConfig } from "../testing/shutdown_config.ts";
import { makeTempDir } from "../testing/temp_dir.ts";
import { DEFAULT_DEV } from "../testing/upsd.ts";
import { ChannelNotifier } from "./dispatch.ts";

/** The variables of the test UPS, as upsd would list them. */
const VARS = new Map(
  DEFAULT_DEV.trim().split("\n").map((line) => {
    const [name, ...value] = line.split(": ");
    return [name!, value.join(": ")] as [string, string];
  }),
);

/**
 * A UPS whose load swings over 100 % and back on every other poll, so each
 * poll raises an event (an OB/OL swing would not: it is flapping, one event
 * until it settles); records when each poll started.
 */
class FlappingUps implements PollingClient {
  readonly startedAt: number[] = [];

  poll(names: readonly string[]): Promise<Map<string, string>> {
    this.startedAt.push(performance.now());
    const overloaded = this.startedAt.length % 2 === 0;
    const vars = new Map(
      [...VARS].filter(([name]) => names.includes(name)),
    );
    vars.set("ups.load", overloaded ? "120" : "50");
    return Promise.resolve(vars);
  }
}

Deno.test(
  "Monitor.run() keeps its poll cadence while every notification hangs",
  { timeout: 30_000 },
  async () => {
    const intervalMs = 100;
    const runMs = 3000;
    await using server = startRecordingServer(hang());
    await using dir = await makeTempDir();
    const config = shutdownConfig(dir.path, {}, {
      ups: { name: "ups@127.0.0.1", "check_interval": `${intervalMs}ms` },
      notifications: {
        timeout: "1s",
        channels: [{ kind: "discord", url: `${server.url}/api/webhooks/1/t` }],
      },
    });
    const logger = new MemoryLogger();
    const notifier = new ChannelNotifier({
      config,
      fetch,
      clock: systemClock,
      logger,
    });
    const ups = new FlappingUps();
    const monitor = new Monitor({
      config,
      client: ups,
      notifier,
      logger,
      clock: systemClock,
      bootId: "loop-test",
      onDecision() {
        throw new Error("Cannot decide on a flapping UPS with a full battery");
      },
    });
    const stop = new AbortController();
    const running = monitor.run(stop.signal);
    try {
      await systemClock.sleep(runMs);
    } finally {
      stop.abort();
      await running;
    }
    assert.equal(await notifier.flush(0), false, "nothing was delivered");
    await notifier.close();

    const polls = ups.startedAt.length;
    const gaps = ups.startedAt.slice(1).map((at, i) => at - ups.startedAt[i]!);
    const events = logger.entries.filter((e) =>
      e.event === "ups.overload" || e.event === "ups.overload_resolved"
    );
    assert.ok(
      polls >= 0.8 * (runMs / intervalMs),
      `${polls} polls in ${runMs} ms`,
    );
    assert.ok(
      Math.max(...gaps) < intervalMs + 150,
      `longest gap ${Math.max(...gaps).toFixed(1)} ms`,
    );
    assert.equal(
      events.length,
      polls - 1,
      "an event on each poll but the first",
    );
    assert.ok(server.requests.length >= 2, "the sender tried and retried");
    assert.equal(logger.events("notify.failed").length, 1);
  },
);
