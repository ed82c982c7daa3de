/**
 * The rig's NUT server as host processes (the "native" engine), supervised
 * by the same entrypoint script as the container. Folder-private; the API is
 * `nut_server.ts`.
 *
 * @module
 */

import { errorMessage } from "../lib/errors.ts";
import { type Engine, freeLoopbackPort } from "./engine.ts";
import { type Config, describe, Server } from "./_nut_base.ts";

const ENTRYPOINT = new URL("./entrypoint.sh", import.meta.url).pathname;

/** The server as host processes, supervised by the same entrypoint script. */
export class NativeServer extends Server {
  readonly engine = "native" as const;
  #engine: Engine;
  #dir = "";
  #child: Deno.ChildProcess | undefined;
  #stderr = "";
  #stderrDone: Promise<void> = Promise.resolve();

  private constructor(engine: Engine, config: Config) {
    super(config);
    this.#engine = engine;
  }

  static async start(engine: Engine, config: Config, args: string[]) {
    const server = new NativeServer(engine, config);
    // Short: driver sockets live under it, and socket paths allow ~108 bytes.
    server.#dir = await Deno.makeTempDir({ dir: "/tmp", prefix: "rig" });
    server.name = server.#dir.slice("/tmp/".length);
    for (let attempt = 1;; attempt++) {
      const started = performance.now();
      server.port = freeLoopbackPort();
      server.#spawn(args);
      try {
        await server.waitForData(undefined, config.startTimeoutMs);
        server.startupMs = Math.round(performance.now() - started);
        return server;
      } catch (error) {
        // upsd exits when its port was taken meanwhile: try another one.
        const status = await server.ctl("status").catch(() => "");
        const portTaken = /^upsd - stopped/m.test(status) && attempt < 5;
        const logs = portTaken ? "" : await server.logs();
        await server.#stop();
        if (portTaken) continue;
        if (!config.keep) await Deno.remove(server.#dir, { recursive: true });
        throw new Error(
          `${errorMessage(error)}; server output:\n${logs}`,
          {
            cause: error,
          },
        );
      }
    }
  }

  #spawn(args: string[]): void {
    const child = new Deno.Command("bash", {
      args: [
        ENTRYPOINT,
        "serve",
        "--dir",
        this.#dir,
        "--listen",
        "127.0.0.1",
        "--port",
        String(this.port),
        ...args,
      ],
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    this.#child = child;
    this.id = String(child.pid);
    this.#stderrDone = (async () => {
      const decoder = new TextDecoder();
      for await (const chunk of child.stderr) {
        this.#stderr += decoder.decode(chunk, { stream: true });
      }
    })();
  }

  async #stop(): Promise<void> {
    const child = this.#child;
    if (!child) return;
    this.#child = undefined;
    try {
      child.kill("SIGTERM"); // the supervisor stops upsd and the drivers
    } catch {
      // TypeError: it has exited already; only its status is left.
    }
    const timer = setTimeout(() => {
      try {
        child.kill("SIGKILL");
      } catch {
        // It exited just now.
      }
    }, 10_000);
    await child.status;
    clearTimeout(timer);
    await this.#stderrDone;
  }

  protected ctl(action: string, ups?: string): Promise<string> {
    return this.#engine.command(describe(action, ups, this.#dir), "bash", [
      ENTRYPOINT,
      "ctl",
      "--dir",
      this.#dir,
      action,
      ...(ups === undefined ? [] : [ups]),
    ], { timeoutMs: 30_000 });
  }

  async pause(): Promise<void> {
    await this.ctl("freeze-all");
  }

  async unpause(): Promise<void> {
    await this.ctl("thaw-all");
  }

  linkDown(): Promise<void> {
    return Promise.reject(
      new Error(
        'Cannot take the link down on the "native" engine: its upsd has no network namespace of its own; use "podman" or "docker"',
      ),
    );
  }

  linkUp(): Promise<void> {
    return this.linkDown();
  }

  async logs(): Promise<string> {
    const daemons = await Deno.readTextFile(`${this.#dir}/rig.log`).catch(() =>
      ""
    );
    return this.#stderr + daemons;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.#stop();
    if (!this.config.keep) await Deno.remove(this.#dir, { recursive: true });
  }
}
