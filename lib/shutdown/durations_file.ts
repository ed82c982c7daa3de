/**
 * The durations file on disk (`paths.durations`): read for the plan and the
 * budget, written atomically after every sequence. A missing or damaged file
 * is an empty history; a failed write is logged, never fatal.
 *
 * @module
 */
import { errorMessage } from "../errors.ts";
import {
  READ_LIMITS,
  readTextIfExists,
  writeFileAtomic,
} from "../system/files.ts";
import type { Logger } from "../system/log.ts";
import {
  addRun,
  type DurationHistory,
  type MeasuredStep,
  parseDurations,
  serializeDurations,
} from "./durations.ts";

/**
 * Reads the history; a missing file is empty, an unreadable one too (with a
 * warning when a logger is given).
 *
 * @param path `paths.durations`.
 * @param logger Hears why the file could not be read. @default silent
 * @returns The history.
 */
export async function readDurations(
  path: string,
  logger?: Logger,
): Promise<DurationHistory> {
  try {
    const text = await readTextIfExists(path, READ_LIMITS.durations);
    return text === null ? {} : parseDurations(text);
  } catch (error) {
    logger?.warning(
      "durations.unreadable",
      `Cannot read the step durations: ${errorMessage(error)}`,
      { path },
    );
    return {};
  }
}

/**
 * Adds one sequence's step durations to the file.
 *
 * @param path `paths.durations`.
 * @param results The steps that ran.
 * @param dryRun Whether the sequence only logged.
 * @param wallMs When it ended.
 * @param logger Hears a failed write.
 */
export async function recordDurations(
  path: string,
  results: readonly MeasuredStep[],
  dryRun: boolean,
  wallMs: number,
  logger: Logger,
): Promise<void> {
  const history = addRun(
    await readDurations(path, logger),
    results,
    dryRun,
    wallMs,
  );
  try {
    await writeFileAtomic(path, serializeDurations(history));
  } catch (error) {
    logger.warning(
      "durations.write_failed",
      `Cannot record the step durations: ${errorMessage(error)}`,
      { path },
    );
  }
}
