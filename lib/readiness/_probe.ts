/**
 * What the readiness checks share: finding a program the way the steps do,
 * and running a read-only query bounded by the check's time.
 *
 * @module
 */
import { errorMessage } from "../errors.ts";
import { findProgram } from "../shutdown/dependencies.ts";
import { failureText, succeeded } from "../shutdown/step.ts";
import type { ExecResult } from "../system/exec.ts";
import { formatWords } from "../system/shell_words.ts";
import type { CheckResult, ReadinessCheck } from "./check.ts";
import type { ReadinessContext } from "./checks.ts";

/** A query's output, or why it did not succeed (a sentence fragment). */
export type QueryOutcome =
  | { ok: true; result: ExecResult }
  | { ok: false; why: string };

/**
 * Looks a program up as the steps do: in `context.searchPath`, else the
 * `PATH` of `context.env`, else systemd's default search path.
 *
 * @param context The check's context.
 * @param program A name or a path.
 * @returns The absolute path, or `null` when it is not installed.
 */
export function locate(
  context: ReadinessContext,
  program: string,
): Promise<string | null> {
  return findProgram(program, context.searchPath ?? context.env?.["PATH"]);
}

/**
 * Runs a read-only call (a runner query, so it also runs in dry-run),
 * bounded by the check's time and its signal.
 *
 * @param context The check's context.
 * @param words The program and its arguments.
 * @returns The result when it exited 0, else why not, e.g.
 *   `"virsh version" failed: exit code 1: error: failed to connect`.
 */
export async function query(
  context: ReadinessContext,
  words: readonly [string, ...string[]],
): Promise<QueryOutcome> {
  const [program, ...args] = words;
  const shown = `"${formatWords(words)}"`;
  try {
    const result = await context.runner.run(program, args, {
      kind: "query",
      timeoutMs: context.timeoutMs,
      ...(context.signal === undefined ? {} : { signal: context.signal }),
      ...(context.env === undefined ? {} : { env: context.env }),
    });
    if (succeeded(result)) return { ok: true, result };
    return { ok: false, why: `${shown} failed: ${failureText(result)}` };
  } catch (error) {
    return {
      ok: false,
      why: `${shown} could not run: ${errorMessage(error)}`,
    };
  }
}

/**
 * A check that a configured program is installed.
 *
 * @param head Id and title of the check.
 * @param program The program, `undefined` when the command is empty.
 * @param fix What to do when it is missing, e.g. `set shutdown.sync.enabled to false`.
 * @returns The check.
 */
export function programCheck(
  head: { id: string; title: string },
  program: string | undefined,
  fix: string,
): ReadinessCheck<ReadinessContext> {
  return {
    ...head,
    async run(context): Promise<CheckResult> {
      if (program === undefined || program === "") {
        return { ready: false, detail: `no command is configured: ${fix}` };
      }
      const found = await locate(context, program);
      return found === null
        ? {
          ready: false,
          detail: `"${program}" is not installed or not in PATH: ${fix}`,
        }
        : { ready: true, detail: `"${program}" is installed at "${found}"` };
    },
  };
}

/**
 * `1 VM`, `2 VMs`: a count with its noun.
 *
 * @param count How many.
 * @param noun The singular.
 * @returns The text.
 */
export function counted(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}
