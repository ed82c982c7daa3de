/**
 * The rig's NAS stand-in: a container with a real sshd (key authentication
 * only), the user `nas-admin` whose sudoers rule allows exactly
 * `/usr/syno/sbin/synoshutdown -s`, and a fake `synoshutdown` that records
 * each run. The handle generates the client key, writes a known_hosts file
 * with the container's fresh host key, and reads the recorded calls back.
 *
 * @module
 */

import { errorMessage } from "../lib/errors.ts";
import { join } from "node:path";
import type { Engine } from "./engine.ts";
import { ensureImages, type RigImages } from "./image.ts";

/** The login user on the NAS. */
export const NAS_USER = "nas-admin";
/** The command a remote shutdown step runs (DESIGN.md, shutdown sequence). */
export const NAS_SHUTDOWN_COMMAND = [
  "sudo",
  "-n",
  "/usr/syno/sbin/synoshutdown",
  "-s",
] as const;

const CALLS_FILE = "/var/lib/synoshutdown/calls.log";
const HOST_KEY_FILE = "/etc/ssh/ssh_host_ed25519_key";
const HOST_KEY = `${HOST_KEY_FILE}.pub`;

/** One recorded run of the fake `synoshutdown`. */
export interface ShutdownCall {
  /** When it ran, in ms since the Unix epoch (the container's clock). */
  timeMs: number;
  /** The uid it ran as (0 through sudo). */
  uid: number;
  /** `SUDO_USER`, empty when not run through sudo. */
  sudoUser: string;
  /** Its arguments, e.g. `["-s"]`. */
  args: string[];
}

/** Options of {@linkcode startNas}. */
export interface NasOptions {
  /** A container engine (podman or docker). */
  engine: Engine;
  /** Images to use. @default those of `ensureImages(engine)` */
  images?: RigImages;
  /** Leave the container and key directory behind. @default false */
  keep?: boolean;
  /** Bound of the start, in ms, until sshd answers. @default 60000 */
  startTimeoutMs?: number;
}

/** A running NAS stand-in; `await using` removes it and its keys. */
export interface Nas extends AsyncDisposable {
  /** Always `127.0.0.1`. */
  readonly host: string;
  /** The published loopback port of sshd. */
  readonly port: number;
  /** The login user, {@linkcode NAS_USER}. */
  readonly user: string;
  /** The private key that `nas-admin` accepts (ed25519, no passphrase). */
  readonly identityFile: string;
  /** A known_hosts file with the NAS's host key for `[127.0.0.1]:port`. */
  readonly knownHostsFile: string;
  /** Container name. */
  readonly name: string;
  /** Container id. */
  readonly id: string;
  /** ms from the start command until sshd sent its banner. */
  readonly startupMs: number;
  /**
   * Arguments for `ssh` that log in as `nas-admin` with key authentication
   * only, strict host key checking and a connect timeout.
   *
   * @param options `knownHostsFile` to check against another file.
   * @returns Options and destination, to be followed by the remote command.
   */
  sshArgs(options?: { knownHostsFile?: string }): string[];
  /** The runs of `synoshutdown` so far, oldest first. */
  shutdownCalls(): Promise<ShutdownCall[]>;
  /** Freezes the container: TCP is accepted, nothing answers. */
  pause(): Promise<void>;
  /** Ends {@linkcode Nas.pause}. */
  unpause(): Promise<void>;
  /** sshd's output so far. */
  logs(): Promise<string>;
  /**
   * Replaces the NAS's ed25519 host key, as a reinstalled NAS does. sshd
   * re-executes itself for each connection and so loads the new key for
   * the next one, without a signal; {@linkcode Nas.knownHostsFile} keeps the
   * old key, so ssh with it fails host key verification from then on.
   *
   * @returns The new public key, `ssh-ed25519 AAAA…`.
   * @throws {RigCommandError} When a command in the container fails.
   */
  rekey(): Promise<string>;
}

/**
 * Generates a client key, starts the NAS container and writes the
 * known_hosts file once sshd answers.
 *
 * @param options The engine and images.
 * @returns The running NAS.
 * @throws {TypeError} For the native engine.
 * @throws {RigCommandError} When ssh-keygen, a build or the start fails.
 * @throws {Error} When sshd does not answer within `startTimeoutMs`.
 */
export async function startNas(options: NasOptions): Promise<Nas> {
  const { engine, keep = false } = options;
  if (!engine.containers) {
    throw new TypeError(
      'Cannot start the NAS on the "native" engine: it needs podman or docker',
    );
  }
  const images = options.images ?? (await ensureImages(engine)).images;
  const dir = await Deno.makeTempDir({ prefix: "ups-monitor-rig-nas-" });
  const identityFile = join(dir, "id_ed25519");
  const knownHostsFile = join(dir, "known_hosts");
  const name = `ups-monitor-rig-nas-${crypto.randomUUID().slice(0, 8)}`;
  let started = false;
  try {
    await engine.command("generate the NAS client key", "ssh-keygen", [
      "-q",
      "-t",
      "ed25519",
      "-N",
      "",
      "-C",
      "ups-monitor-rig",
      "-f",
      identityFile,
    ], { timeoutMs: 30_000 });
    const publicKey = (await Deno.readTextFile(`${identityFile}.pub`)).trim();
    const begin = performance.now();
    const { id, port } = await engine.runContainer({
      name,
      image: images.nas,
      role: "nas",
      containerPort: 22,
      args: [publicKey],
    });
    started = true;
    await waitForBanner(port, options.startTimeoutMs ?? 60_000);
    const startupMs = Math.round(performance.now() - begin);
    const hostKey = await engine.cli(`read the host key of "${name}"`, [
      "exec",
      name,
      "cat",
      HOST_KEY,
    ]);
    const [type, key] = hostKey.trim().split(/\s+/);
    await Deno.writeTextFile(
      knownHostsFile,
      `[127.0.0.1]:${port} ${type} ${key}\n`,
    );
    return new Container(engine, {
      port,
      identityFile,
      knownHostsFile,
      name,
      id,
      startupMs,
      dir,
      keep,
    });
  } catch (error) {
    if (started && !keep) await engine.removeContainer(name);
    if (!keep) await Deno.remove(dir, { recursive: true });
    throw error;
  }
}

/** Waits until the port sends an SSH identification line. */
async function waitForBanner(port: number, timeoutMs: number): Promise<void> {
  const end = performance.now() + timeoutMs;
  let last = "no reply";
  while (performance.now() < end) {
    try {
      const banner = await readBanner(port);
      if (banner.startsWith("SSH-2.0-")) return;
      last = `unexpected banner "${banner}"`;
    } catch (error) {
      last = errorMessage(error);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(
    `Cannot reach sshd of the NAS on "127.0.0.1:${port}" within ${timeoutMs} ms: ${last}`,
  );
}

async function readBanner(port: number): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const timer = setTimeout(() => conn.close(), 2000);
  try {
    const buffer = new Uint8Array(256);
    const n = await conn.read(buffer);
    return n === null ? "" : new TextDecoder().decode(buffer.subarray(0, n));
  } finally {
    clearTimeout(timer);
    try {
      conn.close();
    } catch {
      // Closed by the timer already.
    }
  }
}

interface State {
  port: number;
  identityFile: string;
  knownHostsFile: string;
  name: string;
  id: string;
  startupMs: number;
  dir: string;
  keep: boolean;
}

class Container implements Nas {
  readonly host = "127.0.0.1";
  readonly user = NAS_USER;
  readonly port: number;
  readonly identityFile: string;
  readonly knownHostsFile: string;
  readonly name: string;
  readonly id: string;
  readonly startupMs: number;
  #engine: Engine;
  #state: State;

  constructor(engine: Engine, state: State) {
    this.#engine = engine;
    this.#state = state;
    this.port = state.port;
    this.identityFile = state.identityFile;
    this.knownHostsFile = state.knownHostsFile;
    this.name = state.name;
    this.id = state.id;
    this.startupMs = state.startupMs;
  }

  sshArgs(options: { knownHostsFile?: string } = {}): string[] {
    const knownHosts = options.knownHostsFile ?? this.knownHostsFile;
    return [
      "-i",
      this.identityFile,
      "-p",
      String(this.port),
      "-o",
      "BatchMode=yes",
      "-o",
      "IdentitiesOnly=yes",
      "-o",
      "StrictHostKeyChecking=yes",
      "-o",
      `UserKnownHostsFile=${knownHosts}`,
      "-o",
      "GlobalKnownHostsFile=/dev/null",
      "-o",
      "ConnectTimeout=5",
      `${this.user}@${this.host}`,
    ];
  }

  async shutdownCalls(): Promise<ShutdownCall[]> {
    const text = await this.#engine.cli(
      `read the shutdown calls of "${this.name}"`,
      ["exec", this.name, "cat", CALLS_FILE],
    );
    return text.split("\n").filter((line) => line !== "").map((line) => {
      const [time, uid, sudoUser, ...args] = line.split("\t");
      return {
        timeMs: Number(time),
        uid: Number(uid),
        sudoUser: sudoUser ?? "",
        args,
      };
    });
  }

  async pause(): Promise<void> {
    await this.#engine.cli(`pause "${this.name}"`, ["pause", this.name]);
  }

  async unpause(): Promise<void> {
    await this.#engine.cli(`unpause "${this.name}"`, ["unpause", this.name]);
  }

  logs(): Promise<string> {
    return this.#engine.logs(this.name);
  }

  async rekey(): Promise<string> {
    const fresh = `${HOST_KEY_FILE}.rekey`;
    const inside = (what: string, command: readonly string[]) =>
      this.#engine.cli(`${what} in "${this.name}"`, [
        "exec",
        this.name,
        ...command,
      ]);
    await inside("remove a stale new host key", [
      "rm",
      "-f",
      fresh,
      `${fresh}.pub`,
    ]);
    await inside("generate a new host key", [
      "ssh-keygen",
      "-q",
      "-t",
      "ed25519",
      "-N",
      "",
      "-C",
      "rig-nas-rekeyed",
      "-f",
      fresh,
    ]);
    // rename(2) swaps the private key at once: a connection in between
    // loads the old key or the new one, never none. sshd serves the public
    // half of the private key file (a stale .pub only makes it log "Public
    // key ... does not match private key"), so the .pub file may follow.
    await inside("install the new host key", [
      "mv",
      "-f",
      fresh,
      HOST_KEY_FILE,
    ]);
    await inside("install the new public host key", [
      "mv",
      "-f",
      `${fresh}.pub`,
      HOST_KEY,
    ]);
    const [type, key] =
      (await inside("read the new host key", ["cat", HOST_KEY]))
        .trim().split(/\s+/);
    return `${type} ${key}`;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (this.#state.keep) return;
    await this.#engine.removeContainer(this.name);
    await Deno.remove(this.#state.dir, { recursive: true });
  }
}
