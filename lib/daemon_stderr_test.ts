import assert from "node:assert/strict";
import { denoRunArgs } from "./flags.ts";
import { makeTempDir } from "./testing/temp_dir.ts";
import { IGNORE_WITHOUT_UPSD, startUpsd } from "./testing/upsd.ts";

Deno.test({
  name:
    "ups-monitor run keeps polling and stops on SIGTERM after the reader of its stderr is gone",
  ignore: IGNORE_WITHOUT_UPSD,
  timeout: 60_000,
}, async () => {
  await using upsd = await startUpsd({ maxAge: 5 });
  await using temp = await makeTempDir({ dir: "/run" });
  const dir = temp.path;
  await Deno.writeTextFile(
    `${dir}/config.yaml`,
    `ups: {name: "${upsd.target()}", tls: off, check_interval: 200ms}
shutdown: {dry_run: true, vms: {enabled: false}, containers: {enabled: false}}
paths: {state: ${dir}/state, flag: ${dir}/flag, history: ${dir}/history, durations: ${dir}/durations, pid: ${dir}/pid}
logging: {file: ${dir}/ups.log}
readiness: {enabled: false}
`,
  );
  const child = new Deno.Command(Deno.execPath(), {
    args: denoRunArgs([
      "run",
      "--log-format",
      "json",
      "--config",
      `${dir}/config.yaml`,
    ]),
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  try {
    // Read up to the first poll's connection, then go away as a dead parent
    // (or a restarted journald) would: every later write gets EPIPE.
    const reader = child.stderr.pipeThrough(new TextDecoderStream())
      .getReader();
    let seen = "";
    while (!seen.includes('"nut.connected"')) {
      const { value, done } = await reader.read();
      assert.ok(!done, `stderr ended early:\n${seen}`);
      seen += value;
    }
    await reader.cancel();
    await using admin = upsd.adminClient();
    await admin.setVar("ups.status", "OB DISCHRG");
    // The poll loop goes on: the on-battery event reaches the log file.
    const end = performance.now() + 10_000;
    while (
      !(await Deno.readTextFile(`${dir}/ups.log`)).includes("power.on_battery")
    ) {
      assert.ok(performance.now() < end, "the daemon stopped polling");
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    const status = await child.status;
    clearTimeout(timer);
    assert.equal(status.signal, null, "killed: SIGTERM was not obeyed");
    assert.equal(status.code, 0);
  } finally {
    try {
      child.kill("SIGKILL");
    } catch {
      // Already gone.
    }
    await child.status;
  }
});
