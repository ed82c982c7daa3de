/**
 * What every subcommand receives: its arguments, output writers and a
 * logger. Commands return an exit code; `main.ts` alone exits.
 *
 * @module
 */
import type { ConsoleLogger } from "../system/log.ts";

/** A sink for command output (stdout) or messages (stderr). */
export interface TextWriter {
  /** Writes text as is; add your own newline. */
  write(text: string): void;
}

/** Collaborators of a subcommand. */
export interface CommandContext {
  /** Arguments after the subcommand name. */
  args: string[];
  /** Command output: plans, configs, JSON. */
  stdout: TextWriter;
  /** Messages for the user that are not log lines (errors, usage). */
  stderr: TextWriter;
  /** The process logger; commands may reconfigure it once the config is loaded. */
  logger: ConsoleLogger;
  /** `--log-format` from the command line, which wins over the config. */
  logFormatFlag: "text" | "json" | undefined;
}

/** A subcommand: its usage text and what it does. */
export interface Command {
  /** One line for the overview. */
  summary: string;
  /** Full usage text for `--help`. */
  usage: string;
  /**
   * Runs the command.
   *
   * @returns The exit code: 0 success, 1 runtime failure, 2 usage or config error.
   */
  run(context: CommandContext): Promise<number>;
}

/** Wrong arguments: print the message and the usage, exit 2. */
export class UsageError extends Error {
  /**
   * @param message What is wrong with the arguments.
   * @param options Standard error options (`cause`).
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "UsageError";
  }
}
