import assert from "node:assert/strict";
import { startDaemon } from "./testing/daemon.ts";
import { makeFakeTools } from "./testing/fake_tools.ts";
import { IGNORE_WITHOUT_UPSD, startUpsd } from "./testing/upsd.ts";

Deno.test({
  name:
    "ups-monitor run aborts a sequence when the power is back for the hold, starts the VMs again and shuts down at the next outage",
  ignore: IGNORE_WITHOUT_UPSD,
  timeout: 120_000,
}, async () => {
  await using upsd = await startUpsd();
  // One VM ignores the shutdown request: the VM step waits its max_wait.
  await using tools = await makeFakeTools({
    vms: [{ name: "web" }, { name: "legacy", ignoresShutdown: true }],
    engines: ["docker"],
  });
  const dir = await Deno.makeTempDir({ dir: "/run" });
  try {
    const { ups, host, port } = upsd.address();
    await Deno.writeTextFile(
      `${dir}/config.yaml`,
      `ups: {name: "${ups}@${host}:${port}", tls: off, check_interval: 200ms}
triggers: {persistence_polls: 1}
shutdown:
  rearm_after: 1h
  abort: {hold: 1s, timeout: 5s}
  vms: {max_wait: 6s}
  containers: {enabled: false}
  local: {command: ["${tools.path("shutdown")}"]}
paths: {state: ${dir}/state, flag: ${dir}/flag, history: ${dir}/history, durations: ${dir}/durations, pid: ${dir}/pid}
logging: {file: null}
readiness: {enabled: false}
`,
    );
    await using admin = upsd.adminClient();
    await using daemon = startDaemon(
      ["--config", `${dir}/config.yaml`],
      tools.env,
    );
    await daemon.waitFor((e) => e.event === "nut.connected");
    const outage = async () => {
      await admin.setVar("ups.status", "OB DISCHRG");
      await admin.setVar("battery.charge", "10");
    };
    await outage();
    await daemon.waitFor((e) => e.event === "shutdown.triggered");
    await daemon.waitFor((e) =>
      e.event === "shutdown.action" && /Stopping VM/.test(e.msg)
    );
    // Power back during the VM step, for longer than the hold.
    await admin.setVar("ups.status", "OL CHRG");
    await admin.setVar("battery.charge", "60");
    const aborted = await daemon.waitFor(
      (e) => e.event === "shutdown.aborted",
      {
        timeoutMs: 15_000,
      },
    );
    assert.match(
      aborted.msg,
      /^Power back for 1s before the point of no return/,
    );
    const restored = await daemon.waitFor(
      (e) => e.event === "shutdown.rolled_back",
      { timeoutMs: 15_000 },
    );
    assert.equal(restored["actions"], 2);
    assert.deepEqual(await tools.vmStates(), {
      web: "running",
      legacy: "running",
    });
    const steps = daemon.events.filter((e) =>
      e.event === "shutdown.step" && e["phase"] !== "start"
    ).map((e) => e["step"]);
    assert.deepEqual(steps, ["vms"], "nothing after the VM step ran");

    // The triggers are armed again: the next outage shuts down for real.
    const mark = daemon.events.length;
    await outage();
    await daemon.waitFor((e) => e.event === "shutdown.triggered", {
      from: mark,
      timeoutMs: 15_000,
    });
    await daemon.waitFor((e) => e.event === "shutdown.complete", {
      from: mark,
      timeoutMs: 30_000,
    });
    assert.ok(
      (await tools.calls()).some((c) => c[0] === "shutdown"),
      "the local shutdown ran at the second outage",
    );
    assert.equal(await daemon.stop("SIGTERM"), 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
