/**
 * The UPSes of one scenario: the first (`ups:`, named "rig") and the
 * profile's others (`upses:`), each served by a upsd of its own with the
 * rig's admin connection to it, so a set or a fault aimed at one UPS reaches
 * its server alone. One server per UPS, not one upsd with several UPSes,
 * because a lost link has to be lost for one UPS only: dropping the packets
 * of one upsd, or pausing it, loses every UPS it serves, and a dead or
 * frozen driver is stale data (`DRIVER-NOT-CONNECTED`, `DATA-STALE`), which
 * the program's supply weighing counts as safe, not as a lost link.
 *
 * @module
 */
import { NutClient } from "../lib/nut/client.ts";
import { systemClock } from "../lib/system/clock.ts";
import { MemoryLogger } from "../lib/testing/memory_logger.ts";
import type { Engine } from "./engine.ts";
import type { RigImages } from "./image.ts";
import { type NutServer, startNutServer } from "./nut_server.ts";
import type { Profile } from "./profile.ts";
import { RIG_UPS } from "./profile_upses.ts";

/** One UPS of a scenario. */
export interface RigUps {
  /** Its name at its upsd: `rig` for the first. */
  name: string;
  /** Its upsd. */
  server: NutServer;
  /** The rig's admin connection to it (SET, FSD). */
  admin: NutClient;
}

/** Every UPS of a scenario; `await using` removes their servers. */
export interface RigUpses extends AsyncDisposable {
  /** The first UPS, `rig`. */
  readonly first: RigUps;
  /** The profile's other UPSes, in the order of `upses:`. */
  readonly others: readonly RigUps[];
  /**
   * A UPS by name.
   *
   * @param name The name; undefined for the first.
   * @returns The UPS.
   * @throws {TypeError} When the scenario has no such UPS.
   */
  get(name?: string): RigUps;
}

/** Options of {@linkcode startRigUpses}. */
export interface RigUpsesOptions {
  /** The engine of the servers. */
  engine: Engine;
  /** Its images; null on the native engine. */
  images: RigImages | null;
  /** Leave the servers behind. */
  keep: boolean;
}

/**
 * Starts one upsd per UPS of the profile, side by side.
 *
 * @param profile The scenario: `ups`, `upses` and `maxage`.
 * @param options Engine, images, keep.
 * @returns The UPSes; dispose them to remove their servers.
 * @throws {Error} When a server does not start; the others are removed.
 */
export async function startRigUpses(
  profile: Pick<Profile, "ups" | "upses" | "maxage">,
  options: RigUpsesOptions,
): Promise<RigUpses> {
  const specs = [
    { name: RIG_UPS, values: profile.ups },
    ...Object.entries(profile.upses).map(([name, values]) => ({
      name,
      values,
    })),
  ];
  const started = await Promise.allSettled(specs.map((spec) =>
    startNutServer({
      engine: options.engine,
      upses: [spec],
      maxAge: profile.maxage,
      keep: options.keep,
      ...(options.images ? { images: options.images } : {}),
    })
  ));
  const servers = started.flatMap((s) =>
    s.status === "fulfilled" ? [s.value] : []
  );
  const failed = started.find((s) => s.status === "rejected");
  if (failed) {
    await Promise.allSettled(servers.map((s) => s[Symbol.asyncDispose]()));
    throw failed.reason;
  }
  const upses = specs.map(({ name }, index) => {
    const server = servers[index]!;
    return { name, server, admin: adminClient(name, server) };
  });
  return {
    first: upses[0]!,
    others: upses.slice(1),
    get(name?: string) {
      const found = upses.find((ups) => ups.name === (name ?? RIG_UPS));
      if (found === undefined) {
        throw new TypeError(
          `Cannot act on UPS "${name}": the scenario has no such UPS`,
        );
      }
      return found;
    },
    async [Symbol.asyncDispose]() {
      await Promise.allSettled(upses.map(async ({ admin, server }) => {
        await admin[Symbol.asyncDispose]();
        await server[Symbol.asyncDispose]();
      }));
    },
  };
}

/** The rig's admin connection to a UPS, reconnecting quickly after faults. */
function adminClient(name: string, server: NutServer): NutClient {
  return new NutClient({
    address: { ups: name, host: "127.0.0.1", port: server.port },
    username: server.admin.username,
    password: server.admin.password,
    replyTimeoutMs: 2000,
    connectTimeoutMs: 2000,
    reconnect: { initialDelayMs: 100, maxDelayMs: 500, factor: 2, jitter: 0 },
    clock: systemClock,
    logger: new MemoryLogger(),
  });
}

/**
 * The program's name of each UPS: `name@127.0.0.1:PORT`.
 *
 * @param ups The UPS.
 * @returns The name for the config's `ups[].name`.
 */
export function programName(ups: RigUps): string {
  return `${ups.name}@127.0.0.1:${ups.server.port}`;
}
