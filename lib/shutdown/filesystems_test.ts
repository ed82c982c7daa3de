import assert from "node:assert/strict";
import { systemClock } from "../system/clock.ts";
import { createRunner } from "../system/exec.ts";
import { MemoryLogger } from "../testing/memory_logger.ts";
import { shutdownConfig } from "../testing/shutdown_config.ts";
import { makeTempDir } from "../testing/temp_dir.ts";
import { buildPlan } from "./plan.ts";
import { filesystemsStep, parseMountInfo } from "./steps/filesystems.ts";

const IS_ROOT = Deno.uid() === 0;

async function sh(
  program: string,
  args: string[],
): Promise<Deno.CommandOutput> {
  return await new Deno.Command(program, {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
}

Deno.test("parseMountInfo() reads mount points with escaped spaces", () => {
  assert.deepEqual(
    parseMountInfo(
      "22 1 0:21 / /proc rw,nosuid - proc proc rw\n" +
        "90 22 0:50 / /mnt/my\\040disk rw - tmpfs tmpfs rw\n",
    ),
    ["/proc", "/mnt/my disk"],
  );
});

Deno.test({
  name:
    "filesystemsStep() unmounts real tmpfs mounts, reports a busy one and skips one not mounted",
  ignore: !IS_ROOT && Deno.env.get("CI") !== "true",
  timeout: 60_000,
  async fn() {
    await using dir = await makeTempDir();
    const busy = dir.join("busy");
    const plain = dir.join("with space");
    const absent = dir.join("absent");
    for (const path of [busy, plain, absent]) await Deno.mkdir(path);
    try {
      for (const path of [busy, plain]) {
        const mounted = await sh("mount", ["-t", "tmpfs", "tmpfs", path]);
        assert.equal(mounted.code, 0, new TextDecoder().decode(mounted.stderr));
      }
      using _open = await Deno.open(`${busy}/held`, {
        create: true,
        write: true,
      });
      const config = shutdownConfig(dir.path, {
        filesystems: {
          timeout: "10s",
          mounts: [
            { path: busy },
            { path: plain },
            { path: absent },
            { path: busy, lazy: true },
          ],
        },
      });
      const logger = new MemoryLogger();
      const step = buildPlan(config).steps.find((s) => s.id === "filesystems");
      assert.ok(step);
      const outcome = await filesystemsStep({
        config,
        runner: createRunner({ logger, dryRun: false }),
        logger,
        clock: systemClock,
        action: () => {},
      }, step);
      assert.equal(outcome.status, "failed");
      assert.equal(
        outcome.summary,
        "2 of 4 unmounted, 1 not mounted, 1 failed",
      );
      assert.deepEqual(outcome.details, [
        `${busy}: exit code 32: umount: ${busy}: target is busy.`,
        `${plain}: unmounted`,
        `${absent}: not mounted, skipped`,
        `${busy}: unmounted`,
      ]);
    } finally {
      // Never leave a mount behind, whatever the step did.
      for (const path of [busy, plain]) await sh("umount", ["-l", path]);
    }
  },
});
