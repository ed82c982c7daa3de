/**
 * The crisis flag file: read, written atomically, archived, removed; and the
 * boot id that tells a restart from a reboot. The state machine that decides
 * what to do with them is `crisis_machine.ts`.
 *
 * @module
 */
import { errorMessage } from "../errors.ts";
import {
  READ_LIMITS,
  readTextIfExists,
  writeJsonAtomic,
} from "../system/files.ts";
import type { Runner } from "../system/exec.ts";
import { readProcFile } from "../system/proc_file.ts";
import type { Logger } from "../system/log.ts";
import { z } from "../schema/mod.ts";
import { BOOT_ID_PATH } from "../system/permissions.ts";
import type { CrisisFlag, CrisisState } from "./crisis_machine.ts";

export type {
  CrisisFlag,
  CrisisState,
  SequenceReason,
} from "./crisis_machine.ts";
export { UNKNOWN_BOOT_ID } from "./crisis_machine.ts";

/** What a crisis flag must hold to be resumed; anything else is archived. */
const FLAG_SCHEMA = z.object({
  state: z.enum(["running", "done", "aborting", "aborted"]),
  reason: z.object({
    trigger: z.string(),
    message: z.string(),
    fields: z.record(z.string(), z.union([z.string(), z.number()])).optional(),
  }),
  startedAt: z.number(),
  finishedAt: z.number().optional(),
  committed: z.boolean().optional(),
  abortedAt: z.number().optional(),
  rollback: z.array(z.string()).optional(),
  bootId: z.string(),
  dryRun: z.boolean(),
  completedSteps: z.array(z.string()),
  results: z.array(z.object({
    id: z.string(),
    title: z.string(),
    status: z.enum(["done", "failed", "timeout", "skipped"]),
    durationMs: z.number(),
    summary: z.string(),
    details: z.array(z.string()),
    undo: z.discriminatedUnion("kind", [
      z.object({
        kind: z.literal("vms"),
        uri: z.string().nullable(),
        names: z.array(z.string()),
      }),
      z.object({
        kind: z.literal("containers"),
        engine: z.string(),
        ids: z.array(z.string()),
        names: z.array(z.string()),
      }),
      z.object({
        kind: z.literal("command"),
        command: z.array(z.string()),
        timeoutMs: z.number(),
      }),
    ]).optional(),
  })),
});

/**
 * Reads the crisis state from the flag file. A missing file is `armed`
 * (also after a user removed it by hand, which is how crisis mode is left).
 *
 * @param path The flag file (`paths.flag`).
 * @returns The state; `invalid` with a reason when the file is not a flag.
 * @throws {FileError} When the file exists but cannot be read.
 */
export async function crisisState(path: string): Promise<CrisisState> {
  const text = await readTextIfExists(path, READ_LIMITS.flag);
  if (text === null) return { state: "armed" };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return {
      state: "invalid",
      error: `Cannot read the crisis flag "${path}": ${errorMessage(error)}`,
    };
  }
  const parsed = FLAG_SCHEMA.safeParse(value);
  if (!parsed.success) {
    return {
      state: "invalid",
      error: `Cannot read the crisis flag "${path}": it is not a crisis flag`,
    };
  }
  const flag = parsed.data as CrisisFlag;
  return { state: flag.state, flag };
}

/**
 * Writes the flag atomically.
 *
 * @param path The flag file.
 * @param flag The new content.
 * @param logger Hears of a directory fsync that failed.
 * @returns When the content is durable.
 * @throws {FileError} When the file cannot be written.
 */
export async function writeCrisisFlag(
  path: string,
  flag: CrisisFlag,
  logger?: Logger,
): Promise<void> {
  await writeJsonAtomic(path, flag, logger ? { logger } : {});
}

/**
 * Moves a flag that must not be resumed (another boot, unreadable) aside:
 * renamed to `<path>.archived-<suffix>`, so crisis mode re-arms and the
 * evidence stays.
 *
 * @param path The flag file.
 * @param suffix Distinguishes archives, e.g. the start time.
 * @returns The archive's path.
 * @throws {Deno.errors.NotFound} When the flag vanished meanwhile.
 */
export async function archiveCrisisFlag(
  path: string,
  suffix: string,
): Promise<string> {
  const archived = `${path}.archived-${suffix}`;
  await Deno.rename(path, archived);
  return archived;
}

/**
 * Removes the flag file: crisis mode re-arms.
 *
 * @param path The flag file.
 * @returns Whether there was a flag to remove.
 * @throws {Deno.errors.PermissionDenied} When it cannot be removed.
 */
export async function clearCrisisFlag(path: string): Promise<boolean> {
  try {
    await Deno.remove(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/**
 * Reads this boot's id (see proc_file.ts for how `/proc` is read).
 *
 * @param runner Runs `cat` when libc cannot be used.
 * @returns The boot id, e.g. `0b5c…`.
 * @throws {Error} When it cannot be read: `Cannot read the boot id: …`.
 */
export async function readBootId(runner: Runner): Promise<string> {
  const read = await readProcFile(BOOT_ID_PATH, runner);
  const id = "text" in read ? read.text.trim() : "";
  if (id === "") {
    throw new Error(
      `Cannot read the boot id from "${BOOT_ID_PATH}": ${
        "error" in read ? read.error : "it is empty"
      }`,
    );
  }
  return id;
}
