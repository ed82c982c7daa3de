import assert from "node:assert/strict";
import { startDaemon } from "../testing/daemon.ts";
import { makeFakeTools } from "../testing/fake_tools.ts";
import { hang, startRecordingServer } from "../testing/http_server.ts";
import { runProgram } from "../testing/program.ts";
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
paths: {state: ${dir}/state, flag: ${dir}/flag, history: ${dir}/history, pid: ${dir}/pid}
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
      assert.match(
        second.stderr,
        /^Cannot start: another ups-monitor is running with pid "\d+"/,
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
