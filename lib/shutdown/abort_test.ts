import assert from "node:assert/strict";
import type { Notification, Notifier } from "../notify/notifier.ts";
import { systemClock } from "../system/clock.ts";
import { createRunner } from "../system/exec.ts";
import { type FakeTools, makeFakeTools } from "../testing/fake_tools.ts";
import { MemoryLogger } from "../testing/memory_logger.ts";
import { shutdownConfig } from "../testing/shutdown_config.ts";
import { makeTempDir } from "../testing/temp_dir.ts";
import { crisisState } from "./crisis.ts";
import { CrisisController } from "./crisis_controller.ts";
import { type SequenceOptions, sequenceShell } from "./sequence.ts";

/** Records the notifications' events and the notifier's mode switches. */
class Recorder implements Notifier {
  readonly events: string[] = [];
  notify(n: Notification): void {
    this.events.push(n.event);
  }
  enterCrisis(): void {
    this.events.push("(enter crisis)");
  }
  leaveCrisis(): void {
    this.events.push("(leave crisis)");
  }
  flush(): Promise<boolean> {
    return Promise.resolve(true);
  }
}

const REASON = { trigger: "low_charge", message: "charge 18% < 20%" };

async function setUp(dir: string, fakes: FakeTools, trigger = REASON) {
  const config = shutdownConfig(dir, {
    vms: { "max_wait": "600ms" },
    containers: { engine: "docker" },
    custom: [{
      name: "pause backups",
      after: "containers",
      command: ["touch", `${dir}/paused`],
      reversible: true,
      undo: ["touch", `${dir}/resumed`],
    }],
    filesystems: { timeout: "300ms", mounts: [{ path: `${dir}/mnt` }] },
    local: { command: [fakes.path("shutdown"), "-h", "now"] },
  });
  const notifier = new Recorder();
  const options: SequenceOptions = {
    config,
    runner: createRunner({ logger: new MemoryLogger(), dryRun: false }),
    notifier,
    logger: new MemoryLogger(),
    clock: systemClock,
    bootId: "boot",
    env: fakes.env,
    vmPollIntervalMs: 50,
  };
  let rearmed = 0;
  const crisis = new CrisisController(
    systemClock,
    sequenceShell(options, {
      holdTriggers() {},
      rearmTriggers: () => void rearmed++,
      applyReload: () => Promise.resolve(),
    }),
  );
  await crisis.dispatch({
    kind: "triggered",
    reason: trigger,
    bootId: "boot",
    dryRun: false,
    nowMs: Date.now(),
  });
  return { crisis, notifier, config, rearmed: () => rearmed };
}

/** Resolves once a stand-in recorded a call that `match` accepts. */
async function called(fakes: FakeTools, match: (call: string[]) => boolean) {
  for (let i = 0; i < 200; i++) {
    if ((await fakes.calls()).some(match)) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error("the call never came");
}

Deno.test({
  name:
    "an abort before the point of no return stops after the step in progress and starts again what it stopped",
  timeout: 30_000,
}, async () => {
  await using dir = await makeTempDir();
  await using fakes = await makeFakeTools({
    vms: [{ name: "web", shutdownDelayMs: 100 }, {
      name: "legacy",
      ignoresShutdown: true,
    }, { name: "idle", running: false }],
    containers: [{ id: "c1", name: "app" }],
  });
  const { crisis, notifier, config, rearmed } = await setUp(dir.path, fakes);
  // Power is back while the VMs are being shut down.
  await called(fakes, (c) => c[0] === "virsh" && c[1] === "shutdown");
  await crisis.dispatch({ kind: "power_stable", nowMs: Date.now() });
  await crisis.idle();

  const calls = (await fakes.calls()).map((c) => c.join(" "));
  // The VM step finished (the stuck VM destroyed), nothing after it ran.
  assert.ok(calls.includes("virsh destroy --domain legacy"), calls.join("\n"));
  assert.ok(!calls.some((c) => c.startsWith("docker stop")), calls.join("\n"));
  assert.ok(!calls.some((c) => c.startsWith("shutdown")), calls.join("\n"));
  // Only the VMs that ran before are started again.
  assert.deepEqual(
    calls.filter((c) => c.startsWith("virsh start")).sort(),
    ["virsh start --domain legacy", "virsh start --domain web"],
  );
  assert.deepEqual(await fakes.vmStates(), {
    web: "running",
    legacy: "running",
    idle: "shut off",
  });
  assert.equal(crisis.mode.mode, "armed");
  assert.equal(rearmed(), 1);
  const flag = await crisisState(config.paths.flag);
  assert.ok(flag.state === "aborted", JSON.stringify(flag));
  assert.deepEqual(flag.flag.completedSteps, ["vms"]);
  assert.deepEqual(flag.flag.rollback?.sort(), [
    "VM legacy started",
    "VM web started",
  ]);
  assert.deepEqual(notifier.events.filter((e) => !e.startsWith("shutdown.")), [
    "(enter crisis)",
    "(leave crisis)",
  ]);
  const shutdownEvents = notifier.events.filter((e) =>
    ["shutdown.triggered", "shutdown.aborted", "shutdown.rolled_back"]
      .includes(e)
  );
  assert.deepEqual(shutdownEvents, [
    "shutdown.triggered",
    "shutdown.aborted",
    "shutdown.rolled_back",
  ]);
  assert.equal(
    notifier.events.filter((e) => e === "shutdown.rollback").length,
    2,
  );
});

Deno.test({
  name:
    "an abort rolls back containers and a reversible custom step, last first",
  timeout: 30_000,
}, async () => {
  await using dir = await makeTempDir();
  await using fakes = await makeFakeTools({
    containers: [{ id: "c1", name: "app" }, { id: "c2", name: "db" }],
  });
  const { crisis, config } = await setUp(dir.path, fakes);
  await called(fakes, (c) => c[0] === "docker" && c[1] === "stop");
  await crisis.dispatch({ kind: "power_stable", nowMs: Date.now() });
  await crisis.idle();
  assert.deepEqual((await fakes.runningContainers()).sort(), ["c1", "c2"]);
  const flag = await crisisState(config.paths.flag);
  assert.ok(flag.state === "aborted");
  // The custom step after the containers may or may not have run: if it
  // did, its undo ran after nothing else, first in the rollback.
  const steps = flag.flag.completedSteps;
  const rollback = flag.flag.rollback ?? [];
  if (steps.includes("custom.0")) {
    assert.match(rollback[0] ?? "", /^Undo "touch .*resumed" done$/);
    await Deno.stat(`${dir.path}/resumed`);
  }
  assert.ok(rollback.includes("Containers app, db started"), rollback.join());
});

Deno.test({
  name:
    "power back past the point of no return, or after FSD, does not abort: the sequence completes",
  timeout: 30_000,
}, async (t) => {
  const committed = async (crisis: CrisisController) => {
    while (crisis.mode.mode !== "running" || !crisis.mode.committed) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };
  for (
    const [name, trigger, past] of [
      ["past the point of no return", REASON, true],
      ["after FSD", { trigger: "fsd", message: "FSD" }, false],
    ] as const
  ) {
    await t.step(name, async () => {
      await using dir = await makeTempDir();
      await using fakes = await makeFakeTools({ vms: [{ name: "web" }] });
      const { crisis, config } = await setUp(dir.path, fakes, trigger);
      if (past) await committed(crisis);
      else await called(fakes, (c) => c[0] === "virsh");
      await crisis.dispatch({ kind: "power_stable", nowMs: Date.now() });
      await crisis.idle();
      const calls = (await fakes.calls()).map((c) => c[0]);
      assert.ok(calls.includes("shutdown"), calls.join(" "));
      assert.ok(!calls.includes("start"));
      assert.equal((await crisisState(config.paths.flag)).state, "done");
    });
  }
});
