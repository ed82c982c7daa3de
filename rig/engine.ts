/**
 * The engines the rig runs its servers with: podman or docker (containers,
 * auto-detected in that order) or "native" (NUT from the host's packages).
 * Every difference between podman and docker lives in this file; every child
 * process goes through the runner of `lib/system/exec.ts`.
 *
 * @module
 */

import { errorMessage } from "../lib/errors.ts";
import {
  createRunner,
  type ExecResult,
  formatCommand,
  type Runner,
} from "../lib/system/exec.ts";
import type { Logger } from "../lib/system/log.ts";
import { SILENT_LOGGER } from "../lib/system/log.ts";

export type { ExecResult, Logger, Runner };

/** An engine the rig can use. */
export type EngineName = "podman" | "docker" | "native";

/** What `--engine` accepts: a name, or `"auto"` (podman, then docker). */
export type EngineChoice = EngineName | "auto";

/** Every engine name, for command-line validation. */
export const ENGINE_NAMES: readonly EngineName[] = [
  "podman",
  "docker",
  "native",
];

/** Label put on every container the rig starts (value: `nut` or `nas`). */
export const RIG_LABEL = "ups-monitor-rig";

/** Default timeout of one engine command, in ms. */
const COMMAND_TIMEOUT_MS = 60_000;

export { EngineUnavailableError, RigCommandError } from "./engine_errors.ts";
import { EngineUnavailableError, RigCommandError } from "./engine_errors.ts";

/** Options of one {@linkcode Engine.command} call. */
export interface CommandOptions {
  /** Milliseconds until the command is killed. @default 60000 */
  timeoutMs?: number;
  /** Bytes of output kept per stream. @default 4194304 */
  maxOutputBytes?: number;
}

/**
 * How to install what an engine needs on Debian.
 *
 * @param name The engine.
 * @returns A command or instruction, for error messages.
 */
export function installHint(name: EngineName): string {
  return name === "native"
    ? "apt-get install nut-server nut-client"
    : name === "podman"
    ? "apt-get install podman runc debootstrap iptables"
    : "install Docker Engine (https://docs.docker.com/engine/install/) and apt-get install debootstrap iptables";
}

/**
 * One engine with the runner its commands go through. Container engines add
 * the flags this host needs to every `run` and `build`.
 */
export class Engine {
  /** Which engine this is. */
  readonly name: EngineName;
  /** The runner every child process of the rig goes through. */
  readonly runner: Runner;
  /** Extra flags of `run` (OCI runtime, ulimits); empty for native. */
  readonly runFlags: readonly string[];
  /** Extra flags of `build`; empty for native. */
  readonly buildFlags: readonly string[];

  /**
   * Use {@linkcode detectEngine}, which checks that the engine works.
   *
   * @param name The engine.
   * @param runner The runner for its commands.
   */
  constructor(name: EngineName, runner: Runner) {
    this.name = name;
    this.runner = runner;
    // Low ulimits: rootful podman here cannot raise them past the host's.
    const ulimits = [
      "--ulimit",
      "nofile=1024:1024",
      "--ulimit",
      "nproc=1024:1024",
    ];
    const runtime = name === "podman" ? podmanRuntime() : undefined;
    const runtimeFlags = runtime ? ["--runtime", runtime] : [];
    this.runFlags = name === "native" ? [] : [...runtimeFlags, ...ulimits];
    this.buildFlags = this.runFlags;
  }

  /** Whether this engine runs containers. */
  get containers(): boolean {
    return this.name !== "native";
  }

  /**
   * The reference under which a locally built or imported image is found:
   * podman stores unqualified names under `localhost/`.
   *
   * @param nameAndTag E.g. `ups-monitor-rig-nut:0123abcd`.
   * @returns The reference to use in `run`, `build` and `FROM`.
   */
  localRef(nameAndTag: string): string {
    return this.name === "podman" ? `localhost/${nameAndTag}` : nameAndTag;
  }

  /**
   * Runs a host program and returns its result whatever the exit code.
   *
   * @param program Program name or path.
   * @param args Its arguments.
   * @param options Timeout and output limit.
   * @returns The outcome.
   * @throws {SpawnError} When the program cannot be started.
   */
  exec(
    program: string,
    args: readonly string[],
    options: CommandOptions = {},
  ): Promise<ExecResult> {
    return this.runner.run(program, args, {
      kind: "action",
      timeoutMs: options.timeoutMs ?? COMMAND_TIMEOUT_MS,
      maxOutputBytes: options.maxOutputBytes ?? 4 * 1024 * 1024,
    });
  }

  /**
   * Runs a host program and requires exit code 0.
   *
   * @param what What it does, for the error: `build the NUT image`.
   * @param program Program name or path.
   * @param args Its arguments.
   * @param options Timeout and output limit.
   * @returns Its stdout.
   * @throws {RigCommandError} When it fails or times out.
   * @throws {SpawnError} When the program cannot be started.
   */
  async command(
    what: string,
    program: string,
    args: readonly string[],
    options: CommandOptions = {},
  ): Promise<string> {
    const result = await this.exec(program, args, options);
    if (result.code !== 0 || result.timedOut) {
      throw new RigCommandError(what, formatCommand(program, args), result);
    }
    return result.stdout;
  }

  /**
   * Runs the engine's CLI (`podman …` / `docker …`) and requires success.
   *
   * @param what What it does, for the error.
   * @param args Arguments of the CLI.
   * @param options Timeout and output limit.
   * @returns Its stdout.
   * @throws {TypeError} On the native engine.
   * @throws {RigCommandError} When it fails or times out.
   */
  cli(
    what: string,
    args: readonly string[],
    options: CommandOptions = {},
  ): Promise<string> {
    return this.command(what, this.#program(), args, options);
  }

  /**
   * Runs the engine's CLI and returns the outcome whatever the exit code.
   *
   * @param args Arguments of the CLI.
   * @param options Timeout and output limit.
   * @returns The outcome.
   * @throws {TypeError} On the native engine.
   */
  cliResult(
    args: readonly string[],
    options: CommandOptions = {},
  ): Promise<ExecResult> {
    return this.exec(this.#program(), args, options);
  }

  /**
   * Whether an image exists locally.
   *
   * @param ref Image reference.
   * @returns `true` when `image inspect` finds it.
   */
  async hasImage(ref: string): Promise<boolean> {
    const result = await this.cliResult(["image", "inspect", ref], {
      timeoutMs: 30_000,
    });
    return result.code === 0;
  }

  /**
   * Starts a detached container with one port published on a free loopback
   * port; retries with another port when the chosen one was taken meanwhile.
   *
   * @param spec Name, image, label value, container port and arguments.
   * @returns The container's id and the published host port.
   * @throws {RigCommandError} When the container does not start.
   */
  async runContainer(
    spec: ContainerSpec,
  ): Promise<{ id: string; port: number }> {
    for (let attempt = 1;; attempt++) {
      const port = freeLoopbackPort();
      const args = [
        "run",
        "--detach",
        "--name",
        spec.name,
        "--label",
        `${RIG_LABEL}=${spec.role}`,
        ...this.runFlags,
        "--publish",
        `127.0.0.1:${port}:${spec.containerPort}`,
        spec.image,
        ...spec.args,
      ];
      const result = await this.cliResult(args, { timeoutMs: 120_000 });
      if (result.code === 0 && !result.timedOut) {
        return { id: result.stdout.trim(), port };
      }
      await this.removeContainer(spec.name);
      const taken = /address already in use|port is already allocated/i;
      if (attempt >= 5 || !taken.test(result.stderr)) {
        throw new RigCommandError(
          `start the container "${spec.name}"`,
          formatCommand(this.#program(), args),
          result,
        );
      }
    }
  }

  /**
   * Removes a container, running or not; a missing one is not an error.
   *
   * @param name Container name or id.
   * @returns When it is gone.
   */
  async removeContainer(name: string): Promise<void> {
    // Unpause first: docker cannot stop a paused container gracefully.
    await this.cliResult(["unpause", name], { timeoutMs: 30_000 });
    await this.cliResult(["stop", "--time", "5", name], { timeoutMs: 30_000 });
    await this.cliResult(["rm", "--force", name], { timeoutMs: 30_000 });
  }

  /**
   * The host pid of a container's first process, for `nsenter`.
   *
   * @param name Container name or id.
   * @returns The pid.
   * @throws {RigCommandError} When the container does not run.
   */
  async containerPid(name: string): Promise<number> {
    const out = await this.cli(`find the process of "${name}"`, [
      "inspect",
      "--format",
      "{{.State.Pid}}",
      name,
    ]);
    const pid = Number(out.trim());
    if (!Number.isSafeInteger(pid) || pid <= 0) {
      throw new Error(
        `Cannot find the process of "${name}": it is not running`,
      );
    }
    return pid;
  }

  /**
   * The container's output so far (stdout, then stderr).
   *
   * @param name Container name or id.
   * @returns The text; empty when the container is gone.
   */
  async logs(name: string): Promise<string> {
    const result = await this.cliResult(["logs", name], { timeoutMs: 30_000 });
    return result.stdout + result.stderr;
  }

  #program(): string {
    if (this.name === "native") {
      throw new TypeError("Cannot run a container with the native engine");
    }
    return this.name;
  }
}

/** What {@linkcode Engine.runContainer} starts. */
export interface ContainerSpec {
  /** Container name, unique on the host. */
  name: string;
  /** Image reference. */
  image: string;
  /** Value of the {@linkcode RIG_LABEL} label: `nut` or `nas`. */
  role: string;
  /** The port inside the container to publish on 127.0.0.1. */
  containerPort: number;
  /** Arguments for the image's entrypoint. */
  args: readonly string[];
}

/** Options of {@linkcode detectEngine}. */
export interface DetectOptions {
  /** Receives the runner's `exec.*` events. @default no logging */
  logger?: Logger;
  /** Runner to use instead of a new one. */
  runner?: Runner;
}

/**
 * Finds a working engine: the one asked for, or with `"auto"` podman, then
 * docker (a docker CLI without a reachable daemon does not count).
 *
 * @param choice The engine, or `"auto"`.
 * @param options Logger or runner.
 * @returns The engine, checked to work.
 * @throws {TypeError} When the given runner is a dry-run runner.
 * @throws {EngineUnavailableError} When it (or, for auto, every container
 *   engine) is unusable; the message has the reason and an install command.
 */
export async function detectEngine(
  choice: EngineChoice = "auto",
  options: DetectOptions = {},
): Promise<Engine> {
  const runner = options.runner ??
    createRunner({ logger: options.logger ?? SILENT_LOGGER, dryRun: false });
  if (runner.dryRun) {
    throw new TypeError(
      "Cannot drive the rig with a dry-run runner: its commands must run",
    );
  }
  const candidates: EngineName[] = choice === "auto"
    ? ["podman", "docker"]
    : [choice];
  const reasons: string[] = [];
  for (const name of candidates) {
    const reason = await unusable(name, runner);
    if (reason === null) return new Engine(name, runner);
    reasons.push(`${name}: ${reason}`);
  }
  const hint = candidates.map((name) => `"${installHint(name)}"`).join(" or ");
  throw new EngineUnavailableError(
    `Cannot find a usable ${
      choice === "auto" ? "container engine" : `"${choice}" engine`
    } (${reasons.join("; ")}); install one: ${hint}`,
  );
}

/** Why an engine cannot be used here, or `null` when it can. */
async function unusable(
  name: EngineName,
  runner: Runner,
): Promise<string | null> {
  if (name === "native") {
    const missing = ["/lib/nut/upsd", "/lib/nut/dummy-ups", "/bin/bash"]
      .filter((path) => !isFile(path));
    return missing.length === 0 ? null : `"${missing.join('", "')}" not found`;
  }
  const format = name === "podman"
    ? "{{.Host.OCIRuntime.Name}}"
    : "{{.ServerVersion}}";
  try {
    const result = await runner.run(name, ["info", "--format", format], {
      kind: "query",
      timeoutMs: 30_000,
    });
    if (result.code === 0) return null;
    const line = result.stderr.trim().split("\n").at(-1) ?? "";
    return `"${name} info" failed${line ? `: ${line}` : ""}`;
  } catch (error) {
    return errorMessage(error);
  }
}

/**
 * The OCI runtime for podman: `UPS_RIG_OCI_RUNTIME` when set; else `runc`
 * on hosts without a pure cgroup v2 hierarchy (crun fails on hybrid
 * cgroups), when runc is installed; else podman's default.
 */
function podmanRuntime(): string | undefined {
  const fromEnv = Deno.env.get("UPS_RIG_OCI_RUNTIME");
  if (fromEnv) return fromEnv;
  const unified = isFile("/sys/fs/cgroup/cgroup.controllers");
  const runc = ["/usr/sbin/runc", "/usr/bin/runc"].some(isFile);
  return !unified && runc ? "runc" : undefined;
}

function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false; // absent or unreadable: not usable either way
  }
}

/**
 * A loopback port that was free a moment ago (bind port 0, read, close).
 * Callers retry with another one when a bind then fails.
 *
 * @returns The port number.
 */
export function freeLoopbackPort(): number {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  return listener.addr.port;
}
