import assert from "node:assert/strict";
import type { Config } from "../config/schema.ts";
import type { Notification, Notifier } from "../notify/notifier.ts";
import { systemClock } from "../system/clock.ts";
import { createRunner } from "../system/exec.ts";
import { type FakeTools, makeFakeTools } from "../testing/fake_tools.ts";
import { MemoryLogger } from "../testing/memory_logger.ts";
import { shutdownConfig } from "../testing/shutdown_config.ts";
import { makeTempDir } from "../testing/temp_dir.ts";
import {
  type CrisisFlag,
  crisisState,
  UNKNOWN_BOOT_ID,
  writeCrisisFlag,
} from "./crisis.ts";
import { parseDurations } from "./durations.ts";
import { resumeIfPending, runSequence } from "./sequence.ts";

/** Records what the sequence tells a notifier; `flush` can hang on cue. */
class RecordingNotifier implements Notifier {
  readonly log: string[] = [];
  readonly sent: Notification[] = [];
  hangFlush = false;

  notify(notification: Notification): void {
    this.sent.push(notification);
    this.log.push(`notify ${notification.event}: ${notification.title}`);
  }

  enterCrisis(): void {
    this.log.push("enterCrisis");
  }

  flush(timeoutMs: number): Promise<boolean> {
    this.log.push(`flush ${timeoutMs}`);
    return this.hangFlush ? new Promise(() => {}) : Promise.resolve(true);
  }
}

const BOOT = "11111111-2222-3333-4444-555555555555";
const REASON = {
  trigger: "low_battery",
  message: 'Battery charge "18" % is below "20" %',
  fields: { charge: 18 },
};

function everyStep(dir: string, fakes: FakeTools): Record<string, unknown> {
  return {
    vms: { "max_wait": "300ms" },
    containers: { engine: "docker" },
    filesystems: { timeout: "300ms", mounts: [{ path: "/proc" }] },
    remotes: [{
      name: "nas",
      host: "127.0.0.1",
      user: "admin",
      "known_hosts": `${dir}/known_hosts`,
    }],
    custom: [{ name: "after vms", after: "vms", command: ["true"] }],
    local: { command: [fakes.path("shutdown"), "-h", "now"] },
  };
}

function collaborators(config: Config, fakes: FakeTools, dryRun = false) {
  const logger = new MemoryLogger();
  const notifier = new RecordingNotifier();
  const runner = createRunner({
    logger,
    dryRun,
    killGraceMs: 200,
    abandonGraceMs: 200,
  });
  return {
    logger,
    notifier,
    options: {
      config,
      runner,
      notifier,
      logger,
      clock: systemClock,
      bootId: BOOT,
      env: fakes.env,
      vmPollIntervalMs: 50,
    },
  };
}

Deno.test("runSequence() runs every step in order, past failures, and shuts down last", async () => {
  await using dir = await makeTempDir();
  await using fakes = await makeFakeTools({
    vms: [{ name: "web" }, { name: "stuck", ignoresShutdown: true }],
    containers: [{ id: "c1", name: "app" }],
    umount: "hang",
    ssh: "fail",
  });
  const config = shutdownConfig(dir.path, everyStep(dir.path, fakes));
  const { logger, notifier, options } = collaborators(config, fakes);
  const report = await runSequence({ ...options, reason: REASON });

  assert.deepEqual(
    (await fakes.calls()).map((c) => c[0]).filter((t, i, all) =>
      t !== all[i - 1]
    ),
    ["virsh", "docker", "sync", "umount", "ssh", "shutdown"],
  );
  assert.deepEqual(
    report.results.map((r) => [r.id, r.status]),
    [
      ["vms", "done"],
      ["custom.0", "done"],
      ["containers", "done"],
      ["sync", "done"],
      ["filesystems", "timeout"],
      ["remotes", "failed"],
      ["power_cycle", "skipped"],
      ["local", "done"],
    ],
  );
  const flag = await crisisState(config.paths.flag);
  assert.equal(flag.state, "done");
  assert.ok(flag.state === "done");
  assert.deepEqual(flag.flag.completedSteps, report.results.map((r) => r.id));
  assert.equal(flag.flag.bootId, BOOT);
  assert.deepEqual(flag.flag.reason, REASON);

  assert.equal(logger.events("shutdown.triggered").length, 1);
  assert.deepEqual(
    logger.events("shutdown.step").map((e) =>
      `${e.fields["step"]} ${e.fields["phase"]}`
    ),
    // A skipped step has no start.
    report.results.flatMap((r) =>
      r.status === "skipped"
        ? [`${r.id} skipped`]
        : [`${r.id} start`, `${r.id} ${r.status}`]
    ),
  );
  assert.ok(
    logger.events("shutdown.step").every((e) =>
      e.fields["phase"] === "start" || e.fields["phase"] === "skipped" ||
      typeof e.fields["duration_ms"] === "number"
    ),
  );
  assert.equal(logger.events("shutdown.complete")[0]?.fields["failed"], 1);

  // Crisis mode first; the summary and a bounded flush before the local step.
  assert.equal(notifier.log[0], "enterCrisis");
  assert.equal(
    notifier.log[1],
    "notify shutdown.triggered: Shutdown triggered",
  );
  const summary = notifier.log.indexOf(
    "notify shutdown.summary: Shutting down this host",
  );
  assert.equal(notifier.log[summary + 1], "flush 30000");
  assert.equal(
    notifier.log[summary + 2],
    "notify shutdown.step: Local shutdown",
  );
  assert.match(
    notifier.sent.find((n) => n.event === "shutdown.summary")?.message ?? "",
    /^VMs: done in \d+\.\d s \(1 of 2 VMs shut down, 1 destroyed\)$/m,
  );
});

Deno.test("runSequence() in dry-run runs queries only and logs every action", async () => {
  await using dir = await makeTempDir();
  await using fakes = await makeFakeTools({
    vms: [{ name: "web" }],
    containers: [{ id: "c1", name: "app" }],
  });
  const config = shutdownConfig(dir.path, {
    ...everyStep(dir.path, fakes),
    "dry_run": true,
    vms: { "max_wait": "30s" },
    filesystems: { mounts: [{ path: "/proc" }] },
    local: { command: ["shutdown", "-h", "now"] },
  });
  const { logger, options } = collaborators(config, fakes, true);
  const started = performance.now();
  const report = await runSequence({ ...options, reason: REASON });
  // No wait for VMs that were never asked to stop.
  assert.ok(performance.now() - started < 10_000);
  assert.deepEqual(await fakes.calls(), [
    ["virsh", "list", "--name", "--state-running"],
    [
      "docker",
      "ps",
      "--no-trunc",
      "--format",
      "{{.ID}}\t{{.Names}}\t{{json .Labels}}",
    ],
  ]);
  assert.deepEqual(await fakes.vmStates(), { web: "running" });
  assert.deepEqual(
    logger.events("exec.dry_run").map((e) => e.msg),
    [
      "[DRY-RUN] would run: virsh shutdown --domain web",
      "[DRY-RUN] would run: virsh destroy --domain web",
      "[DRY-RUN] would run: true",
      "[DRY-RUN] would run: docker stop -t 10 -- c1",
      "[DRY-RUN] would run: sync",
      "[DRY-RUN] would run: umount /proc",
      `[DRY-RUN] would run: ssh -o BatchMode=yes -o ConnectTimeout=10 -o StrictHostKeyChecking=yes -o UserKnownHostsFile=${dir.path}/known_hosts -p 22 admin@127.0.0.1 -- 'sudo -n /usr/syno/sbin/synoshutdown -s'`,
      "[DRY-RUN] would run: shutdown -h now",
    ],
  );
  assert.ok(
    report.results.every((r) => r.status === "done" || r.status === "skipped"),
  );
  assert.equal(report.flag.dryRun, true);
});

Deno.test("runSequence() never lets notifications delay the shutdown past the crisis budget", async () => {
  await using dir = await makeTempDir();
  await using fakes = await makeFakeTools();
  const config = shutdownConfig(dir.path, {
    vms: { enabled: false },
    containers: { enabled: false },
    sync: { enabled: false },
    local: { command: [fakes.path("shutdown")] },
  }, { notifications: { "crisis_budget": "200ms" } });
  const { logger, notifier, options } = collaborators(config, fakes);
  notifier.hangFlush = true;
  const report = await runSequence({ ...options, reason: REASON });
  assert.equal(report.results.at(-1)?.status, "done");
  assert.equal(logger.events("shutdown.notify_late").length, 1);
  assert.deepEqual(await fakes.calls(), [["shutdown"]]);
});

function interruptedFlag(extra: Partial<CrisisFlag> = {}): CrisisFlag {
  return {
    state: "running",
    reason: REASON,
    startedAt: 1_700_000_000_000,
    bootId: BOOT,
    dryRun: false,
    completedSteps: ["vms", "custom.0", "containers"],
    results: [],
    ...extra,
  };
}

Deno.test("resumeIfPending() resumes the remaining steps in the same boot", async () => {
  await using dir = await makeTempDir();
  await using fakes = await makeFakeTools({ vms: [{ name: "web" }] });
  const config = shutdownConfig(dir.path, everyStep(dir.path, fakes));
  await writeCrisisFlag(config.paths.flag, interruptedFlag());
  const { logger, options } = collaborators(config, fakes);
  const outcome = await resumeIfPending(options);
  assert.equal(outcome.action, "resumed");
  assert.ok(outcome.action === "resumed");
  assert.deepEqual(
    outcome.report.results.map((r) => r.id),
    ["sync", "filesystems", "remotes", "power_cycle", "local"],
  );
  assert.deepEqual(
    (await fakes.calls()).map((c) => c[0]),
    ["sync", "umount", "ssh", "shutdown"],
  );
  assert.equal(logger.events("shutdown.resumed").length, 1);
  const state = await crisisState(config.paths.flag);
  assert.ok(state.state === "done");
  assert.equal(state.flag.completedSteps.length, 8);
});

Deno.test("resumeIfPending() archives a flag from another boot and runs nothing", async () => {
  await using dir = await makeTempDir();
  await using fakes = await makeFakeTools({ vms: [{ name: "web" }] });
  const config = shutdownConfig(dir.path, everyStep(dir.path, fakes));
  await writeCrisisFlag(
    config.paths.flag,
    interruptedFlag({ bootId: "another-boot" }),
  );
  const { logger, notifier, options } = collaborators(config, fakes);
  const outcome = await resumeIfPending(options);
  assert.deepEqual(outcome, {
    action: "archived",
    archivedPath: `${config.paths.flag}.archived-1700000000000`,
    reason:
      `A shutdown sequence (running) from another boot was found and is not resumed; archived as "${config.paths.flag}.archived-1700000000000"`,
  });
  assert.deepEqual(await fakes.calls(), []);
  assert.equal((await crisisState(config.paths.flag)).state, "armed");
  assert.equal(logger.events("shutdown.flag_archived").length, 1);
  assert.equal(notifier.sent[0]?.event, "shutdown.flag_archived");
});

Deno.test("resumeIfPending() never resumes when the boot id cannot be read", async () => {
  await using dir = await makeTempDir();
  await using fakes = await makeFakeTools({ vms: [{ name: "web" }] });
  const config = shutdownConfig(dir.path, everyStep(dir.path, fakes));
  await writeCrisisFlag(
    config.paths.flag,
    interruptedFlag({ bootId: UNKNOWN_BOOT_ID }),
  );
  const { options } = collaborators(config, fakes);
  const outcome = await resumeIfPending({
    ...options,
    bootId: UNKNOWN_BOOT_ID,
  });
  assert.equal(outcome.action, "archived");
  assert.deepEqual(await fakes.calls(), [], "no step ran");
});

Deno.test("resumeIfPending() archives a malformed flag instead of failing on it", async () => {
  await using dir = await makeTempDir();
  await using fakes = await makeFakeTools({ vms: [{ name: "web" }] });
  const config = shutdownConfig(dir.path, everyStep(dir.path, fakes));
  const { options } = collaborators(config, fakes);
  for (
    const broken of [{ reason: undefined }, { results: [null] }, {
      dryRun: "no",
    }]
  ) {
    await Deno.writeTextFile(
      config.paths.flag,
      JSON.stringify({ ...interruptedFlag(), ...broken }),
    );
    assert.equal(
      (await resumeIfPending(options)).action,
      "archived",
      JSON.stringify(broken),
    );
  }
  assert.deepEqual(await fakes.calls(), [], "no step ran");
});

Deno.test("resumeIfPending() does not resume a dry-run sequence without dry-run", async () => {
  await using dir = await makeTempDir();
  await using fakes = await makeFakeTools();
  const config = shutdownConfig(dir.path, everyStep(dir.path, fakes));
  await writeCrisisFlag(config.paths.flag, interruptedFlag({ dryRun: true }));
  const { options } = collaborators(config, fakes);
  const outcome = await resumeIfPending(options);
  assert.equal(outcome.action, "archived");
  assert.deepEqual(await fakes.calls(), []);
});

Deno.test("resumeIfPending() keeps a finished sequence of this boot and archives an unreadable flag", async () => {
  await using dir = await makeTempDir();
  await using fakes = await makeFakeTools();
  const config = shutdownConfig(dir.path, everyStep(dir.path, fakes));
  const { options } = collaborators(config, fakes);
  assert.deepEqual(await resumeIfPending(options), { action: "none" });
  await writeCrisisFlag(config.paths.flag, interruptedFlag({ state: "done" }));
  assert.equal((await resumeIfPending(options)).action, "done");
  await Deno.writeTextFile(config.paths.flag, "{half");
  const outcome = await resumeIfPending(options);
  assert.equal(outcome.action, "archived");
  assert.equal((await crisisState(config.paths.flag)).state, "armed");
  assert.deepEqual(await fakes.calls(), []);
});

Deno.test("crisisState() reads armed once the flag is removed by hand", async () => {
  await using dir = await makeTempDir();
  const path = dir.join("flag");
  assert.deepEqual(await crisisState(path), { state: "armed" });
  await writeCrisisFlag(path, interruptedFlag({ state: "done" }));
  assert.equal((await crisisState(path)).state, "done");
  await Deno.remove(path);
  assert.deepEqual(await crisisState(path), { state: "armed" });
});

Deno.test("runSequence() records each ended step's duration in paths.durations", async () => {
  await using dir = await makeTempDir();
  await using fakes = await makeFakeTools({ vms: [{ name: "web" }] });
  const config = shutdownConfig(dir.path, {
    vms: { "max_wait": "300ms" },
    containers: { enabled: false },
    local: { command: [fakes.path("shutdown"), "-h", "now"] },
  });
  const { options } = collaborators(config, fakes, true);
  const report = await runSequence({ ...options, reason: REASON });
  await runSequence({ ...options, reason: REASON });
  const history = parseDurations(
    await Deno.readTextFile(config.paths.durations),
  );
  // The local shutdown is never learned: its command returns long before
  // the host is down.
  assert.deepEqual(Object.keys(history), ["vms", "sync"]);
  const vms = report.results.find((r) => r.id === "vms")!;
  assert.deepEqual(history["vms"]![0], {
    ms: Math.round(vms.durationMs),
    dryRun: true,
    wallMs: history["vms"]![0]!.wallMs,
  });
  assert.equal(history["vms"]!.length, 2);
});
