import assert from "node:assert/strict";
import { startDaemon } from "./testing/daemon.ts";
import { makeFakeTools } from "./testing/fake_tools.ts";
import { IGNORE_WITHOUT_UPSD, startUpsd } from "./testing/upsd.ts";

Deno.test({
  name:
    "ups-monitor run resumes an outage after a crash: the extended time keeps counting",
  ignore: IGNORE_WITHOUT_UPSD,
  timeout: 90_000,
}, async () => {
  await using upsd = await startUpsd({ maxAge: 5 });
  await using tools = await makeFakeTools({ engines: ["docker"] });
  const dir = await Deno.makeTempDir({ dir: "/run" });
  try {
    const { ups, host, port } = upsd.address();
    await Deno.writeTextFile(
      `${dir}/config.yaml`,
      `ups: {name: "${ups}@${host}:${port}", tls: off, check_interval: 200ms}
triggers: {extended_time: {enabled: true, after: 5s}}
shutdown: {dry_run: true, vms: {enabled: false}, local: {command: ["${
        tools.path("shutdown")
      }"]}}
paths: {state: ${dir}/state, flag: ${dir}/flag, history: ${dir}/history, durations: ${dir}/durations, pid: ${dir}/pid}
logging: {file: null}
`,
    );
    await using admin = upsd.adminClient();
    const env = tools.env;
    const first = startDaemon(["--config", `${dir}/config.yaml`], env);
    await first.waitFor((e) => e.event === "nut.connected");
    await admin.setVar("ups.status", "OB DISCHRG");
    const onBattery = await first.waitFor((e) =>
      e.event === "power.on_battery"
    );
    await new Promise((resolve) => setTimeout(resolve, 2000));
    await first.stop("SIGKILL");

    await using second = startDaemon(["--config", `${dir}/config.yaml`], env);
    const resumed = await second.waitFor((e) => e.event === "outage.resumed");
    assert.match(resumed.msg, /on battery/i);
    const fired = await second.waitFor(
      (e) => e.event === "shutdown.triggered",
      { timeoutMs: 15_000 },
    );
    assert.equal(fired["reason"], "extended_time", fired.msg);
    const sinceOutage = fired.at - onBattery.at;
    assert.ok(
      sinceOutage >= 4500 && sinceOutage < 8000,
      `extended time counted from the first outage start: ${
        Math.round(sinceOutage)
      } ms`,
    );
    assert.equal(await second.stop("SIGTERM"), 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
