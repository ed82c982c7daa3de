import assert from "node:assert/strict";
import { Monitor, type PollingClient } from "./monitor.ts";
import { systemClock } from "./system/clock.ts";
import { FakeClock } from "./testing/fake_clock.ts";
import { hang, startRecordingServer } from "./testing/http_server.ts";
import { MemoryLogger } from "./testing/memory_logger.ts";
import { shutdownConfig } from "./testing/shutdown_config.ts";
import { makeTempDir } from "./testing/temp_dir.ts";
import { DEFAULT_DEV } from "./testing/upsd.ts";
import { ChannelNotifier } from "./notify/dispatch.ts";
import { LogNotifier } from "./notify/notifier.ts";
import { POLL_BUCKETS_S, PollStats } from "./metrics/poll_stats.ts";
import { NutError, NutTimeoutError } from "./nut/errors.ts";

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
  #clock: FakeClock;

  constructor(clock: FakeClock) {
    this.#clock = clock;
  }

  poll(names: readonly string[]): Promise<Map<string, string>> {
    this.startedAt.push(this.#clock.monotonic());
    const overloaded = this.startedAt.length % 2 === 0;
    const vars = new Map(
      [...VARS].filter(([name]) => names.includes(name)),
    );
    vars.set("ups.load", overloaded ? "120" : "50");
    return Promise.resolve(vars);
  }
}

/** Fails with `message` unless `promise` settles within `ms` of real time. */
async function within<T>(
  promise: Promise<T>,
  ms: number,
  message: string,
): Promise<T> {
  const timer = new AbortController();
  const expired = systemClock.sleep(ms, timer.signal).then(
    () => Promise.reject(new Error(message)),
    () => new Promise<never>(() => {/* settled first */}),
  );
  try {
    return await Promise.race([promise, expired]);
  } finally {
    timer.abort();
  }
}

Deno.test(
  "Monitor.run() keeps its poll cadence while every notification hangs",
  { timeout: 30_000 },
  async () => {
    const intervalMs = 100;
    const polls = 30;
    await using server = startRecordingServer(hang());
    await using dir = await makeTempDir();
    const config = shutdownConfig(dir.path, {}, {
      ups: { name: "ups@127.0.0.1", "check_interval": `${intervalMs}ms` },
      notifications: {
        timeout: "10s",
        channels: [{ kind: "discord", url: `${server.url}/api/webhooks/1/t` }],
      },
    });
    const logger = new MemoryLogger();
    // Delivery is real I/O on real time; the monitor's cadence is on the fake
    // clock, so each interval is exact and the test does not wait for it.
    const notifier = new ChannelNotifier({
      config,
      fetch,
      clock: systemClock,
      logger,
    });
    const clock = new FakeClock();
    const ups = new FlappingUps(clock);
    const monitor = new Monitor({
      config,
      client: ups,
      notifier,
      logger,
      clock,
      bootId: "loop-test",
      onDecision() {
        throw new Error("Cannot decide on a flapping UPS with a full battery");
      },
    });
    const stop = new AbortController();
    const running = monitor.run(stop.signal);
    try {
      for (let poll = 1; poll <= polls; poll++) {
        await within(
          clock.whenSleeping(intervalMs),
          5000,
          `Poll ${poll} did not end in a wait of ${intervalMs} ms`,
        );
        // From the second poll on, a notification is in flight and hangs.
        if (poll === 2) await server.waitForRequests(1);
        if (poll < polls) await clock.advance(intervalMs);
      }
    } finally {
      stop.abort();
      await running;
    }
    assert.equal(await notifier.flush(0), false, "nothing was delivered");
    await notifier.close();

    const gaps = ups.startedAt.slice(1).map((at, i) => at - ups.startedAt[i]!);
    const events = logger.entries.filter((e) =>
      e.event === "ups.overload" || e.event === "ups.overload_resolved"
    );
    assert.equal(ups.startedAt.length, polls);
    assert.deepEqual(gaps, Array(polls - 1).fill(intervalMs));
    assert.equal(
      events.length,
      polls - 1,
      "an event on each poll but the first",
    );
    assert.equal(server.requests.length, 1, "the first request still hangs");
  },
);

Deno.test(
  "Monitor.pollOnce() counts each poll's duration and failure kind in its stats",
  async () => {
    await using dir = await makeTempDir();
    const config = shutdownConfig(dir.path, {}, {
      ups: { name: "ups@127.0.0.1" },
    });
    const clock = new FakeClock();
    // Each poll: how long it takes on the fake clock, and what it gives.
    const script: [number, () => Map<string, string>][] = [
      [0.4, () => VARS],
      [3, () => {
        throw new NutTimeoutError("No reply from upsd within 5000 ms");
      }],
      [0.2, () => {
        throw new NutError("DATA-STALE", "ERR DATA-STALE");
      }],
      [0.3, () => new Map([...VARS, ["ups.status", "WAIT"]])],
      [20_000, () => VARS],
    ];
    let next = 0;
    const stats = new PollStats();
    const monitor = new Monitor({
      config,
      client: {
        async poll() {
          const [ms, reply] = script[next++]!;
          await clock.advance(ms);
          return reply();
        },
      },
      notifier: new LogNotifier(new MemoryLogger()),
      logger: new MemoryLogger(),
      clock,
      bootId: "stats-test",
      stats,
      onDecision() {},
    });
    for (const _ of script) await monitor.pollOnce();
    assert.equal(stats.count, 5);
    assert.deepEqual({ ...stats.failures }, {
      refused: 0,
      closed: 0,
      timeout: 1,
      "data_stale": 1,
      "driver_not_connected": 0,
      wait: 1,
      "no_status": 0,
      "no_battery_data": 0,
      error: 0,
    });
    // 0.2, 0.3 and 0.4 ms in le 0.0005; 3 ms in le 0.005; 20 s above 10 s.
    assert.equal(stats.buckets[0], 3);
    assert.equal(stats.buckets[3], 1);
    assert.equal(stats.buckets[POLL_BUCKETS_S.length], 1);
    assert.ok(Math.abs(stats.sumS - 20.0039) < 1e-9, String(stats.sumS));
    assert.equal(monitor.timing?.polls, 5);
  },
);

Deno.test(
  "Monitor.run() records how late each poll started against check_interval",
  async () => {
    await using dir = await makeTempDir();
    const config = shutdownConfig(dir.path, {}, {
      ups: { name: "ups@127.0.0.1", "check_interval": "1s" },
    });
    const clock = new FakeClock();
    // How long each poll takes on the fake clock: the third overruns the
    // interval by 500 ms, so the fourth starts 500 ms late.
    const pollMs = [5, 5, 1500, 5, 5, 5];
    const startedAt: number[] = [];
    const stop = new AbortController();
    const monitor = new Monitor({
      config,
      client: {
        async poll() {
          startedAt.push(clock.monotonic());
          await clock.advance(pollMs[startedAt.length - 1]!);
          if (startedAt.length === pollMs.length) stop.abort();
          return VARS;
        },
      },
      notifier: new LogNotifier(new MemoryLogger()),
      logger: new MemoryLogger(),
      clock,
      bootId: "jitter-test",
      onDecision() {},
    });
    await clock.drive(monitor.run(stop.signal));
    assert.deepEqual(startedAt, [0, 1000, 2000, 3500, 4500, 5500]);
    assert.deepEqual(monitor.timing, {
      polls: 6,
      "poll_ms": { median: 5, max: 1500 },
      "decide_ms": { median: 0, max: 0 },
      "jitter_ms": { median: 0, max: 500 },
    });
    const written = JSON.parse(await Deno.readTextFile(config.paths.state));
    assert.equal(written.timing.polls, 1, "written at the first poll only");
    assert.equal(written.timing["jitter_ms"], null);
  },
);

Deno.test(
  "Monitor.run() polls at once, then shifts to its phase once and keeps the interval",
  async () => {
    await using dir = await makeTempDir();
    const config = shutdownConfig(dir.path, {}, {
      ups: { name: "ups@127.0.0.1", "check_interval": "1s" },
    });
    const clock = new FakeClock();
    const startedAt: number[] = [];
    const stop = new AbortController();
    const monitor = new Monitor({
      config,
      client: {
        poll() {
          startedAt.push(clock.monotonic());
          if (startedAt.length === 4) stop.abort();
          return Promise.resolve(VARS);
        },
      },
      notifier: new LogNotifier(new MemoryLogger()),
      logger: new MemoryLogger(),
      clock,
      bootId: "phase-test",
      phaseMs: 250,
      onDecision() {},
    });
    await clock.drive(monitor.run(stop.signal));
    assert.deepEqual(startedAt, [0, 1250, 2250, 3250]);
  },
);
