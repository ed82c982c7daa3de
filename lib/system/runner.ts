/**
 * The contract of the child-process runner: what a call takes and returns,
 * the runner's interface and the error of a program that cannot start. The
 * one implementation is in `exec.ts`; tests and steps depend on this.
 *
 * @module
 */
import type { Clock } from "./clock.ts";
import type { Logger } from "./log.ts";

/**
 * What a call does to the host. In dry-run a `"query"` (list VMs, containers,
 * mounts) still runs, so a rehearsal shows the real host; an `"action"` is
 * logged and reported as success without being spawned.
 */
export type CommandKind = "query" | "action";

/** Options of {@linkcode createRunner}. */
export interface RunnerOptions {
  /** Receives `exec.*` events. */
  logger: Logger;
  /** Log actions instead of running them. */
  dryRun: boolean;
  /** Measures timeouts and grace periods. @default systemClock */
  clock?: Clock;
  /** Milliseconds between SIGTERM and SIGKILL to the process group. @default 2000 */
  killGraceMs?: number;
  /**
   * Milliseconds to wait for something that may never come before giving up
   * on it: the exit and end of output after SIGKILL, and the end of output
   * after the program itself exited (a background grandchild holds the pipe).
   * @default 1000
   */
  abandonGraceMs?: number;
}

/** Options of one {@linkcode Runner.run} call. */
export interface RunOptions {
  /** Milliseconds until the process group is terminated; required, > 0. */
  timeoutMs: number;
  /** Whether the call runs in dry-run (see {@linkcode CommandKind}). */
  kind: CommandKind;
  /** Terminates the process group like a timeout, then rejects with its reason. */
  signal?: AbortSignal;
  /** Bytes kept per stream; the head is kept, the rest read and dropped. @default 65536 */
  maxOutputBytes?: number;
  /** Text written to the child's stdin, then closed. @default no stdin (/dev/null) */
  stdin?: string;
  /** Variables added to the inherited environment. @default none */
  env?: Record<string, string>;
}

/** The outcome of a call; a non-zero exit is data, not an exception. */
export interface ExecResult {
  /** Exit code; `null` when ended by a signal or abandoned. */
  code: number | null;
  /** Name of the terminating signal (`"SIGTERM"`), or `null`. */
  signal: string | null;
  /** The timeout expired and the process group was terminated. */
  timedOut: boolean;
  /** Standard output, at most `maxOutputBytes` of it (UTF-8, lossy). */
  stdout: string;
  /** Standard error, at most `maxOutputBytes` of it (UTF-8, lossy). */
  stderr: string;
  /** Output beyond `maxOutputBytes` was dropped from either stream. */
  truncated: boolean;
  /** Wall time of the call in milliseconds. */
  durationMs: number;
  /** The call was a dry-run action: nothing was spawned. */
  dryRun: boolean;
}

/** Runs child processes; see {@linkcode createRunner}. */
export interface Runner {
  /** Whether actions are only logged. */
  readonly dryRun: boolean;
  /**
   * Runs `program` with `args` (no shell) in a process group of its own.
   *
   * @param program Program name (looked up in `PATH`) or path.
   * @param args Arguments, passed as they are.
   * @param options Timeout, kind and limits of the call.
   * @returns The exit status and the bounded output. Resolves within
   *   `timeoutMs + killGraceMs + abandonGraceMs` (plus scheduling).
   * @throws {SpawnError} When the program cannot be started.
   * @throws {RangeError} When `timeoutMs` or `maxOutputBytes` is invalid.
   * @throws {unknown} The signal's reason, once `signal` aborted and the
   *   process group was terminated.
   */
  run(
    program: string,
    args: readonly string[],
    options: RunOptions,
  ): Promise<ExecResult>;
  /**
   * Terminates every live child (TERM, grace, KILL) and waits for their calls
   * to end; those calls reject with an `AbortError`. For daemon shutdown.
   *
   * @returns When every call that was live has ended.
   */
  killAll(): Promise<void>;
}

/** A program could not be started (not found, not executable, not allowed). */
export class SpawnError extends Error {
  /** The program that was asked for. */
  readonly program: string;

  /**
   * @param program The program that was asked for.
   * @param detail Why it could not start, e.g. `command not found`.
   * @param options The underlying error as `cause`.
   */
  constructor(program: string, detail: string, options?: ErrorOptions) {
    super(`Cannot run "${program}": ${detail}`, options);
    this.name = "SpawnError";
    this.program = program;
  }
}
