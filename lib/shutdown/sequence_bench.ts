/**
 * Benchmarks of the shutdown sequence against the recording stand-ins:
 * the time from the trigger to the first action, and the wall time of a
 * sequence with 10 VMs of which one ignores the ACPI shutdown request.
 *
 * @module
 */
import type { Notifier } from "../notify/notifier.ts";
import { systemClock } from "../system/clock.ts";
import { createRunner } from "../system/exec.ts";
import type { Fields } from "../system/log.ts";
import { makeFakeTools } from "../testing/fake_tools.ts";
import { MemoryLogger } from "../testing/memory_logger.ts";
import { shutdownConfig } from "../testing/shutdown_config.ts";
import { makeTempDir } from "../testing/temp_dir.ts";
import { runSequence } from "./sequence.ts";

const QUIET: Notifier = {
  notify() {},
  enterCrisis() {},
  flush: () => Promise.resolve(true),
};

/** A memory logger that resolves `firstAction` at the first `shutdown.action`. */
class ActionWatcher extends MemoryLogger {
  #resolve!: () => void;
  readonly firstAction = new Promise<void>((r) => this.#resolve = r);

  override info(event: string, msg: string, fields: Fields = {}): void {
    super.info(event, msg, fields);
    if (event === "shutdown.action") this.#resolve();
  }
}

const REASON = { trigger: "low_battery", message: "bench" };

Deno.bench({
  name: "trigger to first action (virsh shutdown), flag fsync included",
  n: 20,
  warmup: 2,
  async fn(b) {
    await using dir = await makeTempDir();
    await using fakes = await makeFakeTools({ vms: [{ name: "web" }] });
    const config = shutdownConfig(dir.path, {
      containers: { enabled: false },
      sync: { enabled: false },
    });
    const logger = new ActionWatcher();
    const runner = createRunner({ logger, dryRun: false });
    b.start();
    const sequence = runSequence({
      config,
      runner,
      notifier: QUIET,
      logger,
      clock: systemClock,
      bootId: "bench",
      reason: REASON,
      env: fakes.env,
      vmPollIntervalMs: 100,
    });
    await logger.firstAction;
    b.end();
    await sequence;
  },
});

Deno.bench({
  name: "sequence with 10 VMs, one ignoring ACPI (max_wait 5s)",
  n: 3,
  warmup: 0,
  async fn(b) {
    await using dir = await makeTempDir();
    await using fakes = await makeFakeTools({
      vms: Array.from({ length: 10 }, (_, i) => ({
        name: `vm${i}`,
        ignoresShutdown: i === 9,
        shutdownDelayMs: 200 * i,
      })),
    });
    const config = shutdownConfig(dir.path, {
      vms: { "max_wait": "5s" },
      containers: { enabled: false },
      local: { command: [fakes.path("shutdown"), "-h", "now"] },
    });
    const logger = new MemoryLogger();
    const runner = createRunner({ logger, dryRun: false });
    b.start();
    await runSequence({
      config,
      runner,
      notifier: QUIET,
      logger,
      clock: systemClock,
      bootId: "bench",
      reason: REASON,
      env: fakes.env,
    });
    b.end();
  },
});
