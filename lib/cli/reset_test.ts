import assert from "node:assert/strict";
import {
  type CrisisFlag,
  crisisState,
  writeCrisisFlag,
} from "../shutdown/crisis.ts";
import { ConsoleLogger } from "../system/log.ts";
import { makeTempDir } from "../testing/temp_dir.ts";
import type { CommandContext } from "./context.ts";
import { resetCommand } from "./reset.ts";

function flag(state: CrisisFlag["state"]): CrisisFlag {
  return {
    state,
    reason: { trigger: "fsd", message: "FSD" },
    startedAt: 1,
    bootId: "boot",
    dryRun: false,
    completedSteps: ["vms"],
    results: [],
  };
}

async function setUp(dir: string) {
  const config = `${dir}/config.yaml`;
  await Deno.writeTextFile(
    config,
    `ups:\n  name: ups@127.0.0.1\npaths:\n  flag: ${dir}/flag\n  pid: ${dir}/pid\nlogging:\n  file: null\n`,
  );
  const out: string[] = [];
  const err: string[] = [];
  const ctx: CommandContext = {
    args: ["--config", config],
    stdout: { write: (text) => out.push(text) },
    stderr: { write: (text) => err.push(text) },
    logger: new ConsoleLogger({ write: () => {} }),
    logFormatFlag: undefined,
  };
  return { ctx, out, err, flagPath: `${dir}/flag`, pidPath: `${dir}/pid` };
}

Deno.test("resetCommand clears a finished sequence's flag", async () => {
  await using dir = await makeTempDir();
  const { ctx, out, flagPath } = await setUp(dir.path);
  await writeCrisisFlag(flagPath, flag("done"));
  assert.equal(await resetCommand.run(ctx), 0);
  assert.deepEqual(out, [
    `Crisis flag "${flagPath}" cleared (a sequence that is done)\n`,
  ]);
  assert.equal((await crisisState(flagPath)).state, "armed");
  assert.equal(await resetCommand.run(ctx), 0);
  assert.equal(out[1], `No crisis flag at "${flagPath}": already armed\n`);
});

Deno.test("resetCommand refuses while a live daemon runs a sequence", async () => {
  await using dir = await makeTempDir();
  const { ctx, err, flagPath, pidPath } = await setUp(dir.path);
  await writeCrisisFlag(flagPath, flag("running"));
  // This test process stands in for the live daemon.
  await Deno.writeTextFile(pidPath, `${Deno.pid}\n`);
  assert.equal(await resetCommand.run(ctx), 1);
  assert.deepEqual(err, [
    `Cannot reset: the daemon with pid "${Deno.pid}" is running a shutdown sequence (flag "${flagPath}")\n`,
  ]);
  assert.equal((await crisisState(flagPath)).state, "running");
});

Deno.test("resetCommand clears a running flag whose daemon is gone", async () => {
  await using dir = await makeTempDir();
  const { ctx, out, flagPath, pidPath } = await setUp(dir.path);
  await writeCrisisFlag(flagPath, flag("running"));
  const child = new Deno.Command("true").spawn();
  await child.status;
  await Deno.writeTextFile(pidPath, `${child.pid}\n`);
  assert.equal(await resetCommand.run(ctx), 0);
  assert.match(out[0] ?? "", /cleared \(a sequence that is running\)/);
});
