import assert from "node:assert/strict";
import { createRunner } from "../system/exec.ts";
import { MemoryLogger } from "../testing/memory_logger.ts";
import { makeTempDir } from "../testing/temp_dir.ts";
import {
  acquirePidFile,
  livePid,
  PidFileError,
  readPidFile,
} from "./pid_file.ts";

const runner = () =>
  createRunner({ logger: new MemoryLogger(), dryRun: false });

Deno.test("acquirePidFile() refuses while another live process holds the file", async () => {
  await using dir = await makeTempDir();
  const path = dir.join("pid");
  // A live process that looks like the daemon (its program is named ups-monitor).
  await Deno.symlink("/bin/sleep", dir.join("ups-monitor"));
  await using child = new Deno.Command(dir.join("ups-monitor"), {
    args: ["30"],
  }).spawn();
  await Deno.writeTextFile(path, `${child.pid}\n`);
  await assert.rejects(
    acquirePidFile(path, { pid: Deno.pid, runner: runner() }),
    new PidFileError(path, child.pid),
  );
  assert.equal(await livePid(path, runner()), child.pid);
  child.kill("SIGKILL");
  await child.status;
});

Deno.test("livePid() ignores a pid reused by another program after a crash", async () => {
  await using dir = await makeTempDir();
  const path = dir.join("pid");
  await using child = new Deno.Command("sleep", { args: ["30"] }).spawn();
  await Deno.writeTextFile(path, `${child.pid}\n`);
  assert.equal(await livePid(path, runner()), null);
  await using held = await acquirePidFile(path, {
    pid: Deno.pid,
    runner: runner(),
  });
  assert.equal(held.pid, Deno.pid);
  child.kill("SIGKILL");
  await child.status;
});

Deno.test("acquirePidFile() takes over a stale file and removes it on release", async () => {
  await using dir = await makeTempDir();
  const path = dir.join("pid");
  await Deno.writeTextFile(path, "999999999\n");
  {
    await using held = await acquirePidFile(path, {
      pid: Deno.pid,
      runner: runner(),
    });
    assert.equal(held.pid, Deno.pid);
    assert.equal(await readPidFile(path), Deno.pid);
    assert.equal(await livePid(path, runner()), Deno.pid);
  }
  assert.equal(await readPidFile(path), null);
});

Deno.test("acquirePidFile() records its command line and mode 0640, and livePid() compares it", async () => {
  await using dir = await makeTempDir();
  const path = dir.join("pid");
  // Deno reads /proc only with all permissions: cat reads it.
  const cat = await new Deno.Command("cat", {
    args: [`/proc/${Deno.pid}/cmdline`],
  }).output();
  const own = new TextDecoder().decode(cat.stdout).replace(/\0$/, "")
    .split("\0");
  {
    await using _held = await acquirePidFile(path, {
      pid: Deno.pid,
      runner: runner(),
    });
    assert.equal(
      await Deno.readTextFile(path),
      `${Deno.pid}\n${JSON.stringify(own)}\n`,
    );
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o640);
  }
  // Another live daemon: its recorded command line is what /proc shows.
  await using child = new Deno.Command("/usr/bin/sleep", { args: ["30"] })
    .spawn();
  await Deno.writeTextFile(path, `${child.pid}\n["/usr/bin/sleep","30"]\n`);
  assert.equal(await livePid(path, runner()), child.pid);
  await assert.rejects(
    acquirePidFile(path, { pid: Deno.pid, runner: runner() }),
    new PidFileError(path, child.pid),
  );
  child.kill("SIGKILL");
  await child.status;
});

Deno.test("livePid() ignores a live main.ts whose command line is not the recorded one", async () => {
  await using dir = await makeTempDir();
  const path = dir.join("pid");
  // Another Deno program's entry point is main.ts too.
  await Deno.symlink("/bin/sleep", dir.join("main.ts"));
  await using child = new Deno.Command(dir.join("main.ts"), {
    args: ["30"],
  }).spawn();
  await Deno.writeTextFile(
    path,
    `${child.pid}\n${JSON.stringify(["/usr/local/bin/ups-monitor", "run"])}\n`,
  );
  assert.equal(await livePid(path, runner()), null);
  child.kill("SIGKILL");
  await child.status;
});
