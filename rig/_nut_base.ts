/**
 * What the rig's NUT servers share on every engine: the raw one-line query,
 * readiness, and the fault actions of the entrypoint's `ctl` command.
 * Folder-private; the API is `nut_server.ts`.
 *
 * @module
 */

import { errorMessage } from "../lib/errors.ts";
import type { Credentials, NutServer } from "./nut_server.ts";
import type { EngineName } from "./engine.ts";

/**
 * Sends one line to upsd and reads one reply line, on a fresh connection.
 *
 * @param port upsd's port on `127.0.0.1`.
 * @param line The request, without the newline.
 * @param timeoutMs Bound of connect plus reply. @default 2000
 * @returns The reply line.
 * @throws {Deno.errors.ConnectionRefused} When nothing listens.
 * @throws {Error} When no full line arrives in time, or on EOF.
 */
export async function queryNut(
  port: number,
  line: string,
  timeoutMs = 2000,
): Promise<string> {
  const abort = new AbortController();
  let conn: Deno.TcpConn | undefined;
  const timer = setTimeout(() => {
    abort.abort(
      new Error(`Cannot query upsd: no reply within ${timeoutMs} ms`),
    );
    conn?.close(); // ends a pending read
    conn = undefined;
  }, timeoutMs);
  try {
    conn = await Deno.connect({
      hostname: "127.0.0.1",
      port,
      signal: abort.signal,
    });
    await conn.write(new TextEncoder().encode(line + "\n"));
    const buffer = new Uint8Array(4096);
    const decoder = new TextDecoder();
    let text = "";
    while (!text.includes("\n")) {
      const n = await conn.read(buffer);
      if (n === null) throw new Error("Cannot query upsd: connection closed");
      text += decoder.decode(buffer.subarray(0, n), { stream: true });
    }
    return text.slice(0, text.indexOf("\n")).trimEnd();
  } catch (error) {
    // Closing on timeout makes the pending call fail: report the timeout.
    throw abort.signal.aborted ? abort.signal.reason : error;
  } finally {
    clearTimeout(timer);
    conn?.close();
  }
}

/** Settings every server keeps. */
export interface Config {
  upses: string[];
  maxAge: number;
  admin: Credentials;
  monitor: Credentials;
  keep: boolean;
  startTimeoutMs: number;
}

const ACTIONS: Record<string, string> = {
  "stop-upsd": "stop upsd",
  "start-upsd": "start upsd",
  "freeze-driver": "freeze the driver of",
  "thaw-driver": "thaw the driver of",
  "kill-driver": "kill the driver of",
  "start-driver": "start the driver of",
  "freeze-all": "freeze",
  "thaw-all": "thaw",
  "status": "read the status of",
};

/** `stop upsd in "x"`, `kill the driver of "ups" in "x"`, for errors. */
export function describe(
  action: string,
  ups: string | undefined,
  where: string,
) {
  const what = ACTIONS[action] ?? action;
  return ups === undefined
    ? `${what}${
      what.endsWith(" of") || !what.includes(" ") ? "" : " in"
    } "${where}"`
    : `${what} "${ups}" in "${where}"`;
}

/**
 * Resolves after `ms` milliseconds.
 *
 * @param ms Delay in milliseconds.
 * @returns When the delay is over.
 */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** What both engines share: readiness, the entrypoint's ctl actions. */
export abstract class Server implements NutServer {
  abstract readonly engine: EngineName;
  readonly host = "127.0.0.1";
  port = 0;
  name = "";
  id = "";
  startupMs = 0;
  readonly upses: readonly string[];
  readonly maxAge: number;
  readonly admin: Credentials;
  readonly monitor: Credentials;
  protected readonly config: Config;

  constructor(config: Config) {
    this.config = config;
    this.upses = config.upses;
    this.maxAge = config.maxAge;
    this.admin = config.admin;
    this.monitor = config.monitor;
  }

  /** Runs `rig-entrypoint ctl ACTION [UPS]` where the server runs. */
  protected abstract ctl(action: string, ups?: string): Promise<string>;
  abstract pause(): Promise<void>;
  abstract unpause(): Promise<void>;
  abstract linkDown(): Promise<void>;
  abstract linkUp(): Promise<void>;
  abstract logs(): Promise<string>;
  abstract [Symbol.asyncDispose](): Promise<void>;

  async stopUpsd(): Promise<void> {
    await this.ctl("stop-upsd");
  }

  async startUpsd(): Promise<void> {
    await this.ctl("start-upsd");
    await this.#until(
      10_000,
      "accept connections",
      async () => {
        const reply = await queryNut(this.port, "NETVER", 1000);
        return reply === "1.3" || `reply "${reply}"`;
      },
    );
  }

  async freezeDriver(ups: string): Promise<void> {
    await this.ctl("freeze-driver", this.#ups(ups));
  }

  async thawDriver(ups: string): Promise<void> {
    await this.ctl("thaw-driver", this.#ups(ups));
  }

  async killDriver(ups: string): Promise<void> {
    await this.ctl("kill-driver", this.#ups(ups));
  }

  async restartDriver(ups: string): Promise<void> {
    await this.ctl("start-driver", this.#ups(ups));
    await this.waitForData(ups);
  }

  async waitForData(ups?: string, timeoutMs = 30_000): Promise<void> {
    const end = performance.now() + timeoutMs;
    for (const name of ups === undefined ? this.upses : [this.#ups(ups)]) {
      await this.#until(
        end - performance.now(),
        `serve data of "${name}"`,
        async () => {
          const reply = await queryNut(
            this.port,
            `GET VAR ${name} ups.status`,
            1000,
          );
          return /^VAR \S+ \S+ "(?!(FSD )?WAIT")/.test(reply) ||
            `reply "${reply}"`;
        },
      );
    }
  }

  /** Retries `ok` until it returns true; otherwise it says what it saw. */
  async #until(
    ms: number,
    what: string,
    ok: () => Promise<true | string>,
  ) {
    const end = performance.now() + ms;
    let last = "no reply";
    while (performance.now() < end) {
      try {
        const outcome = await ok();
        if (outcome === true) return;
        last = outcome;
      } catch (error) {
        last = errorMessage(error);
      }
      await delay(100);
    }
    throw new Error(
      `Cannot ${what} on "${this.host}:${this.port}" within ${
        Math.round(ms)
      } ms: ${last}`,
    );
  }

  #ups(ups: string): string {
    if (!this.upses.includes(ups)) {
      throw new TypeError(
        `Cannot act on UPS "${ups}": the server has no such UPS`,
      );
    }
    return ups;
  }
}
