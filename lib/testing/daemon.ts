/**
 * Runs `ups-monitor run` as a child process with JSON logs and lets a test
 * wait for its events. Test support only.
 *
 * @module
 */
import { denoRunArgs } from "../../rig/flags.ts";

/** One JSON log line of the daemon, with its arrival time. */
export interface LoggedEvent {
  /** Monotonic arrival time in the test process, ms. */
  at: number;
  ts: string;
  level: string;
  event: string;
  msg: string;
  [field: string]: unknown;
}

/** A running daemon. */
export interface DaemonProcess extends AsyncDisposable {
  /** Every event so far, in order. */
  readonly events: LoggedEvent[];
  /** Lines of stderr that were not JSON. */
  readonly other: string[];
  /** The child process. */
  readonly child: Deno.ChildProcess;
  /**
   * Waits for the first event after index `from` that matches.
   *
   * @throws {Error} After `timeoutMs`, listing the events seen.
   */
  waitFor(
    match: (event: LoggedEvent) => boolean,
    options?: { from?: number; timeoutMs?: number },
  ): Promise<LoggedEvent>;
  /** Sends a signal and waits for the exit code. */
  stop(signal?: Deno.Signal): Promise<number>;
}

/**
 * Starts the daemon with `--log-format json`.
 *
 * @param args Arguments after `run`, e.g. `["--config", path]`.
 * @param env Extra environment (e.g. PATH with stand-ins).
 * @returns The running daemon.
 */
export function startDaemon(
  args: string[],
  env: Record<string, string> = {},
): DaemonProcess {
  const child = new Deno.Command(Deno.execPath(), {
    args: denoRunArgs(["run", "--log-format", "json", ...args]),
    env: { NO_COLOR: "1", ...env },
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const events: LoggedEvent[] = [];
  const other: string[] = [];
  const listeners = new Set<() => void>();
  const reading = (async () => {
    let rest = "";
    for await (
      const chunk of child.stderr.pipeThrough(new TextDecoderStream())
    ) {
      rest += chunk;
      const lines = rest.split("\n");
      rest = lines.pop() ?? "";
      for (const line of lines) {
        try {
          events.push({ at: performance.now(), ...JSON.parse(line) });
        } catch {
          if (line.trim() !== "") other.push(line);
        }
      }
      for (const listener of listeners) listener();
    }
  })();
  let exited: Promise<number> | null = null;
  const stop = (signal: Deno.Signal = "SIGTERM") => {
    if (!exited) {
      try {
        child.kill(signal);
      } catch {
        // Already gone: only its status is left.
      }
      exited = child.status.then(async (status) => {
        await reading;
        return status.code;
      });
    }
    return exited;
  };
  return {
    events,
    other,
    child,
    waitFor(match, options = {}) {
      const from = options.from ?? 0;
      const timeoutMs = options.timeoutMs ?? 10_000;
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = events.slice(from).find(match);
          if (!found) return false;
          cleanup();
          resolve(found);
          return true;
        };
        const timer = setTimeout(() => {
          cleanup();
          const seen = events.slice(from).map((e) => `${e.event}: ${e.msg}`)
            .join("\n  ");
          reject(
            new Error(
              `No matching event within ${timeoutMs} ms; seen:\n  ${seen}\n${
                other.join("\n")
              }`,
            ),
          );
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          listeners.delete(listener);
        };
        const listener = () => void check();
        if (!check()) listeners.add(listener);
      });
    },
    stop,
    async [Symbol.asyncDispose]() {
      await stop("SIGKILL");
    },
  };
}
