/**
 * The rig's NUT fleet: stock `upsmon` hosts (Debian's nut-client 2.8.0),
 * each in its own container of the NUT image (`rig-entrypoint upsmon`, see
 * `entrypoint_upsmon.sh`) on the engine's default network, logged in to the
 * scenario's upsd at the NUT container's address, so that upsd lists every
 * host under an address of its own. Their NOTIFYCMD and SHUTDOWNCMD record
 * what happened; upsd's own log (with the engine's timestamps) tells when
 * FSD was set and who logged in and out.
 *
 * @module
 */
import { formatCommand } from "../lib/system/exec.ts";
import { type Engine, RIG_LABEL, RigCommandError } from "./engine.ts";
import { ADMIN, type Credentials, MONITOR } from "./nut_server.ts";
import type { FleetHost } from "./profile_fleet.ts";

/** upsd's port inside the NUT container. */
export const UPSD_PORT = 3493;

/** One line a fleet host recorded. */
export interface FleetRecord {
  /** Wall-clock time, ms since the epoch (the containers share the clock). */
  epochMs: number;
  /** `start`, `notify:<NOTIFYTYPE>`, `shutdowncmd` or `exit`. */
  event: string;
  /** upsmon's message, or the recorder's details. */
  text: string;
}

/**
 * Parses the recordings (`epoch-ms<TAB>event<TAB>text` lines); a line of
 * another shape is skipped.
 *
 * @param text The file's content.
 * @returns The records in file order.
 */
export function parseRecords(text: string): FleetRecord[] {
  return text.split("\n").flatMap((line) => {
    const match = /^(\d+)\t([^\t]+)\t(.*)$/.exec(line);
    return match
      ? [{ epochMs: Number(match[1]), event: match[2]!, text: match[3]! }]
      : [];
  });
}

/** What upsd logged about logins and FSD. */
export interface UpsdLogEvent {
  /** Wall-clock time of the line, ms since the epoch. */
  epochMs: number;
  /** A `LOGIN`, a `LOGOUT` (not a dropped connection) or `FSD`. */
  kind: "login" | "logout" | "fsd";
  /** The upsd user. */
  user: string;
  /** The client's address. */
  address: string;
}

const UPSD_LINE =
  /^User (\S+)@(\S+) logged (into|out from) UPS \[|^Client (\S+)@(\S+) set FSD on UPS \[/;

/**
 * Finds upsd 2.8.0's login, logout and FSD lines in its output as the
 * engine prints it with `logs --timestamps` (`2026-01-02T03:04:05.123456789Z
 * text` per line; stdout and stderr may come in separate blocks).
 *
 * @param text The timestamped output.
 * @returns The events, by time.
 */
export function parseUpsdLog(text: string): UpsdLogEvent[] {
  const events: UpsdLogEvent[] = [];
  // A line may lack its newline where the other stream's block begins.
  const stamped = /(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z) /g;
  const starts = [...text.matchAll(stamped)];
  for (const [index, start] of starts.entries()) {
    const from = start.index + start[0].length;
    const line = text.slice(from, starts[index + 1]?.index ?? text.length)
      .trim();
    const match = UPSD_LINE.exec(line);
    if (!match) continue;
    const epochMs = Date.parse(start[1]!.replace(/(\.\d{3})\d*Z$/, "$1Z"));
    events.push(
      match[1] !== undefined
        ? {
          epochMs,
          kind: match[3] === "into" ? "login" : "logout",
          user: match[1],
          address: match[2]!,
        }
        : { epochMs, kind: "fsd", user: match[4]!, address: match[5]! },
    );
  }
  return events.sort((a, b) => a.epochMs - b.epochMs);
}

/** A fleet host as started. */
export interface FleetMember {
  /** The profile's host. */
  host: FleetHost;
  /** Its container's name. */
  container: string;
  /** Its address on the engine's network, as upsd lists it. */
  address: string;
}

/** Options of {@linkcode startFleet}. */
export interface FleetOptions {
  /** A container engine. */
  engine: Engine;
  /** The NUT image (it has upsmon and the recorders). */
  image: string;
  /** The NUT container's address on the engine's network. */
  upsdAddress: string;
  /** The UPS to monitor. */
  ups: string;
  /** The hosts to start. */
  hosts: readonly FleetHost[];
  /** Leave the containers behind. @default false */
  keep?: boolean;
}

/** The running fleet; `await using` removes its containers. */
export interface Fleet extends AsyncDisposable {
  /** Every host with its container and address. */
  readonly members: readonly FleetMember[];
  /** `upsmon -c fsd` on every primary: it sets FSD and waits HOSTSYNC. */
  fsd(): Promise<void>;
  /** Every host's recordings so far, by host name. */
  records(): Promise<Map<string, FleetRecord[]>>;
}

/**
 * The first address of a container on the engine's network.
 *
 * @param engine A container engine.
 * @param name The container.
 * @returns The address.
 * @throws {Error} When the container has none.
 */
export async function containerAddress(
  engine: Engine,
  name: string,
): Promise<string> {
  const out = await engine.cli(`find the address of "${name}"`, [
    "inspect",
    "--format",
    "{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}",
    name,
  ], { timeoutMs: 30_000 });
  const address = out.trim().split(/\s+/).find((word) => word !== "");
  if (address === undefined) {
    throw new Error(`Cannot find the address of "${name}": it has none`);
  }
  return address;
}

/**
 * The address this host talks from to an address, as a server there sees
 * it (one connect, then close).
 *
 * @param hostname The server's address.
 * @param port Its port.
 * @returns This end's address.
 * @throws {Deno.errors.ConnectionRefused} When nothing listens.
 */
export async function localAddressTowards(
  hostname: string,
  port: number,
): Promise<string> {
  using conn = await Deno.connect({ hostname, port });
  return conn.localAddr.hostname;
}

/**
 * Starts one container per host and reads back their addresses; on a
 * failure removes what it started.
 *
 * @param options Engine, image, upsd and the hosts.
 * @returns The fleet.
 * @throws {RigCommandError} When a container does not start.
 */
export async function startFleet(options: FleetOptions): Promise<Fleet> {
  const { engine } = options;
  const members: FleetMember[] = [];
  const fleet: Fleet = {
    members,
    async fsd() {
      for (const member of members) {
        if (member.host.role !== "primary") continue;
        await engine.cli(`request FSD of "${member.host.name}"`, [
          "exec",
          member.container,
          "rig-upsmon",
          "ctl",
          "fsd",
        ], { timeoutMs: 30_000 });
      }
    },
    async records() {
      const all = new Map<string, FleetRecord[]>();
      for (const member of members) {
        const result = await engine.cliResult([
          "exec",
          member.container,
          "rig-upsmon",
          "ctl",
          "records",
        ], { timeoutMs: 30_000 });
        all.set(member.host.name, parseRecords(result.stdout));
      }
      return all;
    },
    async [Symbol.asyncDispose]() {
      if (options.keep) return;
      await Promise.all(
        members.map((member) => engine.removeContainer(member.container)),
      );
    },
  };
  try {
    for (const host of options.hosts) {
      const container = `ups-monitor-rig-upsmon-${host.name}-${
        crypto.randomUUID().slice(0, 6)
      }`;
      // Pushed first: a container that failed half-way is removed too.
      const member = { host, container, address: "" };
      members.push(member);
      await runHost(options, host, container);
      member.address = await containerAddress(engine, container);
    }
  } catch (error) {
    await fleet[Symbol.asyncDispose]();
    throw error;
  }
  return fleet;
}

/** The upsd user a host logs in as. */
function credentialsOf(host: FleetHost): Credentials {
  const user = host.user ?? (host.role === "primary" ? "admin" : "mon");
  return user === "admin" ? ADMIN : MONITOR;
}

async function runHost(
  options: FleetOptions,
  host: FleetHost,
  container: string,
): Promise<void> {
  const { engine } = options;
  const { username, password } = credentialsOf(host);
  const args = [
    "run",
    "--detach",
    "--name",
    container,
    "--label",
    `${RIG_LABEL}=upsmon`,
    ...engine.runFlags,
    // The name only: the value comes from this process's environment, so
    // the password is in no command line and no error message.
    "--env",
    "RIG_UPSMON_CREDENTIALS",
    options.image,
    "upsmon",
    "--upsd",
    `${options.upsdAddress}:${UPSD_PORT}`,
    "--ups",
    options.ups,
    "--role",
    host.role,
    "--hostsync",
    String(host.hostsync / 1000),
    "--finaldelay",
    String(host.finaldelay / 1000),
    "--shutdown",
    host.shutdown,
  ];
  const result = await engine.runner.run(engine.name, args, {
    kind: "action",
    timeoutMs: 120_000,
    env: { "RIG_UPSMON_CREDENTIALS": `${username}:${password}` },
  });
  if (result.code !== 0 || result.timedOut) {
    throw new RigCommandError(
      `start the upsmon host "${host.name}"`,
      formatCommand(engine.name, args),
      result,
    );
  }
}

/** Where {@linkcode writePowerOffProbe} puts the script and its record. */
export interface PowerOffProbe {
  /** The script: the program's `shutdown.local.command` program. */
  script: string;
  /** Its record: `epoch-ms<TAB>address address …` per run. */
  record: string;
}

/**
 * Writes a power-off stand-in that asks upsd who is logged in (`LIST
 * CLIENT`, over bash's /dev/tcp, 2 s at most) at the very moment it runs,
 * records the answer, then execs the rig's own power-off stand-in. So the
 * rig knows from upsd itself, not from clocks, whether the program had
 * logged out before its power-off: the program's own log line, upsd's log
 * and the rig's polls are all stamped by different readers, a few ms apart.
 *
 * @param dir A private directory for the script and its record.
 * @param target The power-off stand-in to run next, upsd's address and
 *   port, the UPS.
 * @returns The paths.
 */
export async function writePowerOffProbe(
  dir: string,
  target: { powerOff: string; host: string; port: number; ups: string },
): Promise<PowerOffProbe> {
  const probe = {
    script: `${dir}/fleet-power-off`,
    record: `${dir}/fleet-power-off.log`,
  };
  const quote = (text: string) => `'${text.replaceAll("'", `'\\''`)}'`;
  await Deno.writeTextFile(
    probe.script,
    `#!/bin/bash
# The rig's fleet power-off probe: who upsd lists now, then the stand-in.
us=\${EPOCHREALTIME/./}
clients=""
if exec 3<>/dev/tcp/${target.host}/${target.port}; then
  printf 'LIST CLIENT %s\\n' ${quote(target.ups)} >&3
  while IFS= read -r -t 2 line <&3; do
    line=\${line%$'\\r'}
    case $line in
    "CLIENT "*) clients+="\${line##* } " ;;
    "END LIST"* | ERR*) break ;;
    esac
  done
  exec 3>&-
fi
printf '%s\\t%s\\n' "\${us:0:-3}" "\${clients% }" >>${quote(probe.record)}
exec ${quote(target.powerOff)} "$@"
`,
    { mode: 0o755 },
  );
  return probe;
}

/**
 * Reads the probe's record.
 *
 * @param text The record file's content.
 * @returns Each run: when, and the addresses upsd listed.
 */
export function parsePowerOffRecord(
  text: string,
): { epochMs: number; clients: string[] }[] {
  return text.split("\n").flatMap((line) => {
    const match = /^(\d+)\t(.*)$/.exec(line);
    return match
      ? [{
        epochMs: Number(match[1]),
        clients: match[2]!.split(" ").filter((a) => a !== ""),
      }]
      : [];
  });
}
