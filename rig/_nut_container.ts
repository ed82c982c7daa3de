/**
 * The rig's NUT server in a container of the NUT image (podman or docker).
 * Folder-private; the API is `nut_server.ts`.
 *
 * @module
 */

import { errorMessage } from "../lib/errors.ts";
import type { Engine, EngineName } from "./engine.ts";
import { type Config, describe, Server } from "./_nut_base.ts";

/** The server in a container of the rig's NUT image. */
export class ContainerServer extends Server {
  readonly engine: EngineName;
  #engine: Engine;
  #linkDown = false;

  private constructor(engine: Engine, config: Config) {
    super(config);
    this.#engine = engine;
    this.engine = engine.name;
  }

  static async start(
    engine: Engine,
    config: Config,
    args: string[],
    image: string,
  ) {
    const server = new ContainerServer(engine, config);
    server.name = `ups-monitor-rig-nut-${crypto.randomUUID().slice(0, 8)}`;
    const started = performance.now();
    const { id, port } = await engine.runContainer({
      name: server.name,
      image,
      role: "nut",
      containerPort: 3493,
      args: ["serve", ...args],
    });
    server.id = id;
    server.port = port;
    try {
      await server.waitForData(undefined, config.startTimeoutMs);
    } catch (error) {
      const logs = (await server.logs()).trim().split("\n").slice(-15).join(
        "\n",
      );
      await server[Symbol.asyncDispose]();
      throw new Error(`${errorMessage(error)}; server output:\n${logs}`, {
        cause: error,
      });
    }
    server.startupMs = Math.round(performance.now() - started);
    return server;
  }

  protected ctl(action: string, ups?: string): Promise<string> {
    return this.#engine.cli(describe(action, ups, this.name), [
      "exec",
      this.name,
      "rig-entrypoint",
      "ctl",
      action,
      ...(ups === undefined ? [] : [ups]),
    ], { timeoutMs: 30_000 });
  }

  async pause(): Promise<void> {
    await this.#engine.cli(`pause "${this.name}"`, ["pause", this.name]);
  }

  async unpause(): Promise<void> {
    await this.#engine.cli(`unpause "${this.name}"`, ["unpause", this.name]);
  }

  // Link down is a DROP rule for everything but loopback, in both directions,
  // inside the container's network namespace (iptables run there through
  // nsenter). Chosen over "ip link set eth0 down" because dropping keeps ARP
  // answering: the host never learns the peer is gone, so an established
  // connection sees pure silence and a new connect() times out, instead of
  // the EHOSTUNREACH a failed neighbour lookup reports after ~3 s; the routes
  // inside the container (default route included) stay untouched, and
  // deleting the two rules restores the link exactly, after which TCP's
  // retransmissions resume the open connections.
  async linkDown(): Promise<void> {
    if (this.#linkDown) return;
    await this.#dropRules("--insert");
    this.#linkDown = true;
  }

  async linkUp(): Promise<void> {
    if (!this.#linkDown) return;
    await this.#dropRules("--delete");
    this.#linkDown = false;
  }

  async #dropRules(op: "--insert" | "--delete"): Promise<void> {
    const pid = String(await this.#engine.containerPid(this.name));
    for (
      const [chain, side] of [["INPUT", "--in-interface"], [
        "OUTPUT",
        "--out-interface",
      ]]
    ) {
      await this.#engine.command(
        `${op === "--insert" ? "drop" : "pass"} the packets of "${this.name}"`,
        "nsenter",
        [
          "--target",
          pid,
          "--net",
          "iptables",
          "--wait",
          op,
          chain!,
          "!",
          side!,
          "lo",
          "--jump",
          "DROP",
        ],
        { timeoutMs: 30_000 },
      );
    }
  }

  logs(): Promise<string> {
    return this.#engine.logs(this.name);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (!this.config.keep) await this.#engine.removeContainer(this.name);
  }
}
