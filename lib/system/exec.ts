/**
 * The one child-process runner. A program and an argument array (never a
 * shell), a timeout on every call, TERM then KILL of the whole process group,
 * bounded output, and dry-run: queries run, actions are only logged.
 *
 * @module
 */

import { type Clock, deadline, systemClock } from "./clock.ts";
import type { Logger } from "./log.ts";
import { capture, feed } from "./_pipes.ts";
import { formatWords } from "./shell_words.ts";
import { errorMessage } from "../errors.ts";

export * from "./runner.ts";
import {
  type ExecResult,
  type Runner,
  type RunnerOptions,
  type RunOptions,
  SpawnError,
} from "./runner.ts";

const DEFAULT_KILL_GRACE_MS = 2000;
const DEFAULT_ABANDON_GRACE_MS = 1000;
const DEFAULT_MAX_OUTPUT_BYTES = 64 * 1024;

/**
 * Formats a command for logs, quoting words as a POSIX shell would need them
 * (`virsh shutdown 'my vm'`), so a logged line can be pasted to a terminal.
 *
 * @param program The program.
 * @param args Its arguments.
 * @returns One line of text.
 */
export function formatCommand(
  program: string,
  args: readonly string[],
): string {
  return formatWords([program, ...args]);
}

/**
 * Creates the runner; `main.ts` makes one, tests make their own.
 *
 * @param options Logger, dry-run switch, clock and grace periods.
 * @returns A runner with no live children.
 * @throws {RangeError} When a grace period is negative or not a number.
 */
export function createRunner(options: RunnerOptions): Runner {
  return new ProcessRunner(options);
}

interface LiveCall {
  stop: AbortController;
  finished: Promise<ExecResult>;
}

class ProcessRunner implements Runner {
  readonly dryRun: boolean;
  #logger: Logger;
  #clock: Clock;
  #killGraceMs: number;
  #abandonGraceMs: number;
  #live = new Set<LiveCall>();

  constructor(options: RunnerOptions) {
    this.dryRun = options.dryRun;
    this.#logger = options.logger;
    this.#clock = options.clock ?? systemClock;
    this.#killGraceMs = checkMs(
      "killGraceMs",
      options.killGraceMs ?? DEFAULT_KILL_GRACE_MS,
    );
    this.#abandonGraceMs = checkMs(
      "abandonGraceMs",
      options.abandonGraceMs ?? DEFAULT_ABANDON_GRACE_MS,
    );
  }

  async run(
    program: string,
    args: readonly string[],
    options: RunOptions,
  ): Promise<ExecResult> {
    if (program.length === 0) {
      throw new TypeError("Cannot run a command: the program name is empty");
    }
    const { timeoutMs, maxOutputBytes = DEFAULT_MAX_OUTPUT_BYTES } = options;
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
      throw new RangeError(
        `Cannot run "${program}": timeoutMs must be a positive number, got ${timeoutMs}`,
      );
    }
    if (!Number.isSafeInteger(maxOutputBytes) || maxOutputBytes < 0) {
      throw new RangeError(
        `Cannot run "${program}": maxOutputBytes must be a non-negative integer, got ${maxOutputBytes}`,
      );
    }
    options.signal?.throwIfAborted();
    const command = formatCommand(program, args);
    if (this.dryRun && options.kind === "action") {
      this.#logger.info("exec.dry_run", `[DRY-RUN] would run: ${command}`, {
        program,
        args,
      });
      return {
        code: 0,
        signal: null,
        timedOut: false,
        stdout: "",
        stderr: "",
        truncated: false,
        durationMs: 0,
        dryRun: true,
      };
    }

    let child: Deno.ChildProcess;
    try {
      child = new Deno.Command(program, {
        args: [...args],
        stdin: options.stdin === undefined ? "null" : "piped",
        stdout: "piped",
        stderr: "piped",
        detached: true,
        ...(options.env === undefined ? {} : { env: options.env }),
      }).spawn();
    } catch (error) {
      throw toSpawnError(program, error);
    }
    this.#logger.debug("exec.start", `Running: ${command}`, {
      pid: child.pid,
      kind: options.kind,
      "timeout_ms": timeoutMs,
    });

    const stop = new AbortController();
    const onAbort = () => stop.abort(options.signal?.reason);
    options.signal?.addEventListener("abort", onAbort, { once: true });
    const call: LiveCall = {
      stop,
      finished: this.#supervise(child, command, stop.signal, {
        timeoutMs,
        maxOutputBytes,
        stdin: options.stdin,
      }),
    };
    this.#live.add(call);
    try {
      return await call.finished;
    } finally {
      this.#live.delete(call);
      options.signal?.removeEventListener("abort", onAbort);
    }
  }

  async killAll(): Promise<void> {
    const calls = [...this.#live];
    for (const call of calls) {
      call.stop.abort(
        new DOMException("The runner stopped its children", "AbortError"),
      );
    }
    await Promise.allSettled(calls.map((call) => call.finished));
  }

  async #supervise(
    child: Deno.ChildProcess,
    command: string,
    stop: AbortSignal,
    limits: {
      timeoutMs: number;
      maxOutputBytes: number;
      stdin: string | undefined;
    },
  ): Promise<ExecResult> {
    const started = this.#clock.monotonic();
    let exit: Deno.CommandStatus | null = null;
    const exited = child.status.then((status) => {
      exit = status;
    });
    const ignored = (what: string) => (error: unknown) => {
      this.#logger.debug("exec.io", `Ignored an error on ${what}`, {
        pid: child.pid,
        error,
      });
    };
    const { maxOutputBytes } = limits;
    const stdout = capture(child.stdout, maxOutputBytes, ignored("stdout"));
    const stderr = capture(child.stderr, maxOutputBytes, ignored("stderr"));
    const stdin = limits.stdin === undefined
      ? null
      : feed(child.stdin, limits.stdin, ignored("stdin"));
    const settled = Promise.all([
      exited,
      stdout.done,
      stderr.done,
      stdin?.done,
    ]);
    const result = (timedOut: boolean): ExecResult => {
      const status: Deno.CommandStatus | null = exit;
      const outcome: ExecResult = {
        code: status === null || status.signal !== null ? null : status.code,
        signal: status?.signal ?? null,
        timedOut,
        stdout: stdout.text(),
        stderr: stderr.text(),
        truncated: stdout.truncated() || stderr.truncated(),
        durationMs: Math.round(this.#clock.monotonic() - started),
        dryRun: false,
      };
      this.#logger.debug("exec.exit", `Finished: ${command}`, {
        code: outcome.code,
        signal: outcome.signal,
        "timed_out": timedOut,
        "duration_ms": outcome.durationMs,
      });
      return outcome;
    };
    const abandon = async (event: string, msg: string): Promise<void> => {
      this.#logger.warning(event, msg, { pid: child.pid });
      await Promise.all([stdout.cancel(), stderr.cancel(), stdin?.cancel()]);
      // A child that cannot die must not keep the daemon's event loop alive.
      if (exit === null) child.unref();
    };

    using limit = deadline(this.#clock, limits.timeoutMs, stop);
    const expired = new Promise<"expired">((resolve) => {
      if (limit.signal.aborted) resolve("expired");
      limit.signal.addEventListener("abort", () => resolve("expired"), {
        once: true,
      });
    });
    const first = await Promise.race([
      settled.then(() => "settled" as const),
      exited.then(() => "exited" as const),
      expired,
    ]);
    if (first === "settled") return result(false);
    if (first === "exited") {
      // Output ends with the exit unless a background grandchild inherited
      // the pipes; then cut it off rather than wait for that grandchild.
      const after = await this.#within(
        Promise.race([settled, expired]),
        this.#abandonGraceMs,
      );
      if (after && !limit.signal.aborted) return result(false);
      if (!after) {
        await abandon(
          "exec.output_abandoned",
          `Stopped reading the output of "${command}": it exited, but a background process keeps the output open`,
        );
        return result(false);
      }
    }

    // The deadline expired, or the caller or killAll() aborted.
    const aborted = stop.aborted;
    if (!aborted) {
      this.#logger.warning(
        "exec.timeout",
        `Timed out after ${limits.timeoutMs} ms: ${command}`,
        { pid: child.pid, "timeout_ms": limits.timeoutMs },
      );
    }
    this.#signalGroup(child, "SIGTERM");
    let ended = await this.#within(settled, this.#killGraceMs);
    if (!ended) {
      this.#signalGroup(child, "SIGKILL");
      ended = await this.#within(settled, this.#abandonGraceMs);
    }
    if (!ended) {
      // Uninterruptible sleep (a sync on a dead NFS mount) survives SIGKILL,
      // and a grandchild that called setsid is outside the group yet holds
      // the pipes: neither may hold up the caller.
      await abandon(
        "exec.abandoned",
        `Gave up on "${command}": still running or holding its output after SIGKILL`,
      );
    }
    if (aborted) throw stop.reason;
    return result(true);
  }

  /** Whether `promise` settles within `ms` on the injected clock. */
  async #within(promise: Promise<unknown>, ms: number): Promise<boolean> {
    const cancel = new AbortController();
    const timer = this.#clock.sleep(ms, cancel.signal).then(
      () => false,
      () => false,
    );
    try {
      return await Promise.race([promise.then(() => true), timer]);
    } finally {
      cancel.abort();
    }
  }

  /** Signals the child's process group; `kill()` after the exit is guarded. */
  #signalGroup(child: Deno.ChildProcess, signal: Deno.Signal): void {
    try {
      return Deno.kill(-child.pid, signal);
    } catch (error) {
      // NotFound (ESRCH): the whole group has exited. Anything else means no
      // unscoped --allow-run: fall back to the child, which needs none.
      const gone = error instanceof Deno.errors.NotFound;
      this.#logger[gone ? "debug" : "warning"](
        "exec.kill",
        `Cannot signal process group ${child.pid}: ${errorMessage(error)}`,
        { signal },
      );
      if (gone) return;
    }
    try {
      child.kill(signal);
    } catch (error) {
      // TypeError: the child has exited; nothing is left to signal.
      this.#logger.debug("exec.kill", `Cannot signal process ${child.pid}`, {
        signal,
        error,
      });
    }
  }
}

function toSpawnError(program: string, error: unknown): SpawnError {
  const detail = error instanceof Deno.errors.NotFound
    ? "command not found"
    : error instanceof Deno.errors.PermissionDenied
    ? "permission denied"
    : error instanceof Deno.errors.NotCapable
    ? "run permission not granted"
    : errorMessage(error);
  return new SpawnError(program, detail, { cause: error });
}

function checkMs(name: string, value: number): number {
  if (!Number.isFinite(value) || value < 0) {
    throw new RangeError(
      `Cannot create the runner: ${name} must be a non-negative number, got ${value}`,
    );
  }
  return value;
}
