/**
 * A full shutdown sequence run for real against the recording stand-ins and
 * reported through a {@linkcode ChannelNotifier}: 10 VMs of which one
 * ignores the shutdown request, 3 mounts, and a local shutdown stand-in that
 * records when it ran. Used by the crisis tests and the notify bench. Test
 * support only.
 *
 * @module
 */
import type { Config } from "../config/schema.ts";
import { ChannelNotifier } from "../notify/dispatch.ts";
import type { Notification, Notifier } from "../notify/notifier.ts";
import type { SequenceReport } from "../shutdown/sequence.ts";
import { runSequence } from "../shutdown/sequence.ts";
import { systemClock } from "../system/clock.ts";
import { createRunner } from "../system/exec.ts";
import { MOUNT_TABLE_PATH } from "../shutdown/kinds/filesystems.ts";
import { makeFakeTools } from "./fake_tools.ts";
import { MemoryLogger } from "./memory_logger.ts";
import { shutdownConfig } from "./shutdown_config.ts";
import { makeTempDir } from "./temp_dir.ts";

/** Path of the Discord stand-in's webhook; the token part is the secret. */
export const WEBHOOK_PATH = "/api/webhooks/4242/crisis-secret-token";

/** Number of fake VMs; the last one ignores the shutdown request. */
export const CRISIS_VMS = 10;

/** Number of mounts the sequence unmounts. */
export const CRISIS_MOUNTS = 3;

/** Options of {@linkcode runCrisisSequence}. */
export interface CrisisRunOptions {
  /** Base URL of the Discord stand-in; without it no channel is configured. */
  serverUrl?: string;
  /** The `notifications` section as written in YAML, channels excluded. @default {} */
  notifications?: Record<string, unknown>;
  /**
   * After the sequence: longest wait for what is still queued (the local
   * step's messages), ms, before the notifier is closed. @default 0
   */
  drainMs?: number;
}

/** What one run did. */
export interface CrisisRun {
  /** The sequence's report. */
  report: SequenceReport;
  /** Every notification the sequence queued, in order. */
  sent: Notification[];
  /** Wall time of `runSequence()`, ms. */
  elapsedMs: number;
  /** When the local shutdown stand-in ran, in `performance.now()` ms (the clock of `RecordedRequest.atMs`). */
  shutdownAtMs: number;
  /** Every call of the tool stand-ins, oldest first. */
  calls: string[][];
  /** The sequence's, runner's and notifier's log. */
  logger: MemoryLogger;
}

/** Records what the sequence queues, then hands it on. */
class TapNotifier implements Notifier {
  readonly sent: Notification[] = [];
  #inner: Notifier;

  constructor(inner: Notifier) {
    this.#inner = inner;
  }

  notify(notification: Notification): void {
    this.sent.push(notification);
    this.#inner.notify(notification);
  }

  enterCrisis(): void {
    this.#inner.enterCrisis();
  }

  flush(timeoutMs: number, options?: { final?: boolean }): Promise<boolean> {
    return this.#inner.flush(timeoutMs, options);
  }
}

async function writeScript(path: string, body: string): Promise<void> {
  await Deno.writeTextFile(path, `#!/bin/bash\n${body}\n`, { mode: 0o755 });
  await Deno.chmod(path, 0o755);
}

/**
 * Runs the whole sequence (not in dry-run) with stand-ins for virsh,
 * umount, sync and the local shutdown, and closes the notifier afterwards.
 *
 * @param options Where the Discord channel points and its timings.
 * @returns What the sequence did and sent, and when the local shutdown ran.
 * @throws {Error} When the local shutdown stand-in did not run.
 */
export async function runCrisisSequence(
  options: CrisisRunOptions = {},
): Promise<CrisisRun> {
  await using dir = await makeTempDir({ prefix: "ups-monitor-crisis-" });
  await using fakes = await makeFakeTools({
    vms: Array.from({ length: CRISIS_VMS }, (_, i) => ({
      name: `vm${i}`,
      ignoresShutdown: i === CRISIS_VMS - 1,
      shutdownDelayMs: 30 * i,
    })),
  });
  const bin = dir.join("bin");
  await Deno.mkdir(bin);
  const mounts = Array.from(
    { length: CRISIS_MOUNTS },
    (_, i) => dir.join("mnt", `share${i}`),
  );
  // The mount table shows the test's mounts, so the fake umount gets them
  // and no real mount point is ever named.
  await writeScript(
    `${bin}/cat`,
    `if [ "$1" = '${MOUNT_TABLE_PATH}' ]; then\n` +
      mounts.map((path, i) =>
        `  echo '${40 + i} 1 0:${
          60 + i
        } / ${path} rw - nfs nas:/share${i} rw'\n`
      ).join("") +
      `  exit 0\nfi\nexec /bin/cat "$@"`,
  );
  const shutdownAt = dir.join("shutdown-at");
  await writeScript(
    `${bin}/shutdown`,
    `date +%s%N > '${shutdownAt}'\nexit 0`,
  );
  const channels = options.serverUrl === undefined ? [] : [{
    kind: "discord",
    url: `${options.serverUrl}${WEBHOOK_PATH}`,
  }];
  const config: Config = shutdownConfig(dir.path, {
    vms: { "max_wait": "1s" },
    containers: { enabled: false },
    filesystems: { timeout: "5s", mounts: mounts.map((path) => ({ path })) },
    local: { command: [`${bin}/shutdown`, "-h", "now"] },
  }, {
    notifications: { ...options.notifications, channels },
  });
  const logger = new MemoryLogger();
  const notifier = new ChannelNotifier({
    config,
    fetch,
    clock: systemClock,
    logger,
  });
  const tap = new TapNotifier(notifier);
  let report: SequenceReport;
  let elapsedMs: number;
  try {
    const started = performance.now();
    report = await runSequence({
      config,
      runner: createRunner({
        logger,
        dryRun: false,
        killGraceMs: 200,
        abandonGraceMs: 200,
      }),
      notifier: tap,
      logger,
      clock: systemClock,
      bootId: "crisis-run",
      env: { PATH: `${bin}:${fakes.env.PATH}` },
      vmPollIntervalMs: 50,
      reason: {
        trigger: "low_battery",
        message: 'Battery charge "18" % is below "20" %',
        fields: { charge: 18 },
      },
    });
    elapsedMs = performance.now() - started;
    if ((options.drainMs ?? 0) > 0) {
      await notifier.flush(options.drainMs ?? 0, { final: true });
    }
  } finally {
    await notifier.close();
  }
  const text = await Deno.readTextFile(shutdownAt).catch(() => "");
  if (text.trim() === "") {
    throw new Error(`Cannot find when the local shutdown ran: "${shutdownAt}"`);
  }
  // date prints epoch nanoseconds; performance.timeOrigin is the epoch ms of performance.now()'s zero.
  const shutdownAtMs = Number(BigInt(text.trim()) / 1000n) / 1000 -
    performance.timeOrigin;
  return {
    report,
    sent: tap.sent,
    elapsedMs,
    shutdownAtMs,
    calls: await fakes.calls(),
    logger,
  };
}
