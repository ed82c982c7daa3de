import assert from "node:assert/strict";
import { startDaemon } from "./testing/daemon.ts";
import { makeFakeTools } from "./testing/fake_tools.ts";
import {
  IGNORE_WITHOUT_PYTHON,
  type Notification,
  startNotifyReceiver,
} from "./testing/notify_receiver.ts";
import { makeRunDir, makeTempDir } from "./testing/temp_dir.ts";
import { IGNORE_WITHOUT_UPSD, startUpsd } from "./testing/upsd.ts";

/** `WATCHDOG_USEC` of these tests: a ping at most every 400 ms. */
const WATCHDOG_USEC = 800_000;

/** The config of a test daemon: fast polls, a reply timeout far longer than the watchdog. */
function configText(dir: string, ups: string, shutdown: string): string {
  return `ups:
  name: "${ups}"
  tls: off
  check_interval: 100ms
  connect_timeout: 1s
  reply_timeout: 30s
shutdown: {dry_run: true, vms: {enabled: false}, local: {command: ["${shutdown}"]}}
paths: {state: ${dir}/state, flag: ${dir}/flag, history: ${dir}/history, durations: ${dir}/durations, pid: ${dir}/pid}
logging: {file: null}
`;
}

const pings = (messages: Notification[]) =>
  messages.filter((m) => m.fields["WATCHDOG"] === "1");

const pause = (ms: number) => new Promise((ok) => setTimeout(ok, ms));

Deno.test({
  name:
    "ups-monitor run tells systemd READY after the first poll, WATCHDOG while polls complete, STATUS and STOPPING",
  ignore: IGNORE_WITHOUT_UPSD || IGNORE_WITHOUT_PYTHON,
  timeout: 60_000,
}, async (t) => {
  await using upsd = await startUpsd();
  await using tools = await makeFakeTools({ engines: ["docker"] });
  await using run = await makeRunDir();
  await using sockets = await makeTempDir();
  await using systemd = await startNotifyReceiver(sockets.join("notify"));
  const { ups, host, port } = upsd.address();
  await Deno.writeTextFile(
    run.join("config.yaml"),
    configText(run.path, `${ups}@${host}:${port}`, tools.path("shutdown")),
  );
  await using daemon = startDaemon(["--config", run.join("config.yaml")], {
    ...tools.env,
    "NOTIFY_SOCKET": systemd.address,
    "WATCHDOG_USEC": String(WATCHDOG_USEC),
  });

  await t.step(
    "READY=1 with the status comes first, from the daemon's pid",
    async () => {
      const ready = await systemd.next((m) => m.fields["READY"] === "1", {
        timeoutMs: 20_000,
      });
      assert.deepEqual(systemd.messages()[0], ready);
      assert.equal(ready.pid, daemon.pid);
      assert.equal(
        ready.fields["STATUS"],
        "On line, charging, charge 100 %, runtime 30 min, load 23 %",
      );
      const short = await daemon.waitFor((e) =>
        e.event === "systemd.watchdog_short"
      );
      assert.equal(
        short.msg,
        'The watchdog of systemd (WatchdogSec= "1 s") is shorter than twice the slowest poll cycle of this config (check_interval + connect_timeout + reply_timeout = "31 s"): raise WatchdogSec= or lower those settings',
      );
    },
  );

  await t.step(
    "WATCHDOG=1 at most every half of WATCHDOG_USEC while polls complete",
    async () => {
      const from = systemd.messages().length;
      await pause(2500);
      const seen = pings(systemd.messages().slice(from));
      assert.ok(seen.length >= 4, `${seen.length} pings in 2.5 s`);
      for (let i = 1; i < seen.length; i++) {
        const gap = seen[i]!.at - seen[i - 1]!.at;
        // Half of WATCHDOG_USEC, less the jitter of two reads of a pipe.
        assert.ok(gap >= 350, `pings ${gap.toFixed(0)} ms apart`);
      }
      assert.ok(seen.every((m) => m.pid === daemon.pid));
    },
  );

  await t.step(
    "a poll that hangs (upsd stopped) stops the pings; they resume with it",
    async () => {
      upsd.signalUpsd("SIGSTOP");
      try {
        // A poll already answered may still ping once.
        await pause(600);
        const from = systemd.messages().length;
        await pause(2000);
        assert.deepEqual(pings(systemd.messages().slice(from)), []);
      } finally {
        upsd.signalUpsd("SIGCONT");
      }
      const from = systemd.messages().length;
      const resumed = await systemd.next((m) => m.fields["WATCHDOG"] === "1", {
        from,
        timeoutMs: 5000,
      });
      assert.equal(resumed.pid, daemon.pid);
    },
  );

  await t.step("SIGTERM: STOPPING=1, then a clean exit", async () => {
    const from = systemd.messages().length;
    assert.equal(await daemon.stop("SIGTERM"), 0);
    const stopping = await systemd.next(
      (m) => m.fields["STOPPING"] === "1",
      { from },
    );
    assert.deepEqual(stopping.fields, { STOPPING: "1", STATUS: "Stopping" });
    const after = systemd.messages().filter((m) => m.at > stopping.at);
    assert.deepEqual(after, [], "nothing after STOPPING=1");
  });
});

Deno.test({
  name:
    "ups-monitor run tells systemd READY when upsd is down, with why in STATUS, and feeds no watchdog of another pid",
  ignore: IGNORE_WITHOUT_PYTHON,
  timeout: 60_000,
}, async () => {
  await using tools = await makeFakeTools({ engines: ["docker"] });
  await using run = await makeRunDir();
  await using systemd = await startNotifyReceiver(
    `@ups-monitor-test-${crypto.randomUUID()}`,
  );
  const closed = (() => {
    using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    return listener.addr.port;
  })();
  await Deno.writeTextFile(
    run.join("config.yaml"),
    configText(run.path, `ups@127.0.0.1:${closed}`, tools.path("shutdown")),
  );
  await using daemon = startDaemon(["--config", run.join("config.yaml")], {
    ...tools.env,
    "NOTIFY_SOCKET": systemd.address,
    "WATCHDOG_USEC": String(WATCHDOG_USEC),
    // The watchdog belongs to another process (we inherited the variables).
    "WATCHDOG_PID": "1",
  });
  const ready = await systemd.next((m) => m.fields["READY"] === "1", {
    timeoutMs: 20_000,
  });
  assert.equal(ready.pid, daemon.pid);
  assert.deepEqual(ready.fields, {
    READY: "1",
    STATUS: "No reading from upsd yet (1 failed poll: connection refused)",
  });
  await pause(1500);
  assert.deepEqual(pings(systemd.messages()), []);
  assert.equal(await daemon.stop("SIGTERM"), 0);
});
