/**
 * The errors of the rig's container engine: a command that failed (named,
 * with the end of its stderr) and no usable engine (what was tried, how to
 * install one).
 *
 * @module
 */
import type { ExecResult } from "../lib/system/exec.ts";

/** Bytes of stderr quoted in a {@linkcode RigCommandError}. */
const STDERR_TAIL_BYTES = 1500;

/** A command of the rig failed: it names the command and quotes its stderr. */
export class RigCommandError extends Error {
  /** The command line, shell-quoted for pasting. */
  readonly command: string;
  /** Exit code, `null` after a signal or a timeout. */
  readonly code: number | null;
  /** The end of the command's stderr (or stdout when stderr was empty). */
  readonly stderrTail: string;

  /**
   * Builds the message from the command's outcome.
   *
   * @param what What the rig was doing, e.g. `start the NUT server`.
   * @param command The formatted command line.
   * @param result The command's outcome.
   */
  constructor(what: string, command: string, result: ExecResult) {
    const output = result.stderr.trim() || result.stdout.trim();
    const tail = output.length > STDERR_TAIL_BYTES
      ? "…" + output.slice(-STDERR_TAIL_BYTES)
      : output;
    const how = result.timedOut
      ? `timed out after ${result.durationMs} ms`
      : result.code === null
      ? `was ended by "${result.signal}"`
      : `exited with code ${result.code}`;
    super(
      `Cannot ${what}: "${command}" ${how}${tail ? `: ${tail}` : ""}`,
    );
    this.name = "RigCommandError";
    this.command = command;
    this.code = result.code;
    this.stderrTail = tail;
  }
}

/** No usable engine: the message says what was tried and how to install one. */
export class EngineUnavailableError extends Error {
  /**
   * Wraps the message.
   *
   * @param message What is missing, with the install command.
   */
  constructor(message: string) {
    super(message);
    this.name = "EngineUnavailableError";
  }
}
