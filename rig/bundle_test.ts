import assert from "node:assert/strict";
import {
  startMonitor,
  writeMonitorConfig,
} from "../lib/testing/bench_subjects.ts";
import { runProgram } from "../lib/testing/program.ts";
import { makeRunDir } from "../lib/testing/temp_dir.ts";
import { IGNORE_WITHOUT_UPSD, startUpsd } from "../lib/testing/upsd.ts";
import { buildBundle } from "./bundle.ts";

// Tests and the rig run main.ts; the binary embeds the bundle. This keeps
// the two from drifting apart: what esbuild changes must not change what the
// program does.
Deno.test(
  "the bundle that deno task compile embeds behaves as main.ts does",
  { ignore: IGNORE_WITHOUT_UPSD, timeout: 120_000 },
  async (t) => {
    await using dir = await makeRunDir();
    const bundle = `${dir.path}/ups-monitor.js`;
    assert.equal(await buildBundle(bundle), null);

    await t.step("one-shot commands print the same", async () => {
      for (
        const args of [
          ["version"],
          ["schema"],
          ["--help"],
          ["status", "--help"],
          ["check", "--config", `${dir.path}/missing.yaml`],
          ["run", "--no-such-option"],
        ]
      ) {
        const fromMain = await runProgram(args);
        const fromBundle = await runProgram(args, { entry: bundle });
        assert.deepEqual(fromBundle, fromMain, args.join(" "));
      }
    });

    await t.step(
      "status reads a real upsd; the daemon polls it and stops cleanly",
      async () => {
        await using upsd = await startUpsd();
        const config = await writeMonitorConfig(dir.path, upsd);
        const args = ["status", "--config", config];
        const fromMain = await runProgram(args);
        const fromBundle = await runProgram(args, { entry: bundle });
        assert.equal(fromBundle.code, fromMain.code, fromBundle.stderr);
        assert.equal(
          fromBundle.stdout.split("\n")[0],
          fromMain.stdout.split("\n")[0],
        );
        assert.match(fromBundle.stdout, /OL/);
        const { process: daemon } = await startMonitor(config, bundle);
        assert.equal(await daemon.stop("SIGTERM"), 0, daemon.other.join("\n"));
        assert.ok(
          daemon.events.some((event) => event.event === "nut.connected"),
        );
      },
    );
  },
);
