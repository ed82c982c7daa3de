import assert from "node:assert/strict";
import type { CrisisFlag } from "./shutdown/crisis_machine.ts";
import { startDaemon } from "./testing/daemon.ts";
import { makeFakeTools } from "./testing/fake_tools.ts";
import { IGNORE_WITHOUT_UPSD, startUpsd } from "./testing/upsd.ts";

/** This boot's id; Deno reads /proc only with all permissions, so `cat` does. */
async function bootId(): Promise<string> {
  const { stdout } = await new Deno.Command("cat", {
    args: ["/proc/sys/kernel/random/boot_id"],
  }).output();
  return new TextDecoder().decode(stdout).trim();
}

Deno.test({
  name:
    "ups-monitor run --dry-run neither resumes nor completes a real sequence's flag, and starts none over it",
  ignore: IGNORE_WITHOUT_UPSD,
  timeout: 60_000,
}, async () => {
  await using upsd = await startUpsd();
  await using tools = await makeFakeTools({ engines: ["docker"] });
  const dir = await Deno.makeTempDir({ dir: "/run" });
  try {
    const { ups, host, port } = upsd.address();
    await Deno.writeTextFile(
      `${dir}/config.yaml`,
      `ups: {name: "${ups}@${host}:${port}", tls: off, check_interval: 200ms}
shutdown: {vms: {enabled: false}, local: {command: ["${
        tools.path("shutdown")
      }"]}}
paths: {state: ${dir}/state, flag: ${dir}/flag, history: ${dir}/history, durations: ${dir}/durations, pid: ${dir}/pid}
logging: {file: null}
`,
    );
    // A real sequence interrupted after its first step, in this boot.
    const real: CrisisFlag = {
      state: "running",
      reason: { trigger: "low_charge", message: "charge 12% < 20%" },
      startedAt: Date.now() - 10_000,
      bootId: await bootId(),
      dryRun: false,
      completedSteps: ["vms"],
      results: [],
    };
    const text = JSON.stringify(real);
    await Deno.writeTextFile(`${dir}/flag`, text);

    await using daemon = startDaemon(
      ["--config", `${dir}/config.yaml`, "--dry-run"],
      tools.env,
    );
    const left = await daemon.waitFor((e) =>
      e.event === "shutdown.real_sequence_left"
    );
    assert.equal(left.level, "error");
    await daemon.waitFor((e) => e.event === "nut.connected");
    // FSD would trigger at once: the rehearsal must not start a sequence
    // whose flag would replace the real one.
    await using admin = upsd.adminClient();
    await admin.fsd();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const names = daemon.events.map((e) => e.event);
    assert.ok(!names.includes("shutdown.resumed"), names.join(", "));
    assert.ok(!names.includes("shutdown.triggered"), names.join(", "));
    assert.ok(!names.includes("shutdown.step"), names.join(", "));
    assert.equal(await daemon.stop("SIGTERM"), 0);
    assert.equal(await Deno.readTextFile(`${dir}/flag`), text);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name:
    "ups-monitor run re-arms when the crisis flag of a finished sequence is removed by hand",
  ignore: IGNORE_WITHOUT_UPSD,
  timeout: 60_000,
}, async () => {
  await using upsd = await startUpsd();
  await using tools = await makeFakeTools({ engines: ["docker"] });
  const dir = await Deno.makeTempDir({ dir: "/run" });
  try {
    const { ups, host, port } = upsd.address();
    await Deno.writeTextFile(
      `${dir}/config.yaml`,
      `ups: {name: "${ups}@${host}:${port}", tls: off, check_interval: 200ms}
shutdown: {dry_run: true, rearm_after: 1h, vms: {enabled: false}, local: {command: ["${
        tools.path("shutdown")
      }"]}}
paths: {state: ${dir}/state, flag: ${dir}/flag, history: ${dir}/history, pid: ${dir}/pid}
logging: {file: null}
readiness: {enabled: false}
`,
    );
    await using daemon = startDaemon(
      ["--config", `${dir}/config.yaml`],
      tools.env,
    );
    await daemon.waitFor((e) => e.event === "nut.connected");
    await using admin = upsd.adminClient();
    await admin.setVar("ups.status", "OB DISCHRG LB");
    await daemon.waitFor((e) => e.event === "shutdown.complete");
    // Give the watcher a look at the flag, then remove it as the seed's users did.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await Deno.remove(`${dir}/flag`);
    const rearmed = await daemon.waitFor((e) => e.event === "shutdown.rearmed");
    assert.equal(
      rearmed.msg,
      "Crisis flag removed by hand: shutdown triggers re-armed",
    );
    assert.equal(await daemon.stop("SIGTERM"), 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
