/**
 * What every step of the shutdown sequence receives and returns, and the
 * helpers the step files share.
 *
 * @module
 */
import { errorMessage } from "../errors.ts";
import type { Config } from "../config/schema.ts";
import type { Clock } from "../system/clock.ts";
import type { ExecResult, Runner } from "../system/exec.ts";
import type { Logger } from "../system/log.ts";
import type { PlannedStep } from "./plan.ts";

import type { StepStatus, Undo } from "./crisis_machine.ts";

export type { StepResult, StepStatus } from "./crisis_machine.ts";

/** What a step function returns; the sequence adds id, title and duration. */
export interface StepOutcome {
  /** How the step ended. */
  status: Exclude<StepStatus, "skipped">;
  /** One line for the summary. */
  summary: string;
  /** Per-item lines. */
  details: string[];
  /** How an abort undoes what the step stopped; absent when nothing. */
  undo?: Undo;
}

/** Collaborators and settings of a step. */
export interface StepContext {
  /** The validated config. */
  config: Config;
  /** Runs every child process; dry-run lives in it. */
  runner: Runner;
  /** Receives diagnostics. */
  logger: Logger;
  /** Measures waits (VM polling). */
  clock: Clock;
  /**
   * Reports one action ("Stopping VM web01"): logged as `shutdown.action`
   * and sent to the notifier.
   */
  action(message: string, fields?: Record<string, string | number>): void;
  /** Environment added to each call, e.g. a `PATH` with stand-ins. @default none */
  env?: Record<string, string>;
  /** Directories searched for programs. @default DEFAULT_SEARCH_PATH */
  searchPath?: string;
  /** Milliseconds between two polls of the VM states. @default 500 */
  vmPollIntervalMs?: number;
  /** The monitor's logged-in link to upsd, for a primary's FSD. @default none */
  fleet?: FleetLink;
}

/**
 * What a NUT primary's fleet step needs from the monitor's connection to
 * upsd: the one that is logged in, as upsmon sends FSD on its own.
 */
export interface FleetLink {
  /** Sends `FSD <ups>`. */
  fsd(): Promise<void>;
  /** `LIST CLIENT <ups>`: one address per login. */
  listClients(): Promise<string[]>;
  /** This host's address on the logged-in connection; null when not logged in. */
  ownAddress(): string | null;
}

/** A step implementation: one file in `steps/` per kind. */
export type StepFunction = (
  context: StepContext,
  step: PlannedStep,
) => Promise<StepOutcome>;

/**
 * Runs a call through the runner with the context's environment. A call
 * that cannot start (not found, not allowed) becomes a result with code
 * `null` and the reason in `stderr`, so a step can report it and go on.
 *
 * @param context The step context.
 * @param program Program name or path.
 * @param args Its arguments.
 * @param options Timeout and kind of the call.
 * @returns The result; never rejects.
 */
export async function call(
  context: Pick<StepContext, "runner" | "env">,
  program: string,
  args: readonly string[],
  options: { timeoutMs: number; kind: "query" | "action" },
): Promise<ExecResult> {
  try {
    return await context.runner.run(program, args, {
      ...options,
      ...(context.env === undefined ? {} : { env: context.env }),
    });
  } catch (error) {
    return {
      code: null,
      signal: null,
      timedOut: false,
      stdout: "",
      stderr: errorMessage(error),
      truncated: false,
      durationMs: 0,
      dryRun: false,
    };
  }
}

/**
 * Why a call failed, in a few words: `timed out after 15s and was killed`,
 * `exit code 32: umount: /mnt/x: target is busy`.
 *
 * @param result A call's result that was not a success.
 * @returns Text for a detail line.
 */
export function failureText(result: ExecResult): string {
  if (result.timedOut) return "timed out and was killed";
  const stderr = lastLine(result.stderr);
  const how = result.code === null
    ? result.signal === null ? "" : `killed by ${result.signal}`
    : `exit code ${result.code}`;
  return [how, stderr].filter((part) => part !== "").join(": ");
}

/** The last non-empty line of a text, trimmed. */
export function lastLine(text: string): string {
  const lines = text.split("\n").map((l) => l.trim()).filter((l) => l !== "");
  return lines.at(-1) ?? "";
}

/** Whether a call succeeded (exit 0, not timed out). */
export function succeeded(result: ExecResult): boolean {
  return result.code === 0 && !result.timedOut;
}

/** The worst status of several: timeout over failed over done. */
export function worst(statuses: readonly StepOutcome["status"][]) {
  if (statuses.includes("timeout")) return "timeout" as const;
  if (statuses.includes("failed")) return "failed" as const;
  return "done" as const;
}

/**
 * Runs one configured action command (program and arguments) as a whole
 * step: reports the action, runs it bounded, and turns the result into an
 * outcome. The local shutdown and custom command steps are this.
 *
 * @param context Collaborators.
 * @param command The configured words; the first is the program.
 * @param texts The action message and the summaries for success and failure.
 * @returns Done when the command exited 0 (or was logged in dry-run).
 */
export async function commandOutcome(
  context: StepContext,
  command: readonly string[],
  texts: {
    timeoutMs: number;
    action: string;
    done(dryRun: boolean): string;
    failed(why: string): string;
  },
): Promise<StepOutcome> {
  const [program, ...args] = command;
  if (program === undefined) {
    return {
      status: "failed",
      summary: texts.failed("no command is configured"),
      details: [],
    };
  }
  context.action(texts.action, { command: command.join(" ") });
  const result = await call(context, program, args, {
    kind: "action",
    timeoutMs: texts.timeoutMs,
  });
  if (succeeded(result)) {
    return { status: "done", summary: texts.done(result.dryRun), details: [] };
  }
  return {
    status: result.timedOut ? "timeout" : "failed",
    summary: texts.failed(failureText(result)),
    details: [],
  };
}
