/**
 * A scenario's fleet from start to read-back: the stock upsmon containers,
 * the rig's `LIST CLIENT` observer, the program's address towards upsd, and
 * at the end the facts `expect_fleet.ts` judges and the report shows.
 *
 * The program connects to upsd at the NUT container's address, not at the
 * published loopback port: the port forward would rewrite its source
 * address, so the address upsd lists for it would not be the one the
 * program's own connection has, and the program could not tell its login
 * from the others'.
 *
 * @module
 */
import { NutClient } from "../lib/nut/client.ts";
import { systemClock } from "../lib/system/clock.ts";
import { MemoryLogger } from "../lib/testing/memory_logger.ts";
import type { Engine } from "./engine.ts";
import type { FleetFacts } from "./expect_fleet.ts";
import {
  containerAddress,
  type Fleet,
  localAddressTowards,
  parsePowerOffRecord,
  parseUpsdLog,
  type PowerOffProbe,
  startFleet,
  UPSD_PORT,
  writePowerOffProbe,
} from "./fleet.ts";
import { observeClients } from "./fleet_observer.ts";
import type { RigImages } from "./image.ts";
import type { NutServer } from "./nut_server.ts";
import type { Profile } from "./profile.ts";

/** What {@linkcode prepareFleet} needs. */
export interface FleetContext {
  /** The engine; the native one cannot run a fleet. */
  engine: Engine;
  /** Its images. */
  images: RigImages | null;
  /** The scenario's upsd. */
  server: NutServer;
  /** The UPS. */
  ups: string;
  /** Leave the containers behind. */
  keep: boolean;
}

/** When the scenario's timeline started, on both clocks. */
export interface TimelineOrigin {
  /** `performance.now()` at the start. */
  startMs: number;
  /** `Date.now()` at the same moment. */
  startEpochMs: number;
}

/** A scenario's running fleet; dispose to remove it. */
export interface FleetRun extends AsyncDisposable {
  /** `ups@ADDRESS:3493` for the program's config. */
  readonly upsName: string;
  /** `upsmon -c fsd` on the stock primary (fault `fleet_fsd`). */
  fsd(): Promise<void>;
  /**
   * A power-off command that first asks upsd who is logged in (see
   * `writePowerOffProbe()`), then runs `powerOff`.
   *
   * @returns The path to configure as the local command.
   */
  probePowerOff(dir: string, powerOff: string): Promise<string>;
  /**
   * Waits until every host and the program are logged in.
   *
   * @throws {Error} Naming who is not, after `timeoutMs`.
   */
  ready(timeoutMs: number): Promise<void>;
  /**
   * Lets the hosts finish (when the sequence was triggered: until each has
   * run SHUTDOWNCMD and, unless it hangs, exited; bounded), stops the
   * observer and reads everything back.
   */
  finish(origin: TimelineOrigin, triggered: boolean): Promise<FleetFacts>;
}

/**
 * Starts the profile's fleet, or returns null when it has none.
 *
 * @param profile The scenario.
 * @param context Engine, images, upsd.
 * @returns The fleet, or null.
 * @throws {Error} On the native engine, or when a host does not start.
 */
export async function prepareFleet(
  profile: Profile,
  context: FleetContext,
): Promise<FleetRun | null> {
  if (profile.fleet.length === 0) return null;
  const { engine, server, ups } = context;
  if (!engine.containers || context.images === null) {
    throw new Error(
      `the fleet (fleet:) needs podman or docker, not the "${engine.name}" engine`,
    );
  }
  const upsdAddress = await containerAddress(engine, server.name);
  const programAddress = await localAddressTowards(upsdAddress, UPSD_PORT);
  const watcher = new NutClient({
    address: { ups, host: "127.0.0.1", port: server.port },
    replyTimeoutMs: 2000,
    connectTimeoutMs: 2000,
    reconnect: { initialDelayMs: 100, maxDelayMs: 500, factor: 2, jitter: 0 },
    clock: systemClock,
    logger: new MemoryLogger(),
  });
  let fleet: Fleet;
  try {
    fleet = await startFleet({
      engine,
      image: context.images.nut,
      upsdAddress,
      ups,
      hosts: profile.fleet,
      keep: context.keep,
    });
  } catch (error) {
    await watcher[Symbol.asyncDispose]();
    throw error;
  }
  const observer = observeClients(watcher, { ups, clock: systemClock });
  let probe: PowerOffProbe | null = null;
  let stopped = false;
  const stop = async () => {
    if (stopped) return observer.seen();
    stopped = true;
    return await observer.stop();
  };
  return {
    upsName: `${ups}@${upsdAddress}:${UPSD_PORT}`,
    fsd: () => fleet.fsd(),
    async probePowerOff(dir, powerOff) {
      probe = await writePowerOffProbe(dir, {
        powerOff,
        host: upsdAddress,
        port: UPSD_PORT,
        ups,
      });
      return probe.script;
    },
    async ready(timeoutMs) {
      const wanted = [...fleet.members.map((m) => m.address), programAddress];
      if (await observer.waitForLogins(wanted, timeoutMs)) return;
      const present = observer.seen().present;
      const missing = fleet.members.filter((m) => !present.includes(m.address))
        .map((m) => m.host.name);
      if (!present.includes(programAddress)) missing.push("ups-monitor");
      throw new Error(
        `"${missing.join('", "')}" did not log in to upsd within ${
          timeoutMs / 1000
        } s`,
      );
    },
    async finish(origin, triggered) {
      if (triggered) await settle(fleet, profile);
      const seen = await stop();
      const records = await fleet.records();
      const logs = await engine.cliResult(
        ["logs", "--timestamps", server.name],
        {
          timeoutMs: 30_000,
        },
      );
      const fromEpoch = (ms: number) => ms - origin.startEpochMs;
      const powerOff = probe === null ? undefined : parsePowerOffRecord(
        await Deno.readTextFile(probe.record).catch(() => ""),
      )[0];
      return {
        hosts: fleet.members.map((m) => ({
          name: m.host.name,
          role: m.host.role,
          address: m.address,
          shutdown: m.host.shutdown,
          records: (records.get(m.host.name) ?? []).map((r) => ({
            t: fromEpoch(r.epochMs),
            event: r.event,
            text: r.text,
          })),
        })),
        programAddress,
        upsdAddress,
        clients: seen.changes.map((c) => ({
          t: c.at - origin.startMs,
          address: c.address,
          change: c.change,
        })),
        presentAtEnd: seen.present,
        fsdSeen: seen.fsdAt === null ? null : seen.fsdAt - origin.startMs,
        powerOff: powerOff === undefined
          ? null
          : { t: fromEpoch(powerOff.epochMs), clients: powerOff.clients },
        upsd: parseUpsdLog(`${logs.stdout}\n${logs.stderr}`).map((e) => ({
          ...e,
          t: fromEpoch(e.epochMs),
        })).map(({ epochMs: _, ...e }) => e),
      };
    },
    async [Symbol.asyncDispose]() {
      await stop();
      await watcher[Symbol.asyncDispose]();
      await fleet[Symbol.asyncDispose]();
    },
  };
}

/**
 * Waits until each host has run SHUTDOWNCMD and, unless it hangs, exited;
 * at most the longest HOSTSYNC plus FINALDELAY of the fleet, plus 3 s.
 */
async function settle(fleet: Fleet, profile: Profile): Promise<void> {
  const boundMs = Math.max(
    ...profile.fleet.map((host) => host.hostsync + host.finaldelay),
  ) + 3000;
  const end = performance.now() + boundMs;
  while (performance.now() < end) {
    const records = await fleet.records();
    const done = fleet.members.every((m) => {
      const events = (records.get(m.host.name) ?? []).map((r) => r.event);
      return events.includes(
        m.host.shutdown === "hangs" ? "shutdowncmd" : "exit",
      );
    });
    if (done) return;
    await systemClock.sleep(500);
  }
}
