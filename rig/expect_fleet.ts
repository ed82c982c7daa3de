/**
 * Judges a fleet scenario (`expect.fleet`): what the stock upsmon hosts
 * recorded, what upsd logged and listed, and what the program logged. Data
 * in, checks out. Times are ms since the start of the timeline.
 *
 * @module
 */
import type { TimedEvent } from "./expect.ts";
import type { FleetExpectations } from "./profile_fleet.ts";

/** One line a fleet host recorded, its time relative to the start. */
export interface FleetHostRecord {
  /** ms since the start of the timeline. */
  t: number;
  /** `start`, `notify:<TYPE>`, `shutdowncmd` or `exit`. */
  event: string;
  /** upsmon's message or the recorder's details. */
  text: string;
}

/** Everything read back about the fleet of one scenario. */
export interface FleetFacts {
  /** The stock upsmon hosts. */
  hosts: {
    name: string;
    role: "primary" | "secondary";
    address: string;
    shutdown: "returns" | "hangs";
    records: FleetHostRecord[];
  }[];
  /** The program's address as upsd sees it. */
  programAddress: string;
  /** upsd's address on the engine's network. */
  upsdAddress: string;
  /** Logins that began or ended, as the rig's `LIST CLIENT` polls saw them. */
  clients: { t: number; address: string; change: "login" | "logout" }[];
  /** Addresses still logged in at the last poll. */
  presentAtEnd: string[];
  /** When the polls first read FSD in `ups.status`. */
  fsdSeen: number | null;
  /** The program's power-off: when, and whom upsd listed then. */
  powerOff: { t: number; clients: string[] } | null;
  /** upsd's own log lines about logins, `LOGOUT` and FSD. */
  upsd: {
    t: number;
    kind: "login" | "logout" | "fsd";
    user: string;
    address: string;
  }[];
}

type CheckFn = (ok: boolean, text: string) => void;

/** Seconds with two decimals, for messages. */
export function secondsOf(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}

/**
 * The name of an address: a fleet host's, `ups-monitor` for the program,
 * `upsd`, or the address itself.
 *
 * @param facts The fleet.
 * @param address An address upsd listed or logged.
 * @returns The name.
 */
export function labelOf(facts: FleetFacts, address: string): string {
  const host = facts.hosts.find((h) => h.address === address);
  if (host) return host.name;
  if (address === facts.programAddress) return "ups-monitor";
  return address === facts.upsdAddress ? "upsd" : address;
}

/** When an address's login began or ended as the polls saw it first. */
function polled(
  facts: FleetFacts,
  address: string,
  change: "login" | "logout",
): number | undefined {
  return facts.clients.find((c) => c.address === address && c.change === change)
    ?.t;
}

/** When upsd logged a kind of line about an address first. */
function logged(
  facts: FleetFacts,
  address: string | null,
  kind: "login" | "logout" | "fsd",
): number | undefined {
  return facts.upsd.find((e) =>
    e.kind === kind && (address === null || e.address === address)
  )?.t;
}

/** The first start of a step (or of any step but the fleet step). */
function stepStart(
  events: readonly TimedEvent[],
  step: string | null,
): number | undefined {
  return timeOf(
    events.find((e) =>
      e.event === "shutdown.step" && e.fields["phase"] === "start" &&
      (step === null ? e.fields["step"] !== "fleet" : e.fields["step"] === step)
    ),
  );
}

/**
 * When the program logged an event: its own stamp where known (the
 * arrival in the rig is a few ms late, which matters against the other
 * stamps), else its arrival.
 *
 * @param event The event, if any.
 * @returns ms since the start, or undefined without an event.
 */
export function timeOf(event: TimedEvent | undefined): number | undefined {
  return event === undefined ? undefined : event.loggedT ?? event.t;
}

/**
 * The time of a moment (see `profile_fleet.ts`). upsd's log is preferred to
 * the polls where it has the moment (FSD, a `LOGIN`, a `LOGOUT`): the polls
 * see a change up to one interval late. A host's logout is its upsmon's
 * exit (which closes the connection), else the polls.
 *
 * @param moment E.g. `upsd.fsd`, `program.logout`, `sec-a.shutdowncmd`.
 * @param facts The fleet.
 * @param events The program's events.
 * @returns ms since the start, or undefined when it never happened.
 */
export function momentTime(
  moment: string,
  facts: FleetFacts,
  events: readonly TimedEvent[],
): number | undefined {
  const [who, what] = moment.split(".") as [string, string];
  if (who === "upsd") {
    return logged(facts, null, "fsd") ?? facts.fsdSeen ?? undefined;
  }
  if (who === "program") {
    const address = facts.programAddress;
    switch (what) {
      case "trigger":
        return timeOf(events.find((e) => e.event === "shutdown.triggered"));
      case "complete":
        return timeOf(events.find((e) => e.event === "shutdown.complete"));
      case "power_off":
        return facts.powerOff?.t;
      case "first_step":
        return stepStart(events, null);
      case "logout":
        return logged(facts, address, "logout") ??
          polled(facts, address, "logout");
      default:
        return stepStart(events, what);
    }
  }
  const host = facts.hosts.find((h) => h.name === who);
  if (!host) return undefined;
  const record = (match: (event: string) => boolean) =>
    host.records.find((r) => match(r.event))?.t;
  switch (what) {
    case "login":
      return logged(facts, host.address, "login") ??
        polled(facts, host.address, "login");
    case "fsd":
      return record((e) => e === "notify:FSD" || e === "notify:SHUTDOWN");
    case "shutdowncmd":
      return record((e) => e === "shutdowncmd");
    case "logout":
      return record((e) => e === "exit") ??
        polled(facts, host.address, "logout");
    default:
      return undefined;
  }
}

/**
 * Judges `expect.fleet`.
 *
 * @param check Receives each check.
 * @param expect The expectations.
 * @param facts The fleet as read back; null when it could not be.
 * @param events The program's events.
 */
export function judgeFleet(
  check: CheckFn,
  expect: FleetExpectations,
  facts: FleetFacts | null,
  events: readonly TimedEvent[],
): void {
  if (facts === null) {
    check(false, "The fleet could not be read back");
    return;
  }
  const host = (name: string) => facts.hosts.find((h) => h.name === name);
  for (const name of expect.fsd) {
    recorded(check, host(name), "FSD", ["notify:FSD", "notify:SHUTDOWN"]);
  }
  for (const name of expect.shutdowncmd) {
    recorded(check, host(name), "SHUTDOWNCMD", ["shutdowncmd"]);
  }
  for (const name of expect.logged_out) {
    const address = host(name)?.address ?? "";
    const t = polled(facts, address, "logout");
    check(
      t !== undefined,
      t === undefined
        ? `Expected "${name}" to log out, but upsd listed "${address}" until the end`
        : `"${name}" logged out: upsd stopped listing "${address}" at ${
          secondsOf(t)
        }`,
    );
  }
  for (const name of expect.logged_in) {
    const address = host(name)?.address ?? "";
    const ok = facts.presentAtEnd.includes(address);
    check(
      ok,
      ok
        ? `"${name}" never logged out: upsd still listed "${address}" at the end`
        : `Expected "${name}" still logged in at the end, but upsd no longer listed "${address}"`,
    );
  }
  if (expect.gone_at_power_off.length > 0) {
    judgePowerOff(check, expect.gone_at_power_off, facts);
  }
  for (const [earlier, later] of expect.order) {
    judgeOrder(check, [earlier, later], facts, events);
  }
  if (expect.wait) judgeWait(check, expect.wait, facts, events);
  if (expect.message !== undefined) {
    judgeMessage(check, expect.message, facts, events);
  }
}

function recorded(
  check: CheckFn,
  host: FleetFacts["hosts"][number] | undefined,
  what: string,
  kinds: readonly string[],
) {
  const found = host?.records.find((r) => kinds.includes(r.event));
  check(
    found !== undefined,
    found
      ? `"${host!.name}" recorded ${
        found.event.replace("notify:", "NOTIFY ").replace(
          "shutdowncmd",
          "SHUTDOWNCMD",
        )
      } at ${secondsOf(found.t)}: ${found.text}`
      : `Expected "${host?.name}" to record ${what}, but it recorded "${
        host?.records.map((r) => r.event).join('", "') ?? ""
      }"`,
  );
}

function judgePowerOff(
  check: CheckFn,
  names: readonly string[],
  facts: FleetFacts,
) {
  const addressOf = (name: string) =>
    name === "program"
      ? facts.programAddress
      : facts.hosts.find((h) => h.name === name)?.address ?? name;
  const listed = facts.powerOff?.clients ?? [];
  const still = names.filter((name) => listed.includes(addressOf(name)));
  const label = (name: string) => name === "program" ? "ups-monitor" : name;
  check(
    facts.powerOff !== null && still.length === 0,
    facts.powerOff === null
      ? "Expected the program's power-off to ask upsd who is logged in, but it never ran"
      : still.length === 0
      ? `When the power-off ran, upsd no longer listed "${
        names.map(label).join('", "')
      }" (listed: "${listed.map((a) => labelOf(facts, a)).join('", "')}")`
      : `Expected "${
        still.map(label).join('", "')
      }" logged out before the power-off, but upsd still listed ${
        still.length === 1 ? "it" : "them"
      } then`,
  );
}

function judgeOrder(
  check: CheckFn,
  [earlier, later]: readonly [string, string],
  facts: FleetFacts,
  events: readonly TimedEvent[],
) {
  const a = momentTime(earlier, facts, events);
  const b = momentTime(later, facts, events);
  if (a === undefined || b === undefined) {
    check(
      false,
      `Expected "${earlier}" before "${later}", but "${
        a === undefined ? earlier : later
      }" never happened`,
    );
    return;
  }
  check(
    a < b,
    a < b
      ? `"${earlier}" (${secondsOf(a)}) came before "${later}" (${
        secondsOf(b)
      })`
      : `Expected "${earlier}" before "${later}", but it came at ${
        secondsOf(a)
      } and "${later}" at ${secondsOf(b)}`,
  );
}

function judgeWait(
  check: CheckFn,
  bounds: { min: number; max: number },
  facts: FleetFacts,
  events: readonly TimedEvent[],
) {
  const fsd = momentTime("upsd.fsd", facts, events);
  const first = momentTime("program.first_step", facts, events);
  const range = `${secondsOf(bounds.min)}–${secondsOf(bounds.max)}`;
  if (fsd === undefined || first === undefined) {
    check(
      false,
      `Expected a wait of ${range} from FSD at upsd to the program's first own step, but ${
        fsd === undefined ? "FSD was never set" : "no own step started"
      }`,
    );
    return;
  }
  const wait = first - fsd;
  const ok = wait >= bounds.min && wait <= bounds.max;
  check(
    ok,
    `${
      ok
        ? "The program waited"
        : "Expected a wait of " + range + ", but the program waited"
    } ${secondsOf(wait)} from FSD at upsd to its first own step${
      ok ? ` (${range})` : ""
    }`,
  );
}

function judgeMessage(
  check: CheckFn,
  source: string,
  facts: FleetFacts,
  events: readonly TimedEvent[],
) {
  const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const filled = source.replaceAll(/\{\{([a-z0-9-]+)\}\}/g, (_, name) =>
    escape(
      name === "program"
        ? facts.programAddress
        : facts.hosts.find((h) => h.name === name)?.address ?? name,
    ));
  const pattern = new RegExp(filled);
  const ended = events.find((e) =>
    e.event === "shutdown.step" && e.fields["step"] === "fleet" &&
    !["start", "skipped"].includes(String(e.fields["phase"]))
  );
  // The message, or the step's details (the names of those left).
  const matched = ended !== undefined &&
    [ended.msg, String(ended.fields["details"] ?? "")].some((text) =>
      pattern.test(text)
    );
  check(
    matched,
    ended === undefined
      ? `Expected the fleet step to end with a message matching ${pattern}, but it never ended`
      : matched
      ? `The fleet step's message matches ${pattern}: "${ended.msg}"`
      : `Expected the fleet step's message to match ${pattern}, got "${ended.msg}"`,
  );
}
