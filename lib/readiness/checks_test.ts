import assert from "node:assert/strict";
import { loadConfig } from "../config/load.ts";
import type { Config } from "../config/schema.ts";
import { systemClock } from "../system/clock.ts";
import { createRunner } from "../system/exec.ts";
import { FakeClock } from "../testing/fake_clock.ts";
import { MemoryLogger } from "../testing/memory_logger.ts";
import { shutdownConfig } from "../testing/shutdown_config.ts";
import { makeTempDir, type TempDir } from "../testing/temp_dir.ts";
import type { CheckResult, ReadinessCheck } from "./check.ts";
import { readinessChecks, type ReadinessContext, runChecks } from "./checks.ts";

const FIXTURES = new URL("../../fixtures/configs/", import.meta.url).pathname;

/**
 * A context whose runner is in dry-run: a check that ran an action instead
 * of a query would be reported a success without running, and fail here.
 */
function testContext(
  config: Config,
  overrides: Partial<ReadinessContext> = {},
): ReadinessContext {
  const logger = new MemoryLogger();
  return {
    config,
    runner: createRunner({
      logger,
      dryRun: true,
      killGraceMs: 200,
      abandonGraceMs: 200,
    }),
    logger,
    fetch,
    clock: systemClock,
    timeoutMs: 20_000,
    ...overrides,
  };
}

/** Runs the checks of `config` whose id is listed, in that order. */
async function runIds(
  config: Config,
  ids: readonly string[],
  overrides: Partial<ReadinessContext> = {},
): Promise<Record<string, CheckResult>> {
  const all = readinessChecks(config);
  const checks = ids.map((id) => {
    const check = all.find((c) => c.id === id);
    assert.ok(check, `no check "${id}"`);
    return check;
  });
  const results = await runChecks(checks, testContext(config, overrides));
  return Object.fromEntries(
    results.map((r) => [r.id, { ready: r.ready, detail: r.detail }]),
  );
}

/** A stand-in program: a shell script in `dir/bin`. */
async function standIn(dir: TempDir, name: string, body: string) {
  await Deno.mkdir(dir.join("bin"), { recursive: true });
  const path = dir.join("bin", name);
  await Deno.writeTextFile(path, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  await Deno.chmod(path, 0o755);
  return path;
}

/** `PATH` with the stand-ins first. */
function pathEnv(dir: TempDir): { PATH: string } {
  return { PATH: `${dir.join("bin")}:/usr/sbin:/usr/bin:/sbin:/bin` };
}

const ONLY = {
  vms: { enabled: false },
  containers: { enabled: false },
  sync: { enabled: false },
} as const;

Deno.test("readinessChecks() of full.yaml lists every enabled step in plan order, then the channels", async () => {
  const { config } = await loadConfig(`${FIXTURES}full.yaml`);
  const checks = readinessChecks(config);
  assert.deepEqual(checks.map((c) => [c.id, c.title]), [
    ["vms", "VMs"],
    ["containers", "Containers"],
    ["custom.0", 'Custom step "stop backup job"'],
    ["sync", "Sync"],
    ["filesystems.0", 'Mount "/mnt/media"'],
    ["filesystems.1", 'Mount "/mnt/nas"'],
    ["filesystems.2", 'Mount "/mnt/backup"'],
    ["remotes.0", 'Remote "nas"'],
    ["local", "Local shutdown"],
    ["channels.0", 'Channel "discord"'],
    ["channels.1", 'Channel "ntfy"'],
    ["channels.2", 'Channel "phone"'],
    ["channels.3", 'Channel "team"'],
    ["channels.4", 'Channel "telegram"'],
  ]);
});

Deno.test("readinessChecks() leaves out disabled steps and keeps a remote's config index", async () => {
  await using dir = await makeTempDir();
  const config = shutdownConfig(dir.path, {
    ...ONLY,
    remotes: [
      { host: "192.168.1.2", user: "admin", enabled: false },
      { host: "192.168.1.3", user: "admin", name: "backup" },
    ],
  });
  assert.deepEqual(readinessChecks(config).map((c) => c.id), ["remotes.1"]);
});

Deno.test("runChecks() bounds each check on the clock, in check order, and never rejects", async () => {
  await using dir = await makeTempDir();
  const config = shutdownConfig(dir.path, ONLY, {
    notifications: {
      channels: [{ kind: "webhook", url: "https://example.net/secret-token" }],
    },
  });
  const clock = new FakeClock();
  let aborted = false;
  const checks: ReadinessCheck<ReadinessContext>[] = [
    {
      id: "hangs",
      title: "Hangs",
      run: (context) =>
        new Promise((resolve) => {
          context.signal?.addEventListener("abort", () => {
            aborted = true;
            resolve({ ready: true, detail: "too late" });
          });
        }),
    },
    {
      id: "quick",
      title: "Quick",
      run: () => Promise.resolve({ ready: true, detail: "fine" }),
    },
    {
      id: "throws",
      title: "Throws",
      run: () => {
        throw new Error("failed at https://example.net/secret-token");
      },
    },
  ];
  let settled = false;
  const round = runChecks(checks, testContext(config, { clock })).finally(
    () => settled = true,
  );
  await clock.advance(19_999);
  assert.equal(settled, false);
  await clock.advance(1);
  assert.deepEqual(await round, [
    {
      id: "hangs",
      title: "Hangs",
      ready: false,
      detail: "did not answer within 20s",
    },
    { id: "quick", title: "Quick", ready: true, detail: "fine" },
    {
      id: "throws",
      title: "Throws",
      ready: false,
      detail: "cannot check: failed at ***",
    },
  ]);
  assert.equal(aborted, true);
});

Deno.test("the VM check runs virsh version and list, and reports a failing virsh with its last line", async () => {
  await using dir = await makeTempDir();
  const calls = dir.join("calls");
  const config = shutdownConfig(dir.path, {
    ...ONLY,
    vms: { libvirt_uri: "qemu:///system" },
  });
  await standIn(
    dir,
    "virsh",
    `echo "$*" >> '${calls}'
case "$3" in
  version) echo "Compiled against library: libvirt 9.0.0" ;;
  list) printf 'web01\\ndb01\\n\\n' ;;
esac`,
  );
  assert.deepEqual(await runIds(config, ["vms"], { env: pathEnv(dir) }), {
    vms: { ready: true, detail: "virsh answers, 2 VMs running" },
  });
  assert.equal(
    await Deno.readTextFile(calls),
    "-c qemu:///system version\n-c qemu:///system list --name\n",
  );

  await standIn(
    dir,
    "virsh",
    `echo "error: failed to connect to the hypervisor" >&2
echo "error: Failed to connect socket to '/var/run/libvirt/libvirt-sock': No such file or directory" >&2
exit 1`,
  );
  assert.deepEqual(await runIds(config, ["vms"], { env: pathEnv(dir) }), {
    vms: {
      ready: false,
      detail:
        `"virsh -c qemu:///system version" failed: exit code 1: error: Failed to connect socket to '/var/run/libvirt/libvirt-sock': No such file or directory; check that libvirtd runs and that shutdown.vms.libvirt_uri names it, or set shutdown.vms.enabled to false`,
    },
  });

  await Deno.remove(dir.join("bin", "virsh"));
  assert.deepEqual(
    await runIds(config, ["vms"], { searchPath: dir.join("bin") }),
    {
      vms: {
        ready: false,
        detail:
          '"virsh" is not installed or not in PATH: install libvirt-clients, or set shutdown.vms.enabled to false',
      },
    },
  );
});

Deno.test("the container check takes the engine that answers and names the one that does not", async () => {
  await using dir = await makeTempDir();
  await standIn(
    dir,
    "docker",
    'echo "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?" >&2; exit 1',
  );
  await standIn(dir, "podman", "printf 'c1\\nc2\\nc3\\n'");
  const context = { env: pathEnv(dir), searchPath: dir.join("bin") };
  const auto = shutdownConfig(dir.path, { ...ONLY, containers: {} });
  assert.deepEqual(await runIds(auto, ["containers"], context), {
    containers: { ready: true, detail: "podman answers, 3 containers running" },
  });
  const docker = shutdownConfig(dir.path, {
    ...ONLY,
    containers: { engine: "docker" },
  });
  assert.deepEqual(await runIds(docker, ["containers"], context), {
    containers: {
      ready: false,
      detail:
        '"docker ps -q" failed: exit code 1: Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?; start the engine, set shutdown.containers.engine to the one in use, or set shutdown.containers.enabled to false',
    },
  });
  await using empty = await makeTempDir();
  assert.deepEqual(
    await runIds(auto, ["containers"], { searchPath: empty.path }),
    {
      containers: {
        ready: false,
        detail:
          'neither "docker" nor "podman" is installed: install one, or set shutdown.containers.enabled to false',
      },
    },
  );
});

Deno.test("the mount checks find each configured mount in the mount table", async () => {
  await using dir = await makeTempDir();
  const config = shutdownConfig(dir.path, {
    ...ONLY,
    filesystems: {
      mounts: [{ path: "/proc/" }, { path: dir.join("not-a-mount") }],
    },
  });
  assert.deepEqual(
    await runIds(config, ["filesystems.0", "filesystems.1"]),
    {
      "filesystems.0": { ready: true, detail: '"/proc" is mounted' },
      "filesystems.1": {
        ready: false,
        detail: `"${
          dir.join("not-a-mount")
        }" is not a mount point now: mount it, or remove it from shutdown.filesystems.mounts`,
      },
    },
  );
});

Deno.test("the sync, local and custom checks find their programs", async () => {
  await using dir = await makeTempDir();
  const shutdown = await standIn(dir, "shutdown", "exit 0");
  const config = shutdownConfig(dir.path, {
    vms: { enabled: false },
    containers: { enabled: false },
    local: { command: [shutdown, "-h", "now"] },
    custom: [
      { name: "backup", after: "start", command: ["no-such-program-ups"] },
    ],
  });
  assert.deepEqual(
    await runIds(config, ["custom.0", "sync", "local"], {
      searchPath: "/usr/bin:/bin",
    }),
    {
      "custom.0": {
        ready: false,
        detail:
          '"no-such-program-ups" is not installed or not in PATH: install it, or fix shutdown.custom.0.command',
      },
      sync: {
        ready: true,
        detail: `"sync" is installed at "${
          (await Deno.stat("/usr/bin/sync").then(() => true, () => false))
            ? "/usr/bin/sync"
            : "/bin/sync"
        }"`,
      },
      local: {
        ready: true,
        detail: `"${shutdown}" is installed at "${shutdown}"`,
      },
    },
  );
});
