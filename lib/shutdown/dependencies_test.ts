import assert from "node:assert/strict";
import { makeFakeTools } from "../testing/fake_tools.ts";
import { shutdownConfig } from "../testing/shutdown_config.ts";
import { makeTempDir } from "../testing/temp_dir.ts";
import {
  findProgram,
  missingDependencies,
  stepPermissionNeeds,
} from "./dependencies.ts";
import { sudoProbe } from "./remote_check.ts";

Deno.test("missingDependencies() names each program an enabled step needs and cannot find", async () => {
  await using dir = await makeTempDir();
  await using fakes = await makeFakeTools({ engines: [] });
  await Deno.remove(fakes.path("sync"));
  const config = shutdownConfig(dir.path, {
    filesystems: { mounts: [{ path: "/mnt/x" }] },
    remotes: [{ host: "nas", user: "u" }],
    custom: [{ name: "c", after: "sync", command: ["not-installed-tool"] }],
    local: { command: [fakes.path("shutdown")] },
  });
  // Only the stand-ins' directory: what a bare host would offer.
  const missing = await missingDependencies(config, { searchPath: fakes.bin });
  assert.deepEqual(missing.map((m) => m.message), [
    'Cannot find "docker" or "podman" (needed by shutdown.containers.engine) in PATH: install docker or podman, or set shutdown.containers.enabled: false',
    'Cannot find "sync" (needed by shutdown.sync.enabled) in PATH: install coreutils, or set shutdown.sync.enabled: false',
    'Cannot find "cat" (needed by shutdown.filesystems.mounts) in PATH: install coreutils, or set shutdown.filesystems.enabled: false',
    'Cannot find "ssh-keygen" (needed by shutdown.remotes.0.known_hosts) in PATH: install openssh-client, or set shutdown.remotes.0.enabled: false',
    'Cannot find "not-installed-tool" (needed by shutdown.custom.0.command) in PATH: install it, or set shutdown.custom.0.enabled: false',
  ]);
  assert.deepEqual(
    await missingDependencies(
      shutdownConfig(dir.path, {
        vms: { enabled: false },
        containers: { enabled: false },
      }),
    ),
    [],
  );
});

Deno.test("findProgram() finds a program in the search path or by its path", async () => {
  assert.equal(await findProgram("sh", "/nonexistent:/bin"), "/bin/sh");
  assert.equal(await findProgram("/bin/sh"), "/bin/sh");
  assert.equal(await findProgram("/etc/passwd"), null);
  assert.equal(await findProgram("no-such-program-here"), null);
});

Deno.test("sudoProbe() keeps the command and the options that pick the rule", () => {
  assert.deepEqual(
    sudoProbe(["sudo", "-n", "/usr/syno/sbin/synoshutdown", "-s"]),
    ["sudo", "-n", "-l", "/usr/syno/sbin/synoshutdown", "-s"],
  );
  assert.deepEqual(
    sudoProbe(["/usr/bin/sudo", "-u", "root", "-i", "--", "poweroff", "-f"]),
    ["/usr/bin/sudo", "-n", "-l", "-u", "root", "poweroff", "-f"],
  );
  assert.equal(sudoProbe(["poweroff"]), null);
});

Deno.test("stepPermissionNeeds() asks to run each program a step may run and to read its files", async () => {
  await using dir = await makeTempDir();
  const config = shutdownConfig(dir.path, {
    vms: { enabled: false },
    filesystems: { mounts: [{ path: "/mnt/x" }] },
    remotes: [{ host: "nas", user: "u", identity_file: "/etc/key" }],
  });
  assert.deepEqual(
    stepPermissionNeeds(config).map((need) => `${need.key}: ${need.what}`),
    [
      'shutdown.containers.engine: permission to run "docker"',
      'shutdown.containers.engine: permission to run "podman"',
      'shutdown.sync.enabled: permission to run "sync"',
      'shutdown.filesystems.mounts: permission to run "umount"',
      'shutdown.filesystems.mounts: permission to run "cat"',
      'shutdown.remotes.0.host: permission to run "ssh"',
      'shutdown.remotes.0.known_hosts: permission to run "ssh-keygen"',
      'shutdown.remotes.0.known_hosts: read access to "/etc/ups-monitor/known_hosts"',
      'shutdown.remotes.0.known_hosts: read access to "/root/.ssh/known_hosts"',
      'shutdown.remotes.0.identity_file: read access to "/etc/key"',
    ],
  );
});
