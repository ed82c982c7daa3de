import assert from "node:assert/strict";
import type { Config } from "../config/schema.ts";
import { createRunner } from "../system/exec.ts";
import { type Clock, systemClock } from "../system/clock.ts";
import { FakeClock } from "../testing/fake_clock.ts";
import { type FakeTools, makeFakeTools } from "../testing/fake_tools.ts";
import { MemoryLogger } from "../testing/memory_logger.ts";
import { shutdownConfig } from "../testing/shutdown_config.ts";
import { makeTempDir } from "../testing/temp_dir.ts";
import { buildPlan } from "./plan.ts";
import { sshArgs } from "./ssh.ts";
import type { StepContext } from "./step.ts";
import { STEP_FUNCTIONS } from "./steps/mod.ts";

/** Runs one step of `config` against the stand-ins. */
async function runStep(
  config: Config,
  fakes: FakeTools,
  id: string,
  options: { dryRun?: boolean; clock?: Clock; vmPollIntervalMs?: number } = {},
) {
  const logger = new MemoryLogger();
  const actions: string[] = [];
  const context: StepContext = {
    config,
    runner: createRunner({
      logger,
      dryRun: options.dryRun ?? false,
      killGraceMs: 200,
      abandonGraceMs: 200,
    }),
    logger,
    clock: options.clock ?? systemClock,
    action: (message) => actions.push(message),
    env: fakes.env,
    vmPollIntervalMs: options.vmPollIntervalMs ?? 50,
  };
  const step = buildPlan(config).steps.find((s) => s.id === id);
  assert.ok(step, `no step "${id}"`);
  const outcome = await STEP_FUNCTIONS[step.kind](context, step);
  return { outcome, actions, logger };
}

Deno.test("vmsStep() shuts VMs down at once and destroys the one that ignores the request", async () => {
  await using dir = await makeTempDir();
  await using fakes = await makeFakeTools({
    vms: [
      { name: "web01" },
      { name: "db01" },
      { name: "stuck", ignoresShutdown: true },
      { name: "idle", running: false },
    ],
  });
  const config = shutdownConfig(dir.path, {
    vms: { max_wait: "3s", libvirt_uri: "qemu:///system" },
  });
  // The waits between polls are on a fake clock: exact, and no real 3 s.
  const clock = new FakeClock();
  const { outcome, actions } = await clock.drive(
    runStep(config, fakes, "vms", { clock, vmPollIntervalMs: 500 }),
  );
  assert.equal(outcome.status, "done");
  assert.equal(outcome.summary, "2 of 3 VMs shut down, 1 destroyed");
  assert.deepEqual(outcome.details.sort(), [
    "VM db01: shut down after 500 ms",
    "VM stuck: still running after 3000 ms, destroyed",
    "VM web01: shut down after 500 ms",
  ]);
  assert.equal(clock.monotonic(), 3000, "waited max_wait, no longer");
  assert.deepEqual(actions.sort(), [
    "Destroying VM stuck",
    "Stopping VM db01",
    "Stopping VM stuck",
    "Stopping VM web01",
  ]);
  const calls = await fakes.calls();
  assert.ok(calls.every((c) => c[0] === "virsh" && c[1] === "-c"));
  assert.deepEqual(calls[0], [
    "virsh",
    "-c",
    "qemu:///system",
    "list",
    "--name",
    "--state-running",
  ]);
  assert.equal(
    calls.filter((c) => c[3] === "list").length,
    1 + 3000 / 500,
    "one list before the requests, one per poll",
  );
  assert.deepEqual(
    calls.filter((c) => c[3] === "destroy").map((c) => c.slice(4)),
    [["--domain", "stuck"]],
  );
  assert.deepEqual(await fakes.vmStates(), {
    web01: "shut off",
    db01: "shut off",
    stuck: "shut off",
    idle: "shut off",
  });
});

Deno.test("vmsStep() names each VM after --domain, so a VM called --help is shut down", async () => {
  await using dir = await makeTempDir();
  await using fakes = await makeFakeTools({
    vms: [{ name: "--help" }, { name: " spaced " }],
  });
  const config = shutdownConfig(dir.path, { vms: { max_wait: "3s" } });
  const { outcome, actions } = await runStep(config, fakes, "vms");
  assert.equal(outcome.status, "done");
  assert.equal(outcome.summary, "2 of 2 VMs shut down");
  assert.deepEqual(actions.sort(), [
    "Stopping VM  spaced ",
    "Stopping VM --help",
  ]);
  const requests = (await fakes.calls()).filter((c) => c[1] === "shutdown");
  assert.deepEqual(requests.map((c) => c.slice(1)).sort(), [
    ["shutdown", "--domain", " spaced "],
    ["shutdown", "--domain", "--help"],
  ]);
  assert.deepEqual(await fakes.vmStates(), {
    "--help": "shut off",
    " spaced ": "shut off",
  });
});

Deno.test("vmsStep() goes on as soon as every VM is off", async () => {
  await using dir = await makeTempDir();
  await using fakes = await makeFakeTools({ vms: [{ name: "a" }] });
  const config = shutdownConfig(dir.path, { vms: { max_wait: "30s" } });
  const clock = new FakeClock();
  const { outcome } = await clock.drive(
    runStep(config, fakes, "vms", { clock, vmPollIntervalMs: 500 }),
  );
  assert.equal(outcome.summary, "1 of 1 VMs shut down");
  assert.equal(clock.monotonic(), 500, "one poll interval, not max_wait");
});

Deno.test("vmsStep() reports a virsh that cannot list as a failure", async () => {
  await using dir = await makeTempDir();
  await using fakes = await makeFakeTools();
  await Deno.remove(fakes.path("virsh"));
  const config = shutdownConfig(dir.path, {});
  const { outcome } = await runStep(config, fakes, "vms");
  assert.equal(outcome.status, "failed");
  assert.equal(
    outcome.summary,
    'Cannot list the running VMs: Cannot run "virsh": command not found',
  );
});

Deno.test("containersStep() stops the selected containers in one call, exclude winning", async () => {
  for (const engineStyle of ["docker", "podman"] as const) {
    await using dir = await makeTempDir();
    await using fakes = await makeFakeTools({
      engines: [engineStyle],
      engineStyle,
      containers: [
        { id: "a1", name: "web", labels: { tier: "front" } },
        { id: "b2", name: "nut-server", labels: { tier: "infra" } },
        { id: "c3", name: "db-main", labels: { "ups-monitor.keep": "true" } },
        { id: "d4", name: "db-replica" },
        { id: "e5", name: "cache", labels: { backup: "" } },
      ],
    });
    const config = shutdownConfig(dir.path, {
      containers: {
        engine: engineStyle,
        "stop_timeout": "7s",
        include: { names: ["db-*", "web"], labels: ["backup"] },
        exclude: { names: ["nut-*"], labels: ["ups-monitor.keep=true"] },
      },
    });
    const { outcome, actions } = await runStep(config, fakes, "containers");
    assert.equal(outcome.status, "done", engineStyle);
    assert.equal(outcome.summary, "3 containers stopped, 2 kept");
    assert.deepEqual(actions, ["Stopping containers web, db-replica, cache"]);
    const calls = await fakes.calls();
    assert.deepEqual(calls, [
      [
        engineStyle,
        "ps",
        "--no-trunc",
        "--format",
        "{{.ID}}\t{{.Names}}\t{{json .Labels}}",
      ],
      [engineStyle, "stop", "-t", "7", "--", "a1", "d4", "e5"],
    ]);
  }
});

Deno.test("containersStep() ends the options before the ids, so a container listed as -t is stopped", async () => {
  await using dir = await makeTempDir();
  await using fakes = await makeFakeTools({
    containers: [{ id: "-t", name: "-t" }, { id: "b2", name: "web" }],
  });
  const config = shutdownConfig(dir.path, { containers: { engine: "docker" } });
  const { outcome } = await runStep(config, fakes, "containers");
  assert.equal(outcome.status, "done", outcome.summary);
  assert.equal(outcome.summary, "2 containers stopped");
  assert.deepEqual(await fakes.stoppedContainers(), ["-t", "b2"]);
});

Deno.test("containersStep() with engine auto falls back to podman when docker cannot list", async () => {
  await using dir = await makeTempDir();
  await using fakes = await makeFakeTools({
    engines: ["docker", "podman"],
    containers: [{ id: "a1", name: "web" }],
  });
  await Deno.writeTextFile(
    fakes.path("docker"),
    "#!/bin/sh\necho 'Cannot connect to the Docker daemon' >&2\nexit 1\n",
  );
  const config = shutdownConfig(dir.path, {});
  const { outcome } = await runStep(config, fakes, "containers");
  assert.equal(outcome.status, "done");
  assert.deepEqual(outcome.details, [
    "Cannot list containers with docker ps: exit code 1: Cannot connect to the Docker daemon",
    "Container web: stopped",
  ]);
  assert.deepEqual((await fakes.calls()).map((c) => c.slice(0, 2)), [
    ["podman", "ps"],
    ["podman", "stop"],
  ]);
});

Deno.test("filesystemsStep() kills a hung unmount, reports it and goes on", async () => {
  await using dir = await makeTempDir();
  await using fakes = await makeFakeTools({ umount: "hang" });
  // /proc and /sys are always mounted; the stand-in never touches them.
  const config = shutdownConfig(dir.path, {
    filesystems: {
      timeout: "300ms",
      mounts: [
        { path: "/proc", lazy: true, force: true },
        { path: `${dir.path}/not-mounted` },
        { path: "/sys/" },
      ],
    },
  });
  const { outcome, actions } = await runStep(config, fakes, "filesystems");
  assert.equal(outcome.status, "timeout");
  assert.equal(outcome.summary, "0 of 3 unmounted, 1 not mounted, 2 failed");
  assert.deepEqual(outcome.details, [
    "/proc: timed out and was killed",
    `${dir.path}/not-mounted: not mounted, skipped`,
    "/sys: timed out and was killed",
  ]);
  assert.deepEqual(actions, ["Unmounting /proc", "Unmounting /sys"]);
  assert.deepEqual(await fakes.calls(), [
    ["umount", "-l", "-f", "/proc"],
    ["umount", "/sys"],
  ]);
});

Deno.test("remotesStep() reports a failing ssh with the exact arguments it used", async () => {
  await using dir = await makeTempDir();
  await using fakes = await makeFakeTools({ ssh: "fail" });
  const config = shutdownConfig(dir.path, {
    remotes: [{
      name: "nas",
      host: "127.0.0.1",
      user: "admin",
      port: 2222,
      "identity_file": "/root/.ssh/id_nas",
      "known_hosts": `${dir.path}/known_hosts`,
      command: ["sudo", "-n", "/usr/syno/sbin/synoshutdown", "-s", "it's now"],
    }, { host: "127.0.0.2", user: "x", enabled: false }],
  });
  const { outcome, actions } = await runStep(config, fakes, "remotes");
  assert.equal(outcome.status, "failed");
  assert.equal(outcome.summary, "0 of 1 remotes accepted the command");
  assert.deepEqual(outcome.details, [
    "nas: ssh failed: ssh: connect to host 127.0.0.1 port 2222: Connection refused",
  ]);
  assert.deepEqual(actions, ["Sending the shutdown command to nas"]);
  assert.deepEqual(await fakes.calls(), [[
    "ssh",
    "-o",
    "BatchMode=yes",
    "-o",
    "ConnectTimeout=10",
    "-o",
    "StrictHostKeyChecking=yes",
    "-o",
    `UserKnownHostsFile=${dir.path}/known_hosts`,
    "-o",
    "IdentitiesOnly=yes",
    "-i",
    "/root/.ssh/id_nas",
    "-p",
    "2222",
    "admin@127.0.0.1",
    "--",
    `sudo -n /usr/syno/sbin/synoshutdown -s 'it'\\''s now'`,
  ]]);
});

Deno.test("syncStep() runs the real sync and abandons a hung one", async () => {
  await using dir = await makeTempDir();
  await using fakes = await makeFakeTools({ sync: "hang" });
  const real = await runStep(shutdownConfig(dir.path, {}), {
    ...fakes,
    env: { PATH: "/usr/bin:/bin" },
  }, "sync");
  assert.equal(real.outcome.status, "done");
  assert.equal(real.outcome.summary, "Buffers flushed");
  const hung = await runStep(
    shutdownConfig(dir.path, { sync: { timeout: "200ms" } }),
    fakes,
    "sync",
  );
  assert.equal(hung.outcome.status, "timeout");
  assert.equal(hung.outcome.summary, "sync abandoned after 200 ms");
});

Deno.test("localStep() and commandStep() run their configured commands", async () => {
  await using dir = await makeTempDir();
  await using fakes = await makeFakeTools();
  const config = shutdownConfig(dir.path, {
    local: { command: [fakes.path("shutdown"), "-h", "now"] },
    custom: [{ name: "fail", after: "start", command: ["false"] }],
  });
  const local = await runStep(config, fakes, "local");
  assert.equal(local.outcome.summary, "Local shutdown started");
  const custom = await runStep(config, fakes, "custom.0");
  assert.equal(custom.outcome.status, "failed");
  assert.equal(custom.outcome.summary, "fail: exit code 1");
  assert.deepEqual(await fakes.calls(), [["shutdown", "-h", "now"]]);
});

Deno.test("sshArgs() gives ssh every known_hosts file in one option", async () => {
  await using dir = await makeTempDir();
  const config = shutdownConfig(dir.path, {
    remotes: [{ host: "nas", user: "admin" }],
  });
  const [remote] = config.shutdown.remotes;
  assert.ok(remote);
  assert.deepEqual(sshArgs(remote, ["true"]).slice(0, 8), [
    "-o",
    "BatchMode=yes",
    "-o",
    "ConnectTimeout=10",
    "-o",
    "StrictHostKeyChecking=yes",
    "-o",
    "UserKnownHostsFile=/etc/ups-monitor/known_hosts /root/.ssh/known_hosts",
  ]);
});
