import assert from "node:assert/strict";
import { parseConfig } from "../config/load.ts";
import type { PowerSnapshot } from "../power/snapshot.ts";
import { snapshot } from "../power/snapshot.ts";
import type { Host } from "../system/host.ts";
import type { NotifySocket } from "../system/notify_socket.ts";
import { FakeClock } from "../testing/fake_clock.ts";
import { MemoryLogger } from "../testing/memory_logger.ts";
import { onBattery, onLine, Sim } from "../testing/power_sim.ts";
import { STATUS_REFRESH_MS, SystemdNotifier } from "./systemd_notify.ts";

const CONFIG = parseConfig("ups:\n  name: u\n", "t.yaml");
const PID = 4242;

/** A socket that records what it is asked to send, or fails on cue. */
class RecordingSocket implements NotifySocket {
  sent: string[] = [];
  failWith: string | null = null;
  closed = false;

  send(message: string): void {
    if (this.failWith !== null) throw new Error(this.failWith);
    this.sent.push(message);
  }

  [Symbol.dispose](): void {
    this.closed = true;
  }
}

function hostWith(env: Record<string, string>): Host {
  return { pid: PID, uptimeMs: () => undefined, env: (name) => env[name] };
}

function setUp(env: Record<string, string> = {}) {
  const clock = new FakeClock();
  const logger = new MemoryLogger();
  const socket = new RecordingSocket();
  const opened: string[] = [];
  const notifier = new SystemdNotifier({
    host: hostWith({ "NOTIFY_SOCKET": "/run/systemd/notify", ...env }),
    clock,
    logger,
    open: (address) => {
      opened.push(address);
      return socket;
    },
  });
  const sim = new Sim(CONFIG);
  sim.poll(onLine());
  const snap = (): PowerSnapshot => snapshot(sim.state, sim.monoMs);
  /** One poll of the loop: the power core, then the notifier. */
  const poll = async (vars = onLine(), afterMs = 1000) => {
    await clock.advance(afterMs);
    sim.poll(vars, afterMs);
    notifier.polled(snap);
  };
  return { clock, logger, socket, opened, notifier, sim, poll };
}

Deno.test("SystemdNotifier does nothing without NOTIFY_SOCKET", () => {
  let opened = false;
  const notifier = new SystemdNotifier({
    host: hostWith({ "WATCHDOG_USEC": "1000000" }),
    clock: new FakeClock(),
    logger: new MemoryLogger(),
    open: () => {
      opened = true;
      throw new Error("not reached");
    },
  });
  notifier.polled(() => {
    throw new Error("no snapshot is made for nobody");
  });
  notifier.stopping();
  notifier[Symbol.dispose]();
  assert.equal(opened, false);
  assert.equal(notifier.watchdog, false);
});

Deno.test("SystemdNotifier.polled() sends READY=1 with the status once, after the first poll", async () => {
  const { socket, opened, poll } = setUp();
  assert.deepEqual(socket.sent, [], "nothing before a poll");
  await poll();
  await poll();
  assert.deepEqual(opened, ["/run/systemd/notify"]);
  assert.deepEqual(socket.sent, [
    "READY=1\nSTATUS=On line, charging, charge 100 %, runtime 50 min, load 30 %",
  ]);
});

Deno.test("SystemdNotifier.polled() pings at most once per half of WATCHDOG_USEC, and only when polls complete", async () => {
  const { socket, clock, notifier, poll } = setUp({
    "WATCHDOG_USEC": "10000000",
    "WATCHDOG_PID": String(PID),
  });
  assert.equal(notifier.watchdog, true);
  await poll();
  const pingTimes = () =>
    socket.sent.flatMap((m, i) => m.includes("WATCHDOG=1") ? [i] : []);
  assert.deepEqual(pingTimes(), [0], "the first poll pings with READY");
  for (let i = 0; i < 4; i++) await poll(); // 4 s: not due yet
  assert.deepEqual(pingTimes(), [0]);
  await poll(); // 5 s after the first ping
  assert.equal(socket.sent.at(-1), "WATCHDOG=1");
  const count = socket.sent.length;
  // The loop hangs: time passes, no poll completes, nothing is sent.
  await clock.advance(60_000);
  assert.equal(socket.sent.length, count);
  await poll();
  assert.equal(socket.sent.at(-1), "WATCHDOG=1", "pings resume with polls");
});

Deno.test("SystemdNotifier feeds no watchdog that is not its own or not valid", async () => {
  for (
    const [env, warning] of [
      [{ "WATCHDOG_USEC": "10000000", "WATCHDOG_PID": "1" }, null],
      [{ "WATCHDOG_USEC": "0" }, 'Cannot use WATCHDOG_USEC "0"'],
      [{ "WATCHDOG_USEC": "5s" }, 'Cannot use WATCHDOG_USEC "5s"'],
    ] as const
  ) {
    const { socket, logger, notifier, poll } = setUp(env);
    for (let i = 0; i < 20; i++) await poll();
    assert.equal(notifier.watchdog, false);
    assert.ok(socket.sent.every((m) => !m.includes("WATCHDOG")));
    const warned = logger.events("systemd.watchdog_invalid");
    if (warning === null) assert.deepEqual(warned, []);
    else {
      assert.equal(
        warned[0]?.msg,
        `${warning}: expected a positive whole number of microseconds; no watchdog pings`,
      );
    }
  }
});

Deno.test("SystemdNotifier.polled() sends a changed meaning at once and changed numbers at most every refresh", async () => {
  const { socket, poll } = setUp();
  await poll();
  await poll(onBattery(99));
  assert.equal(
    socket.sent.at(-1),
    "STATUS=On battery for 0 s, charge 99 %, runtime 50 min, load 30 %",
    "on battery is news at once",
  );
  const sent = socket.sent.length;
  const steps = STATUS_REFRESH_MS / 1000;
  for (let i = 1; i < steps; i++) await poll(onBattery(99));
  assert.equal(socket.sent.length, sent, "seconds on battery wait");
  await poll(onBattery(99));
  assert.equal(
    socket.sent.at(-1),
    `STATUS=On battery for ${steps} s, charge 99 %, runtime 50 min, load 30 %`,
  );
  await poll(onBattery(99, { "ups.status": "OB LB" }));
  assert.equal(
    socket.sent.at(-1),
    "STATUS=Shutdown triggered by low_battery_flag; on battery for 11 s, low battery, charge 99 %, runtime 50 min, load 30 %",
    "a trigger is news at once",
  );
});

Deno.test("SystemdNotifier.stopping() sends STOPPING=1 once, and nothing after it", async () => {
  const { socket, notifier, poll } = setUp({ "WATCHDOG_USEC": "2000000" });
  await poll();
  notifier.stopping();
  notifier.stopping();
  await poll();
  await poll();
  assert.deepEqual(socket.sent.slice(1), ["STOPPING=1\nSTATUS=Stopping"]);
  notifier[Symbol.dispose]();
  assert.equal(socket.closed, true);
});

Deno.test("SystemdNotifier logs a failing socket once, retries READY, and logs the recovery once", async () => {
  const { socket, logger, poll } = setUp();
  socket.failWith = 'Cannot notify systemd at "/run/systemd/notify": EAGAIN';
  await poll();
  await poll();
  await poll();
  assert.deepEqual(
    logger.events("systemd.notify_failed").map((e) => e.msg),
    ['Cannot notify systemd at "/run/systemd/notify": EAGAIN'],
  );
  socket.failWith = null;
  await poll();
  assert.match(
    socket.sent[0]!,
    /^READY=1\n/,
    "READY waits for a send that works",
  );
  assert.deepEqual(
    logger.events("systemd.notify_restored").map((e) => e.msg),
    ["Notifying systemd works again"],
  );
});

Deno.test("SystemdNotifier logs a socket it cannot open and then does nothing", () => {
  const logger = new MemoryLogger();
  const notifier = new SystemdNotifier({
    host: hostWith({ "NOTIFY_SOCKET": "vsock:2:9", "WATCHDOG_USEC": "1000" }),
    clock: new FakeClock(),
    logger,
  });
  notifier.polled(() => {
    throw new Error("no snapshot is made for nobody");
  });
  assert.equal(notifier.watchdog, false);
  assert.deepEqual(
    logger.events("systemd.notify_unavailable").map((e) => e.msg),
    [
      'Cannot use NOTIFY_SOCKET "vsock:2:9": expected an absolute path or "@" and a name: systemd hears no readiness, watchdog or status',
    ],
  );
});

Deno.test("SystemdNotifier.checkPollCycle() warns when a slow poll cycle may outlast half the watchdog", () => {
  const { logger, notifier } = setUp({ "WATCHDOG_USEC": "30000000" });
  notifier.checkPollCycle(CONFIG); // 1 s + 5 s + 5 s < 15 s
  assert.deepEqual(logger.events("systemd.watchdog_short"), []);
  const slow = parseConfig(
    "ups:\n  name: u\n  check_interval: 5s\n",
    "t.yaml",
  );
  notifier.checkPollCycle(slow); // 5 s + 5 s + 5 s = 15 s
  assert.deepEqual(logger.events("systemd.watchdog_short").map((e) => e.msg), [
    'The watchdog of systemd (WatchdogSec= "30 s") is shorter than twice the slowest poll cycle of this config (check_interval + connect_timeout + reply_timeout = "15 s"): raise WatchdogSec= or lower those settings',
  ]);
});
