/**
 * The outage carried over a daemon restart: when the UPS went on battery and
 * the charge history, as wall-clock times with the boot id, so the grace
 * period and the extended-time countdown do not start again. Within a
 * process everything is measured on the monotonic clock; wall-clock times
 * exist only in the file. Restoring checks the boot id and looks for a
 * wall-clock jump; whatever fails is discarded with a reason, never thrown.
 * Pure: the shell reads and writes the file (`paths.history`).
 *
 * @pure
 * @module
 */
import { errorMessage } from "../errors.ts";
import { z } from "../schema/mod.ts";
import { MAX_SAMPLES, type Sample } from "./history.ts";
import type { PowerState, ResumedOutage } from "./state.ts";

/** Format tag of the file, to tell it from a foreign one. */
export const OUTAGE_FORMAT = "ups-monitor.outage";

/**
 * A record saved later than now by more than this means the wall clock went
 * back while the daemon was down.
 */
export const CLOCK_SLACK_MS = 10_000;

/**
 * A record older than this is not trusted: power may have come back and gone
 * again while the daemon was down.
 */
export const MAX_RESTORE_GAP_MS = 15 * 60_000;

const recordSchema = z.strictObject({
  format: z.literal(OUTAGE_FORMAT),
  version: z.literal(1),
  "boot_id": z.string().min(1),
  "saved_wall_ms": z.number().finite(),
  "on_battery_since_wall_ms": z.number().finite().nullable(),
  samples: z.array(z.tuple([z.number().finite(), z.number().min(0).max(100)]))
    .max(MAX_SAMPLES),
});

/** The clocks and identity of this process. */
export interface OutageClock {
  /** `/proc/sys/kernel/random/boot_id`. */
  readonly bootId: string;
  /** Monotonic now, ms. */
  readonly monoMs: number;
  /** Wall-clock now, ms since the epoch. */
  readonly wallMs: number;
}

/** What restoring needs besides the clocks. */
export interface RestoreContext extends OutageClock {
  /** Span of history to keep (`triggers.depletion.window`), ms. */
  readonly windowMs: number;
  /**
   * Time since boot, ms, when known: an outage that began before the boot
   * means the wall clock jumped forward.
   */
  readonly uptimeMs?: number | null;
}

/** The outcome of restoring. */
export type RestoreResult =
  /** An outage to resume: pass it to `initialState`. */
  | {
    readonly kind: "resumed";
    readonly outage: ResumedOutage;
    /** For the log: "on battery for 312s before the restart, 40 samples". */
    readonly message: string;
  }
  /** The record says the UPS was on line power: nothing to resume. */
  | { readonly kind: "none" }
  /** The record cannot be trusted; log the reason. */
  | { readonly kind: "discarded"; readonly reason: string };

/**
 * The persisted form of the current outage (a file for `paths.history`).
 * Written on line power too: it then records no outage.
 *
 * @param state The power state.
 * @param clock Boot id and both clocks, to convert monotonic times.
 * @returns JSON text.
 */
export function serializeOutage(state: PowerState, clock: OutageClock): string {
  const toWall = (monoMs: number) =>
    Math.round(clock.wallMs - (clock.monoMs - monoMs));
  const record: z.input<typeof recordSchema> = {
    format: OUTAGE_FORMAT,
    version: 1,
    "boot_id": clock.bootId,
    "saved_wall_ms": Math.round(clock.wallMs),
    "on_battery_since_wall_ms": state.outageStartMs === null
      ? null
      : toWall(state.outageStartMs),
    samples: state.outageStartMs === null
      ? []
      : state.history.map((s) => [toWall(s.monoMs), s.charge]),
  };
  return JSON.stringify(record);
}

/**
 * Reads a persisted outage back, converting its wall-clock times to this
 * process's monotonic clock. Discarded, with a reason: text that is not a
 * record of ours, another boot id, a record from the future (the clock went
 * back), an outage older than the boot (the clock went forward), a record
 * older than {@linkcode MAX_RESTORE_GAP_MS}.
 *
 * @param text The file's content.
 * @param ctx Boot id, clocks, window and uptime.
 * @returns The outage to resume, none, or why it was discarded.
 */
export function restoreOutage(
  text: string,
  ctx: RestoreContext,
): RestoreResult {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    const detail = errorMessage(error);
    return { kind: "discarded", reason: `the file is not JSON: ${detail}` };
  }
  const parsed = recordSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? `${issue.path.join(".")}: ` : "";
    return {
      kind: "discarded",
      reason: `the file is not an outage record: ${where}${issue?.message}`,
    };
  }
  const record = parsed.data;
  if (record["boot_id"] !== ctx.bootId) {
    return {
      kind: "discarded",
      reason: `the boot id changed ("${
        record["boot_id"]
      }" to "${ctx.bootId}"): the host rebooted`,
    };
  }
  const since = record["on_battery_since_wall_ms"];
  if (since === null) return { kind: "none" };
  const saved = record["saved_wall_ms"];
  const seconds = (ms: number) => `${Math.round(ms / 1000)}s`;
  if (saved > ctx.wallMs + CLOCK_SLACK_MS) {
    return {
      kind: "discarded",
      reason: `the record was saved ${
        seconds(saved - ctx.wallMs)
      } in the future: the wall clock went back`,
    };
  }
  if (since > saved) {
    return {
      kind: "discarded",
      reason: "the outage begins after the record was saved",
    };
  }
  const uptime = ctx.uptimeMs ?? null;
  if (uptime !== null && since < ctx.wallMs - uptime - CLOCK_SLACK_MS) {
    return {
      kind: "discarded",
      reason: `the outage began ${
        seconds(ctx.wallMs - uptime - since)
      } before the boot: the wall clock jumped`,
    };
  }
  if (ctx.wallMs - saved > MAX_RESTORE_GAP_MS) {
    return {
      kind: "discarded",
      reason: `the record was saved ${
        seconds(ctx.wallMs - saved)
      } ago, more than ${seconds(MAX_RESTORE_GAP_MS)}: too old to trust`,
    };
  }
  const toMono = (wallMs: number) => ctx.monoMs - (ctx.wallMs - wallMs);
  const cutoff = ctx.wallMs - ctx.windowMs;
  const history: Sample[] = [];
  for (const [wallMs, charge] of record.samples) {
    const last = history[history.length - 1];
    if (wallMs < cutoff || wallMs > saved) continue;
    if (last !== undefined && toMono(wallMs) <= last.monoMs) continue;
    history.push({ monoMs: toMono(wallMs), charge });
  }
  const outage = { outageStartMs: toMono(since), history };
  return {
    kind: "resumed",
    outage,
    message: `on battery since ${
      seconds(ctx.wallMs - since)
    } ago (before the restart), ${history.length} charge samples kept`,
  };
}
