/**
 * The fleet timeline of a scenario for the rig's report: who got FSD when,
 * who ran SHUTDOWNCMD, who logged in and out when, and the program's own
 * moments, merged from the hosts' recordings, upsd's log, the rig's
 * `LIST CLIENT` polls and the program's events.
 *
 * @module
 */
import { escapeXml } from "./chart.ts";
import type { TimedEvent } from "./expect.ts";
import { type FleetFacts, labelOf, timeOf } from "./expect_fleet.ts";

/** One line of the timeline. */
export interface FleetRow {
  /** ms since the start of the timeline. */
  t: number;
  /** A host's name, `ups-monitor` or `upsd`. */
  who: string;
  /** What happened. */
  what: string;
}

/**
 * The fleet timeline, by time.
 *
 * @param facts The fleet as read back.
 * @param events The program's events.
 * @returns The rows; equal times keep the order above.
 */
export function fleetTimeline(
  facts: FleetFacts,
  events: readonly TimedEvent[],
): FleetRow[] {
  const rows: FleetRow[] = [];
  const label = (address: string) => labelOf(facts, address);
  for (const e of facts.upsd) {
    rows.push({
      t: e.t,
      who: label(e.address),
      what: e.kind === "fsd"
        ? `set FSD as "${e.user}" (upsd's log)`
        : e.kind === "login"
        ? `logged in as "${e.user}" (upsd's log)`
        : "logged out with LOGOUT (upsd's log)",
    });
  }
  if (facts.fsdSeen !== null) {
    rows.push({ t: facts.fsdSeen, who: "upsd", what: "ups.status has FSD" });
  }
  for (const c of facts.clients) {
    if (c.change === "logout") {
      rows.push({ t: c.t, who: label(c.address), what: "left LIST CLIENT" });
    }
  }
  for (const host of facts.hosts) {
    for (const r of host.records) {
      const what = r.event.startsWith("notify:")
        ? `NOTIFY ${r.event.slice(7)}: ${r.text}`
        : r.event === "shutdowncmd"
        ? `SHUTDOWNCMD ran (${r.text})`
        : r.event === "exit"
        ? `upsmon exited with code ${r.text}`
        : null;
      if (what !== null) rows.push({ t: r.t, who: host.name, what });
    }
  }
  rows.push(...programRows(events));
  if (facts.powerOff !== null) {
    const listed = facts.powerOff.clients.map(label);
    rows.push({
      t: facts.powerOff.t,
      who: "ups-monitor",
      what: `power-off ran; upsd listed ${
        listed.length === 0 ? "nobody" : `"${listed.join('", "')}"`
      }`,
    });
  }
  return rows.map((row, index) => ({ row, index }))
    .sort((a, b) => a.row.t - b.row.t || a.index - b.index)
    .map(({ row }) => row);
}

/** The program's moments that matter to the fleet. */
function programRows(events: readonly TimedEvent[]): FleetRow[] {
  const rows: FleetRow[] = [];
  let ownStep = false;
  for (const event of events) {
    const e = { ...event, t: timeOf(event)! };
    const step = String(e.fields["step"] ?? "");
    const phase = String(e.fields["phase"] ?? "");
    if (e.event === "shutdown.triggered") {
      rows.push({
        t: e.t,
        who: "ups-monitor",
        what: `trigger "${e.fields["reason"]}"`,
      });
    } else if (e.event === "shutdown.complete") {
      rows.push({ t: e.t, who: "ups-monitor", what: "sequence complete" });
    } else if (e.event === "shutdown.step" && step === "fleet") {
      if (phase !== "skipped") {
        rows.push({
          t: e.t,
          who: "ups-monitor",
          what: phase === "start"
            ? "fleet step started"
            : `fleet step ${phase}: ${e.msg}`,
        });
      }
    } else if (e.event === "shutdown.step" && phase === "start") {
      if (!ownStep || step === "local") {
        rows.push({
          t: e.t,
          who: "ups-monitor",
          what: `${ownStep ? "" : "first own step: "}step "${step}" started`,
        });
      }
      ownStep = true;
    }
  }
  return rows;
}

/** `+1.23 s` or `-0.40 s`. */
function offset(ms: number): string {
  return `${ms < 0 ? "-" : "+"}${(Math.abs(ms) / 1000).toFixed(2)} s`;
}

/**
 * The terminal lines: who is where, then every row from the start of the
 * timeline on (the logins before it are in the header).
 *
 * @param facts The fleet as read back.
 * @param events The program's events.
 * @returns Indented lines.
 */
export function formatFleetTimeline(
  facts: FleetFacts,
  events: readonly TimedEvent[],
): string[] {
  const hosts = facts.hosts.map((h) =>
    `${h.name} ${h.address} (${h.role}, SHUTDOWNCMD ${h.shutdown})`
  );
  const rows = fleetTimeline(facts, events).filter((row) => row.t >= 0);
  const width = Math.max(0, ...rows.map((row) => row.who.length));
  return [
    `  fleet: ${
      hosts.join(", ")
    }; ups-monitor ${facts.programAddress}; upsd ${facts.upsdAddress}`,
    ...rows.map((row) =>
      `    ${offset(row.t).padStart(8)}  ${row.who.padEnd(width)}  ${row.what}`
    ),
  ];
}

/**
 * The HTML table of the timeline, every row.
 *
 * @param facts The fleet as read back.
 * @param events The program's events.
 * @returns A `<table>`.
 */
export function fleetTimelineHtml(
  facts: FleetFacts,
  events: readonly TimedEvent[],
): string {
  const body = fleetTimeline(facts, events).map((row) =>
    `<tr><td>${offset(row.t)}</td><td>${escapeXml(row.who)}</td><td>${
      escapeXml(row.what)
    }</td></tr>`
  ).join("");
  return `<table class="fleet"><tr><th>time</th><th>who</th><th>what</th></tr>${body}</table>`;
}
