/**
 * A NUT server for the rig: upsd with one dummy-ups driver per UPS, in a
 * container (podman, docker) or as host processes (native), published on a
 * free loopback port, with real faults on demand: a silent server, a link
 * that drops packets, upsd down, a frozen or a dead driver.
 *
 * @module
 */

import type { Engine, EngineName } from "./engine.ts";
import { ensureImages, type RigImages } from "./image.ts";
import { queryNut } from "./_nut_base.ts";
import { ContainerServer } from "./_nut_container.ts";
import { NativeServer } from "./_nut_native.ts";

export { queryNut };

/** A UPS served by dummy-ups. */
export interface UpsSpec {
  /** UPS name (letters, digits, `_`, `.`, `-`). */
  name: string;
  /**
   * Initial values, e.g. `{ "ups.status": "OL", "battery.charge": "100" }`.
   * Declare every variable a scenario will SET: an undeclared one gives
   * `ERR VAR-NOT-SUPPORTED` (shared/NUT.md §6). Printable ASCII only.
   */
  values: Record<string, string>;
  /** `desc` in ups.conf. @default "Rig UPS <name>" */
  description?: string;
}

/** A user of upsd.users. */
export interface Credentials {
  /** User name. */
  username: string;
  /** Password. */
  password: string;
}

/** The default admin: `actions = SET FSD`, `instcmds = ALL`, `upsmon primary`. */
export const ADMIN: Credentials = { username: "admin", password: "adminpass" };
/** The default monitor user: `upsmon secondary`. */
export const MONITOR: Credentials = { username: "mon", password: "monpass" };

/** Options of {@linkcode startNutServer}. */
export interface NutServerOptions {
  /** The engine; see `detectEngine()` in `engine.ts`. */
  engine: Engine;
  /** The UPSes, at least one. */
  upses: readonly UpsSpec[];
  /** upsd's MAXAGE in s (stale threshold). @default 15 */
  maxAge?: number;
  /** The admin user. @default {@linkcode ADMIN} */
  admin?: Credentials;
  /** The monitor user. @default {@linkcode MONITOR} */
  monitor?: Credentials;
  /** Images to use. @default those of `ensureImages(engine)` */
  images?: RigImages;
  /** Leave the container (or temp dir) behind on disposal. @default false */
  keep?: boolean;
  /** Bound of the start, in ms, until every UPS serves data. @default 60000 */
  startTimeoutMs?: number;
}

/** A running NUT server; `await using` removes it. */
export interface NutServer extends AsyncDisposable {
  /** The engine it runs on. */
  readonly engine: EngineName;
  /** Always `127.0.0.1`. */
  readonly host: string;
  /** The published loopback port of upsd. */
  readonly port: number;
  /** Names of the UPSes. */
  readonly upses: readonly string[];
  /** upsd's MAXAGE in s. */
  readonly maxAge: number;
  /** User with SET, FSD, all instcmds and `upsmon primary`. */
  readonly admin: Credentials;
  /** User with `upsmon secondary`. */
  readonly monitor: Credentials;
  /** Container name (native: the name of its private directory). */
  readonly name: string;
  /** Container id (native: the supervisor's pid). */
  readonly id: string;
  /** ms from the start command to the first valid `GET VAR` of every UPS. */
  readonly startupMs: number;
  /** Server silent: freezes every process; TCP is still accepted. */
  pause(): Promise<void>;
  /** Ends {@linkcode NutServer.pause}. */
  unpause(): Promise<void>;
  /**
   * Link down: drops every packet in and out of the server (no RST, no
   * ICMP), so clients time out. Not available on the native engine.
   */
  linkDown(): Promise<void>;
  /** Ends {@linkcode NutServer.linkDown}; connections resume. */
  linkUp(): Promise<void>;
  /** Stops upsd: connections are refused. Latched FSD is forgotten. */
  stopUpsd(): Promise<void>;
  /** Starts upsd again and waits until it accepts connections. */
  startUpsd(): Promise<void>;
  /** SIGSTOPs the UPS's driver: `ERR DATA-STALE` once MAXAGE has passed. */
  freezeDriver(ups: string): Promise<void>;
  /** SIGCONTs the UPS's driver: data is fresh again within ~1 s. */
  thawDriver(ups: string): Promise<void>;
  /** SIGKILLs the UPS's driver: `ERR DRIVER-NOT-CONNECTED` at once. */
  killDriver(ups: string): Promise<void>;
  /** Starts the UPS's driver again and waits until upsd serves its data. */
  restartDriver(ups: string): Promise<void>;
  /**
   * Waits until `GET VAR <ups> ups.status` is a value other than WAIT.
   *
   * @param ups The UPS. @default every UPS
   * @param timeoutMs Bound of the wait. @default 30000
   * @throws {Error} When no data came in time.
   */
  waitForData(ups?: string, timeoutMs?: number): Promise<void>;
  /** The output of upsd and the drivers so far. */
  logs(): Promise<string>;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const VAR = /^[a-z0-9][a-z0-9._]*$/;
const PRINTABLE = /^[\x20-\x7e]*$/;
/**
 * Values the rig serves: printable ASCII without `"`, `\` and `#`. dummy-ups
 * re-sends changed values to upsd unescaped, so those characters are lost
 * or the change is never applied (shared/NUT.md §2.9); a scenario could not
 * SET them reliably, so initial values keep to the same set.
 */
const SERVABLE = /^[\x20-\x7e]*$/;
const UNSERVABLE = /["\\#]/;

/**
 * Starts a NUT server and waits until every UPS serves data.
 *
 * @param options Engine, UPSes, MAXAGE, users.
 * @returns The running server; dispose it to remove it.
 * @throws {TypeError} On an invalid UPS, variable, value or user.
 * @throws {RigCommandError} When an image build or the container start fails.
 * @throws {Error} When upsd serves no data within `startTimeoutMs`.
 */
export async function startNutServer(
  options: NutServerOptions,
): Promise<NutServer> {
  const args = serveArgs(options);
  const config = {
    upses: options.upses.map((ups) => ups.name),
    maxAge: options.maxAge ?? 15,
    admin: options.admin ?? ADMIN,
    monitor: options.monitor ?? MONITOR,
    keep: options.keep ?? false,
    startTimeoutMs: options.startTimeoutMs ?? 60_000,
  };
  if (options.engine.name === "native") {
    return await NativeServer.start(options.engine, config, args);
  }
  const images = options.images ?? (await ensureImages(options.engine)).images;
  return await ContainerServer.start(options.engine, config, args, images.nut);
}

/** The entrypoint's `serve` arguments; validates everything it passes. */
function serveArgs(options: NutServerOptions): string[] {
  const { upses, maxAge = 15 } = options;
  if (upses.length === 0) {
    throw new TypeError("Cannot start upsd without a UPS");
  }
  if (!Number.isSafeInteger(maxAge) || maxAge < 1) {
    throw new TypeError(`Cannot start upsd: invalid MAXAGE "${maxAge}"`);
  }
  const user = (role: string, { username, password }: Credentials) => {
    if (!NAME.test(username) || !PRINTABLE.test(password) || !password) {
      throw new TypeError(
        `Cannot start upsd: invalid ${role} user "${username}"`,
      );
    }
    return `${username}:${password}`;
  };
  const args = ["--maxage", String(maxAge)];
  args.push("--admin", user("admin", options.admin ?? ADMIN));
  args.push("--monitor", user("monitor", options.monitor ?? MONITOR));
  for (const ups of upses) {
    if (!NAME.test(ups.name)) {
      throw new TypeError(`Cannot start upsd: invalid UPS name "${ups.name}"`);
    }
    args.push("--ups", ups.name);
    if (ups.description !== undefined) {
      if (!PRINTABLE.test(ups.description)) {
        throw new TypeError(
          `Cannot start upsd: the description of "${ups.name}" is not printable ASCII`,
        );
      }
      args.push("--desc", ups.description);
    }
    for (const [name, value] of Object.entries(ups.values)) {
      if (!VAR.test(name)) {
        throw new TypeError(
          `Cannot start upsd: invalid variable name "${name}" of "${ups.name}"`,
        );
      }
      if (!SERVABLE.test(value) || UNSERVABLE.test(value)) {
        throw new TypeError(
          `Cannot start upsd: the value of "${name}" of "${ups.name}" must be printable ASCII without '"', '\\' and '#'`,
        );
      }
      args.push("--var", `${name}=${value}`);
    }
  }
  return args;
}
