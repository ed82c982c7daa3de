import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { ConsoleLogger } from "../system/log.ts";
import { makeTempDir } from "../testing/temp_dir.ts";
import type { CommandContext } from "./context.ts";
import { planCommand } from "./plan.ts";

const FULL = fileURLToPath(
  new URL("../../fixtures/configs/full.yaml", import.meta.url),
);

function context(args: string[]) {
  const out: string[] = [];
  const log: string[] = [];
  const ctx: CommandContext = {
    args,
    stdout: { write: (text) => out.push(text) },
    stderr: { write: (text) => log.push(text) },
    logger: new ConsoleLogger({ write: (line) => log.push(line) }),
    logFormatFlag: undefined,
  };
  return { ctx, out, log };
}

Deno.test("planCommand prints the full config's sequence in order with the total", async () => {
  const { ctx, out } = context(["--config", FULL]);
  assert.equal(await planCommand.run(ctx), 0);
  const text = out.join("");
  const titles = [...text.matchAll(/^ ?\d+\. (.+?) {2}/gm)].map((m) =>
    m[1]?.trim()
  );
  assert.deepEqual(titles, [
    "VMs",
    "Containers",
    "stop backup job",
    "Sync",
    "File systems",
    "Remote machines",
    "UPS power cycle",
    "Local shutdown",
  ]);
  assert.match(
    text,
    /^ {6}virsh -c qemu:\/\/\/system shutdown <each running VM>, all at once$/m,
  );
  assert.match(
    text,
    /^Worst case in total: \d+m\d*s? \(critical runtime 10m\)$/m,
  );
});

Deno.test("planCommand warns on stdout and in the log when the plan exceeds the critical runtime", async () => {
  await using dir = await makeTempDir();
  const config = `${dir.path}/config.yaml`;
  await Deno.writeTextFile(
    config,
    "ups:\n  name: ups@127.0.0.1\ntriggers:\n  critical_runtime: 1m\nlogging:\n  file: null\n",
  );
  const { ctx, out, log } = context(["--config", config]);
  assert.equal(await planCommand.run(ctx), 0);
  assert.match(out.join(""), /^Warning: The worst case "4m54s" exceeds/m);
  assert.ok(
    log.some((line) => line.includes("exceeds triggers.critical_runtime")),
  );
});
