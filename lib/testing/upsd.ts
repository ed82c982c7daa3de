/**
 * A real `upsd` with `dummy-ups` drivers in a temp dir on a free loopback
 * port, for tests and benchmarks (shared/NUT.md §5, §6). Test support only.
 *
 * @module
 */
import { NutClient } from "../nut/client.ts";
import { systemClock } from "../system/clock.ts";
import { MemoryLogger } from "./memory_logger.ts";

const UPSD = "/lib/nut/upsd";
const DUMMY_UPS = "/lib/nut/dummy-ups";
const UPSC = "/usr/bin/upsc";
const INSTALL = "apt-get install nut-server nut-client";

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false; // absent or unreadable: the tests say how to install
  }
}

/** Whether NUT's binaries are installed. */
export const UPSD_PRESENT = exists(UPSD) && exists(DUMMY_UPS) && exists(UPSC);

/** Whether the suite runs in CI, where skipping is not allowed. */
export const IN_CI = Deno.env.get("CI") === "true";

/**
 * `ignore` for tests that need upsd: ignored where it is absent, except in CI
 * (there the test fails). Says once how to install it.
 */
export const IGNORE_WITHOUT_UPSD: boolean = (() => {
  if (UPSD_PRESENT || IN_CI) return false;
  Deno.stderr.writeSync(
    new TextEncoder().encode(
      `upsd is not installed: tests that need it are ignored; install it with "${INSTALL}"\n`,
    ),
  );
  return true;
})();

/** The users every test server has. */
export const USERS = {
  admin: { name: "admin", password: "adminpass" },
  mon: { name: "mon", password: "monpass" },
} as const;

/** Options of {@linkcode startUpsd}. */
export interface UpsdOptions {
  /** UPS name → `.dev` file contents. @default one UPS "dev1" */
  upses?: Record<string, string>;
  /** upsd's stale threshold in s. @default 15 */
  maxAge?: number;
  /** Extra upsd.conf lines. */
  upsdConf?: string;
  /** Extra upsd.users sections, after those of {@linkcode USERS}. */
  usersConf?: string;
  /** Bound of the start-up, in ms. @default 20000 */
  startTimeoutMs?: number;
}

/** The default `.dev` contents: every variable a monitor reads. */
export const DEFAULT_DEV = `ups.status: OL CHRG
ups.mfr: Rig Power
ups.model: Rig 1500
ups.load: 23
battery.charge: 100
battery.charge.low: 20
battery.runtime: 1800
battery.runtime.low: 300
input.voltage: 230.1
input.voltage.nominal: 230
input.transfer.low: 180
input.transfer.high: 260
output.voltage: 230.0
`;

function spawn(program: string, args: string[], env: Record<string, string>) {
  return new Deno.Command(program, {
    args,
    env,
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
}

async function stop(child: Deno.ChildProcess | undefined): Promise<void> {
  if (!child) return;
  try {
    child.kill("SIGKILL");
  } catch {
    // Already exited: only its status is left to collect.
  }
  await child.status;
}

function freePort(): number {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  return listener.addr.port;
}

/**
 * Sends one line to a server and reads one reply line (LIST replies are read
 * up to their END line). Test support: no reuse, short timeout.
 */
export async function query(
  port: number,
  line: string,
  timeoutMs = 2000,
): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  let closed = false;
  const timer = setTimeout(() => {
    closed = true;
    conn.close();
  }, timeoutMs);
  try {
    await conn.write(new TextEncoder().encode(line + "\n"));
    const decoder = new TextDecoder();
    const buffer = new Uint8Array(65536);
    let text = "";
    const list = line.startsWith("LIST");
    while (list ? !/^END LIST/m.test(text) : !text.includes("\n")) {
      const n = await conn.read(buffer);
      if (n === null) break;
      text += decoder.decode(buffer.subarray(0, n), { stream: true });
    }
    return text.trimEnd();
  } finally {
    clearTimeout(timer);
    if (!closed) conn.close();
  }
}

/** A running upsd with its drivers; `await using` stops all and cleans up. */
export class Upsd implements AsyncDisposable {
  /** Loopback address upsd listens on. */
  readonly host = "127.0.0.1";
  /** The port, picked free at start. */
  port = 0;
  /** The temp dir with config, state and `.dev` files. */
  readonly dir: string;
  /** Names of the UPSes served. */
  readonly upses: string[];
  #env: Record<string, string>;
  #upsd: Deno.ChildProcess | undefined;
  #drivers = new Map<string, Deno.ChildProcess>();
  #options: UpsdOptions;
  #root = Deno.uid() === 0;

  /** Use {@linkcode startUpsd}. */
  constructor(dir: string, options: UpsdOptions) {
    this.dir = dir;
    this.#options = options;
    this.upses = Object.keys(options.upses ?? { dev1: "" });
    this.#env = {
      "NUT_CONFPATH": dir,
      "NUT_STATEPATH": `${dir}/s`,
      "NUT_ALTPIDPATH": `${dir}/s`,
      "PATH": "/usr/bin:/bin",
    };
  }

  /** `ups@127.0.0.1:port`, as upsc takes it. */
  target(ups = this.upses[0]!): string {
    return `${ups}@${this.host}:${this.port}`;
  }

  /**
   * A client logged in as the admin user (SET, FSD, instant commands), for
   * tests that drive the UPS. Dispose it with `await using`.
   *
   * @returns The client.
   */
  adminClient(): NutClient {
    return new NutClient({
      address: this.address(),
      username: USERS.admin.name,
      password: USERS.admin.password,
      clock: systemClock,
      logger: new MemoryLogger(),
    });
  }

  /** The address for a client config. */
  address(ups = this.upses[0]!): { ups: string; host: string; port: number } {
    return { ups, host: this.host, port: this.port };
  }

  /** Writes the configuration and starts drivers, then upsd. */
  async start(): Promise<void> {
    const o = this.#options;
    await Deno.mkdir(`${this.dir}/s`, { mode: 0o770 });
    const upses = o.upses ?? { dev1: DEFAULT_DEV };
    let upsConf = "maxretry = 3\n";
    for (const [name, dev] of Object.entries(upses)) {
      await Deno.writeTextFile(`${this.dir}/${name}.dev`, dev);
      upsConf += `[${name}]\n  driver = dummy-ups\n  port = ${name}.dev\n` +
        `  mode = dummy-once\n  desc = "Test UPS ${name}"\n  pollinterval = 1\n`;
    }
    await Deno.writeTextFile(`${this.dir}/ups.conf`, upsConf);
    await Deno.writeTextFile(
      `${this.dir}/upsd.users`,
      `[admin]\n  password = ${USERS.admin.password}\n  actions = SET FSD\n` +
        `  instcmds = ALL\n  upsmon primary\n` +
        `[mon]\n  password = ${USERS.mon.password}\n  upsmon secondary\n` +
        (o.usersConf ?? ""),
      { mode: 0o640 },
    );
    for (const name of this.upses) this.startDriver(name);
    await this.#waitForSockets();
    await this.restartUpsd();
  }

  /** Starts (or restarts) the driver of a UPS. */
  startDriver(ups: string): void {
    const args = ["-a", ups, "-F", ...(this.#root ? ["-u", "root"] : [])];
    this.#drivers.set(ups, spawn(DUMMY_UPS, args, this.#env));
  }

  /** Sends a signal to a driver: `SIGSTOP` makes it stale, `SIGCONT` revives it. */
  signalDriver(ups: string, signal: Deno.Signal): void {
    this.#drivers.get(ups)?.kill(signal);
  }

  /** Sends a signal to upsd: `SIGSTOP` leaves every request hanging, `SIGCONT` answers them. */
  signalUpsd(signal: Deno.Signal): void {
    this.#upsd?.kill(signal);
  }

  /** Kills a driver and waits for its exit: upsd then reports DRIVER-NOT-CONNECTED. */
  async killDriver(ups: string): Promise<void> {
    await stop(this.#drivers.get(ups));
    this.#drivers.delete(ups);
    await Deno.remove(`${this.dir}/s/dummy-ups-${ups}`).catch(() => {
      // The driver may have removed its socket itself.
    });
  }

  /** Stops upsd (if running) and starts it again on the same port when possible. */
  async restartUpsd(): Promise<void> {
    await this.stopUpsd();
    const deadlineAt = Date.now() + (this.#options.startTimeoutMs ?? 20_000);
    for (let attempt = 0;; attempt++) {
      if (this.port === 0 || attempt > 0) this.port = freePort();
      await Deno.writeTextFile(
        `${this.dir}/upsd.conf`,
        `LISTEN 127.0.0.1 ${this.port}\nMAXAGE ${
          this.#options.maxAge ?? 15
        }\n` +
          (this.#options.upsdConf ?? ""),
      );
      const args = ["-F", ...(this.#root ? ["-u", "root"] : [])];
      this.#upsd = spawn(UPSD, args, this.#env);
      if (await this.#waitReady(deadlineAt)) return;
      await this.stopUpsd();
      if (Date.now() > deadlineAt) {
        throw new Error(`Cannot start upsd in "${this.dir}": it is not ready`);
      }
    }
  }

  /** Stops upsd and waits for its exit. */
  async stopUpsd(): Promise<void> {
    await stop(this.#upsd);
    this.#upsd = undefined;
  }

  /** Waits until every UPS answers `ups.status` with data, not ERR or WAIT. */
  async waitForData(ups: string, timeoutMs = 15_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (Date.now() < end) {
      const reply = await query(this.port, `GET VAR ${ups} ups.status`)
        .catch(() => "");
      if (reply.startsWith("VAR ") && !/"(FSD )?WAIT"$/.test(reply)) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(
      `Cannot start UPS "${ups}": no data within ${timeoutMs} ms`,
    );
  }

  /** Runs `upsc` with the given arguments and returns its stdout. */
  async upsc(...args: string[]): Promise<string> {
    const output = await new Deno.Command(UPSC, {
      args,
      env: this.#env,
      stdout: "piped",
      stderr: "null",
    }).output();
    return new TextDecoder().decode(output.stdout);
  }

  async #waitForSockets(): Promise<void> {
    const end = Date.now() + 10_000;
    for (const ups of this.upses) {
      while (!exists(`${this.dir}/s/dummy-ups-${ups}`)) {
        if (Date.now() > end) {
          throw new Error(`Cannot start dummy-ups for "${ups}": no socket`);
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
  }

  async #waitReady(deadlineAt: number): Promise<boolean> {
    const upsd = this.#upsd!;
    let exited = false;
    upsd.status.then(() => exited = true);
    while (Date.now() < deadlineAt && !exited) {
      const ok = await query(this.port, "NETVER", 500).then(
        (reply) => reply === "1.3",
        () => false,
      );
      if (ok) {
        for (const ups of this.upses) {
          await this.waitForData(ups, deadlineAt - Date.now());
        }
        return true;
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return false; // it exited, most likely on a port taken meanwhile
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stopUpsd();
    await Promise.all([...this.#drivers.values()].map(stop));
    this.#drivers.clear();
    await Deno.remove(this.dir, { recursive: true });
  }
}

/**
 * Starts upsd with dummy-ups drivers in a fresh temp dir.
 *
 * @param options UPSes, MAXAGE and limits.
 * @returns The running server; dispose it to stop everything.
 * @throws {Error} When NUT is not installed or does not start.
 */
export async function startUpsd(options: UpsdOptions = {}): Promise<Upsd> {
  if (!UPSD_PRESENT) {
    throw new Error(
      `Cannot start upsd: "${UPSD}" is not installed; install it with "${INSTALL}"`,
    );
  }
  // Short: driver sockets live under it, and Unix sockets allow ~108 bytes.
  const dir = await Deno.makeTempDir({ dir: "/tmp", prefix: "nut" });
  const upsd = new Upsd(dir, options);
  try {
    await upsd.start();
  } catch (error) {
    await upsd[Symbol.asyncDispose]();
    throw error;
  }
  return upsd;
}
