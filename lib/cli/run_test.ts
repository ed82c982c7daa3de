import assert from "node:assert/strict";
import { INSPECTOR_PORT } from "../system/inspector_guard.ts";
import { type LoggedEvent, startDaemon } from "../testing/daemon.ts";
import { makeFakeTools } from "../testing/fake_tools.ts";
import { hang, startRecordingServer } from "../testing/http_server.ts";
import { runProgram } from "../testing/program.ts";
import { makeRunDir } from "../testing/temp_dir.ts";
import {
  IGNORE_WITHOUT_UPSD,
  query,
  startUpsd,
  USERS,
} from "../testing/upsd.ts";

Deno.test({
  name:
    "ups-monitor run handles SIGHUP (reload or reject, log reopened), a second instance and SIGTERM",
  ignore: IGNORE_WITHOUT_UPSD,
  timeout: 90_000,
}, async (t) => {
  await using upsd = await startUpsd({ maxAge: 5 });
  await using tools = await makeFakeTools({ engines: ["docker"] });
  await using webhook = startRecordingServer(hang());
  const dir = await Deno.makeTempDir({ dir: "/run" });
  try {
    const { ups, host, port } = upsd.address();
    const config = `${dir}/config.yaml`;
    const write = (extra: string) =>
      Deno.writeTextFile(
        config,
        `ups: {name: "${ups}@${host}:${port}", tls: off, check_interval: 300ms}
notifications:
  timeout: 1s
  crisis_budget: 2s
  channels: [{kind: discord, url: "${webhook.url}/api/webhooks/1/hidden-token"}]
shutdown: {dry_run: true, vms: {enabled: false}, local: {command: ["${
          tools.path("shutdown")
        }"]}}
paths: {state: ${dir}/state, flag: ${dir}/flag, history: ${dir}/history, durations: ${dir}/durations, pid: ${dir}/pid}
logging: {file: ${dir}/ups.log}
${extra}`,
      );
    await write("");
    const env = tools.env;
    await using daemon = startDaemon(["--config", config], env);
    await daemon.waitFor((e) => e.event === "nut.connected");

    await t.step("a second instance is refused with exit 2", async () => {
      const second = await runProgram(["run", "--config", config], { env });
      assert.equal(second.code, 2);
      // Not a usage mistake: no usage text.
      assert.equal(
        second.stderr,
        `Cannot start: another ups-monitor is running with pid "${daemon.pid}" (pid file "${dir}/pid")\n`,
      );
    });

    await t.step(
      "SIGHUP reopens the log file and reloads a valid config",
      async () => {
        await Deno.rename(`${dir}/ups.log`, `${dir}/ups.log.1`);
        const from = daemon.events.length;
        await write("triggers: {low_battery: 30}");
        daemon.signal("SIGHUP");
        const reloaded = await daemon.waitFor(
          (e) => e.event === "config.reloaded",
          { from },
        );
        assert.match(reloaded.msg, /^Config reloaded from /);
        await daemon.waitFor((e) => e.event === "nut.connected", { from });
        const rotated = await Deno.readTextFile(`${dir}/ups.log.1`);
        assert.match(rotated, /Monitor started|monitor\.started/);
        const current = await Deno.readTextFile(`${dir}/ups.log`);
        assert.match(current, /config\.reloaded/);
        assert.ok(
          !current.includes("monitor.started"),
          "a reload does not restart the monitor",
        );
      },
    );

    await t.step(
      "SIGHUP with an invalid config keeps the old one and lists the problems",
      async () => {
        const from = daemon.events.length;
        await write("triggers: {low_battery: 200}");
        daemon.signal("SIGHUP");
        const rejected = await daemon.waitFor(
          (e) => e.event === "config.reload_rejected",
          { from },
        );
        assert.deepEqual(rejected["issues"], [{
          file: config,
          line: 9,
          column: 25,
          key: "triggers.low_battery",
          message: "expected at most 100",
        }]);
        // Still polling with the old config: a change at upsd is reported.
        const reply = await query(
          port,
          `USERNAME ${USERS.admin.name}\nPASSWORD ${USERS.admin.password}\nSET VAR ${ups} ups.status "OB DISCHRG"`,
        );
        assert.match(reply, /OK/);
        await daemon.waitFor((e) => e.event === "power.on_battery", { from });
      },
    );

    await t.step(
      "a reload after a sequence does not run it again in the same outage",
      async () => {
        const from = daemon.events.length;
        const reply = await query(
          port,
          `USERNAME ${USERS.admin.name}\nPASSWORD ${USERS.admin.password}\nSET VAR ${ups} battery.charge "10"`,
        );
        assert.match(reply, /OK/);
        await daemon.waitFor((e) => e.event === "shutdown.complete", {
          from,
          timeoutMs: 15_000,
        });
        const reloadFrom = daemon.events.length;
        await write("triggers: {low_battery: 25}");
        daemon.signal("SIGHUP");
        await daemon.waitFor((e) => e.event === "shutdown.crisis_mode", {
          from: reloadFrom,
        });
        await new Promise((resolve) => setTimeout(resolve, 2000));
        const again = daemon.events.slice(reloadFrom).filter((e) =>
          e.event === "shutdown.triggered"
        );
        assert.deepEqual(
          again,
          [],
          "still on battery at 10 %, but no second sequence",
        );
      },
    );

    await t.step(
      "SIGTERM stops within the flush bound although the webhook hangs, exit 0",
      async () => {
        const started = performance.now();
        assert.equal(await daemon.stop("SIGTERM"), 0);
        const took = performance.now() - started;
        assert.ok(took < 8000, `stopped in ${Math.round(took)} ms`);
        await daemon.waitFor((e) => e.event === "monitor.stopped");
        const log = await Deno.readTextFile(`${dir}/ups.log`);
        assert.ok(
          !log.includes("hidden-token"),
          "the webhook URL is never logged",
        );
      },
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** A config for a daemon that watches and only rehearses a shutdown. */
function watchConfig(
  upsd: { address(): { ups: string; host: string; port: number } },
  options: { dir: string; shutdown: string; logFile: string | null },
): string {
  const { ups, host, port } = upsd.address();
  const { dir } = options;
  return `ups: {name: "${ups}@${host}:${port}", tls: off, check_interval: 300ms}
shutdown: {dry_run: true, vms: {enabled: false}, local: {command: ["${options.shutdown}"]}}
paths: {state: ${dir}/state, flag: ${dir}/flag, history: ${dir}/history, durations: ${dir}/durations, pid: ${dir}/pid}
logging: {file: ${options.logFile ?? "null"}}
`;
}

Deno.test({
  name:
    "ups-monitor run keeps monitoring when the log file is unusable at start or after a SIGHUP, warning once",
  ignore: IGNORE_WITHOUT_UPSD,
  timeout: 60_000,
}, async (t) => {
  await using upsd = await startUpsd();
  await using tools = await makeFakeTools({ engines: ["docker"] });
  await using dir = await makeRunDir();
  const { ups, port } = upsd.address();
  const log = dir.join("ups.log");
  const config = dir.join("config.yaml");
  await Deno.writeTextFile(
    config,
    watchConfig(upsd, {
      dir: dir.path,
      shutdown: tools.path("shutdown"),
      logFile: log,
    }),
  );
  const failed = (e: LoggedEvent) => e.event === "log.file_failed";
  await Deno.mkdir(log);
  await using daemon = startDaemon(["--config", config], tools.env);

  await t.step("a log path that is a directory: starts, warns", async () => {
    await daemon.waitFor((e) => e.event === "nut.connected");
    const warnings = daemon.events.filter(failed);
    assert.equal(warnings.length, 1);
    assert.equal(warnings[0]?.level, "warning");
    assert.equal(
      warnings[0]?.msg,
      `Cannot open the log file "${log}": it is a directory; logging to the console only, retrying on SIGHUP and every 5 minutes`,
    );
  });

  await t.step("SIGHUP opens the repaired log file", async () => {
    await Deno.remove(log);
    const from = daemon.events.length;
    daemon.signal("SIGHUP");
    await daemon.waitFor((e) => e.event === "config.reloaded", { from });
    await daemon.waitFor((e) => e.event === "log.file_restored", { from });
    // The file is opened again on SIGHUP and by the reloaded config: the
    // reload's line lands in it within a moment, in either order.
    let text = "";
    for (let i = 0; i < 50 && !/config\.reloaded/.test(text); i++) {
      text = await Deno.readTextFile(log);
      if (!/config\.reloaded/.test(text)) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    assert.match(text, /config\.reloaded/);
  });

  await t.step(
    "SIGHUP when the log path became a directory: warns once, keeps polling",
    async () => {
      await Deno.rename(log, `${log}.1`);
      await Deno.mkdir(log);
      const from = daemon.events.length;
      daemon.signal("SIGHUP");
      await daemon.waitFor((e) => e.event === "config.reloaded", { from });
      const reply = await query(
        port,
        `USERNAME ${USERS.admin.name}\nPASSWORD ${USERS.admin.password}\nSET VAR ${ups} ups.status "OB DISCHRG"`,
      );
      assert.match(reply, /OK/);
      await daemon.waitFor((e) => e.event === "power.on_battery", { from });
      const again = daemon.events.length;
      daemon.signal("SIGHUP");
      await daemon.waitFor((e) => e.event === "config.reloaded", {
        from: again,
      });
      assert.equal(daemon.events.slice(from).filter(failed).length, 1);
      assert.equal(await daemon.stop("SIGTERM"), 0);
    },
  );
});

Deno.test({
  name: "ups-monitor run does not open the V8 inspector on SIGUSR1",
  ignore: IGNORE_WITHOUT_UPSD,
  timeout: 60_000,
}, async () => {
  await using upsd = await startUpsd();
  await using tools = await makeFakeTools({ engines: ["docker"] });
  await using dir = await makeRunDir();
  const config = dir.join("config.yaml");
  await Deno.writeTextFile(
    config,
    watchConfig(upsd, {
      dir: dir.path,
      shutdown: tools.path("shutdown"),
      logFile: null,
    }),
  );
  await using daemon = startDaemon(["--config", config], tools.env);
  await daemon.waitFor((e) => e.event === "nut.connected");
  // Deno starts listening for SIGUSR1 500 ms after start.
  await new Promise((resolve) => setTimeout(resolve, 1000));
  daemon.signal("SIGUSR1");
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const answer = await inspectorTargets(INSPECTOR_PORT);
  assert.ok(
    !answer.includes(`[pid: ${daemon.pid}]`),
    `the inspector answers for the daemon: ${answer}`,
  );
  assert.deepEqual(
    daemon.other.filter((line) => line.includes("Debugger listening")),
    [],
  );
  // SIGUSR1's default action would have ended it with 138.
  assert.equal(await daemon.stop("SIGTERM"), 0);
});

/** What `GET /json/list` on the inspector port answers, "" if nothing does. */
async function inspectorTargets(port: number): Promise<string> {
  let conn: Deno.TcpConn;
  try {
    conn = await Deno.connect({ hostname: "127.0.0.1", port });
  } catch (error) {
    if (error instanceof Deno.errors.ConnectionRefused) return "";
    throw error;
  }
  // A read ignores signals: closing the connection ends a silent one.
  let closed = false;
  const close = () => {
    if (!closed) conn.close();
    closed = true;
  };
  const timer = setTimeout(close, 3000);
  try {
    await conn.write(
      new TextEncoder().encode(
        `GET /json/list HTTP/1.0\r\nHost: 127.0.0.1:${port}\r\n\r\n`,
      ),
    ).catch(() => 0);
    let text = "";
    const buffer = new Uint8Array(16384);
    for (;;) {
      const read = await conn.read(buffer).catch(() => null);
      if (read === null) return text;
      text += new TextDecoder().decode(buffer.subarray(0, read));
    }
  } finally {
    clearTimeout(timer);
    close();
  }
}
