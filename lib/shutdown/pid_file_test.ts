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
