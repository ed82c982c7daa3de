/**
 * Runs `ups-monitor run` as a child process with JSON logs, exactly as the
 * binary would run (`lib/flags.ts`), and lets a test wait for its events.
 * Test support only.
 *
 * @module
 */
import { denoRunArgs } from "../flags.ts";
import {
  type JsonProcess,
  type LoggedEvent,
  spawnJsonProcess,
} from "./json_process.ts";

export type { LoggedEvent } from "./json_process.ts";

/** A running daemon. */
export interface DaemonProcess extends JsonProcess {
  /**
   * Waits for the first event after index `from` that matches.
   *
   * @throws {Error} After `timeoutMs` or once the daemon ended, listing the events seen.
   */
  waitFor(
    match: (event: LoggedEvent) => boolean,
    options?: { from?: number; timeoutMs?: number },
  ): Promise<LoggedEvent>;
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
  const process = spawnJsonProcess(
    Deno.execPath(),
    denoRunArgs(["run", "--log-format", "json", ...args]),
    env,
  );
  return Object.assign(process, {
    async waitFor(
      match: (event: LoggedEvent) => boolean,
      options: { from?: number; timeoutMs?: number } = {},
    ) {
      const found = await process.next(match, options);
      if (found) return found;
      const seen = process.events.slice(options.from ?? 0).map((e) =>
        `${e.event}: ${e.msg}`
      ).join("\n  ");
      throw new Error(
        `No matching event within ${
          options.timeoutMs ?? 10_000
        } ms; seen:\n  ${seen}\n${process.other.join("\n")}`,
      );
    },
  });
}
