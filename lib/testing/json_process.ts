/**
 * A long-lived child that logs JSON lines on stderr (ups-monitor with
 * `--log-format json`), read as they come so a test or the rig can wait for
 * events. The runner of lib/system/exec.ts only returns output at the end,
 * hence `Deno.Command` here. Test and rig support only.
 *
 * @module
 */

/** One JSON log line, with its arrival time. */
export interface LoggedEvent {
  /** Arrival time in this process, `performance.now()` ms. */
  at: number;
  /** Stable dotted event name. */
  event: string;
  /** Log level. */
  level: string;
  /** Text for people. */
  msg: string;
  /** The event's fields. */
  [field: string]: unknown;
}

/** A running child that logs JSON lines. */
export interface JsonProcess extends AsyncDisposable {
  /** Its pid. */
  readonly pid: number;
  /** Every event so far, in order. */
  readonly events: LoggedEvent[];
  /** Lines of stderr that were not JSON events (warnings, script errors). */
  readonly other: string[];
  /** Resolves with the exit code once it has exited and stderr is read. */
  readonly exited: Promise<number>;
  /**
   * Waits for the first matching event at index `from` or later.
   *
   * @returns The event, or null after `timeoutMs` or once the child ended.
   */
  next(
    match: (event: LoggedEvent) => boolean,
    options?: { from?: number; timeoutMs?: number },
  ): Promise<LoggedEvent | null>;
  /** Sends `signal`, SIGKILL after `graceMs`, and waits for the exit code. */
  stop(signal?: Deno.Signal, graceMs?: number): Promise<number>;
  /** Sends a signal without waiting. */
  signal(signal: Deno.Signal): void;
}

/**
 * Starts a child and reads its JSON log lines.
 *
 * @param program The program.
 * @param args Its arguments.
 * @param env Extra environment.
 * @returns The running child; disposing it kills it.
 */
export function spawnJsonProcess(
  program: string,
  args: readonly string[],
  env: Record<string, string> = {},
): JsonProcess {
  const child = new Deno.Command(program, {
    args: [...args],
    env: { NO_COLOR: "1", ...env },
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const events: LoggedEvent[] = [];
  const other: string[] = [];
  const listeners = new Set<() => void>();
  let ended = false;
  const push = (line: string) => {
    if (line.trim() === "") return;
    try {
      const parsed = JSON.parse(line);
      if (typeof parsed === "object" && parsed && "event" in parsed) {
        events.push({ at: performance.now(), ...parsed });
        return;
      }
    } catch {
      // Not JSON: a warning of deno or a message of a script.
    }
    other.push(line);
  };
  const reading = (async () => {
    let rest = "";
    for await (
      const chunk of child.stderr.pipeThrough(new TextDecoderStream())
    ) {
      rest += chunk;
      const lines = rest.split("\n");
      rest = lines.pop() ?? "";
      for (const line of lines) push(line);
      for (const listener of listeners) listener();
    }
    push(rest);
  })();
  const exited = child.status.then(async (status) => {
    await reading;
    ended = true;
    for (const listener of listeners) listener();
    return status.code;
  });
  const send = (signal: Deno.Signal) => {
    try {
      child.kill(signal);
    } catch {
      // It has exited already: only its status is left.
    }
  };
  const stop = async (signal: Deno.Signal = "SIGTERM", graceMs = 8000) => {
    if (ended) return await exited;
    send(signal);
    const timer = setTimeout(() => send("SIGKILL"), graceMs);
    try {
      return await exited;
    } finally {
      clearTimeout(timer);
    }
  };
  return {
    pid: child.pid,
    events,
    other,
    exited,
    next(match, options = {}) {
      const from = options.from ?? 0;
      return new Promise((resolve) => {
        const check = () => {
          const found = events.slice(from).find(match);
          if (!found && !ended) return false;
          cleanup();
          resolve(found ?? null);
          return true;
        };
        const timer = setTimeout(() => {
          cleanup();
          resolve(null);
        }, options.timeoutMs ?? 10_000);
        const listener = () => void check();
        const cleanup = () => {
          clearTimeout(timer);
          listeners.delete(listener);
        };
        if (!check()) listeners.add(listener);
      });
    },
    stop,
    signal: send,
    async [Symbol.asyncDispose]() {
      await stop("SIGKILL");
    },
  };
}
