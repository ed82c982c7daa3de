/**
 * The one-line status the daemon hands systemd (`STATUS=`, shown by
 * `systemctl status`): the power state in words, charge, runtime and load,
 * on battery the trigger nearest to firing, and what is wrong with the
 * connection. Built from the state snapshot; bounded in length; it holds no
 * secret (no credentials, no URLs, no addresses). Pure.
 *
 * @pure
 * @module
 */
import type { PowerSnapshot } from "./snapshot.ts";

/** Longest status line, characters: `systemctl status` shows one line. */
export const STATUS_LINE_MAX = 200;

/** Words for the `ups.status` flags worth a glance, in this order. */
const FLAG_WORDS: readonly (readonly [string, string])[] = [
  ["FSD", "forced shutdown"],
  ["LB", "low battery"],
  ["RB", "replace battery"],
  ["OVER", "overload"],
  ["BYPASS", "on bypass"],
  ["OFF", "output off"],
  ["CAL", "calibrating"],
  ["BOOST", "boosting voltage"],
  ["TRIM", "trimming voltage"],
  ["CHRG", "charging"],
];

/** Words for the kinds of failed poll (the detail may name the server). */
const FAILURE_WORDS: Readonly<Record<string, string>> = {
  refused: "connection refused",
  closed: "connection closed",
  timeout: "no reply",
  "data_stale": "data stale",
  "driver_not_connected": "driver not connected",
  error: "error",
};

/**
 * A duration for people: "45 s", "3 min 10 s", "2 h 5 min".
 *
 * @param seconds Non-negative seconds.
 * @returns The words.
 */
export function spokenDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) {
    const rest = s % 60;
    return `${Math.floor(s / 60)} min${rest === 0 ? "" : ` ${rest} s`}`;
  }
  const minutes = Math.floor((s % 3600) / 60);
  return `${Math.floor(s / 3600)} h${minutes === 0 ? "" : ` ${minutes} min`}`;
}

/**
 * The status line of a snapshot, e.g. "On line, charging, charge 100 %,
 * runtime 30 min, load 23 %" or "On battery for 2 min 5 s, charge 62 %,
 * runtime 12 min, load 30 %, next trigger budget in 3 min 10 s".
 *
 * @param snap The snapshot of the latest poll.
 * @returns At most {@linkcode STATUS_LINE_MAX} characters.
 */
export function statusLine(snap: PowerSnapshot): string {
  const power = powerClauses(snap).join(", ");
  const connection = connectionClause(snap);
  const trigger = triggerClause(snap);
  const parts = [
    ...(trigger === null ? [] : [trigger]),
    ...(connection === null ? [] : [connection]),
    ...(power === ""
      ? []
      : [connection === null ? power : `last reading: ${power}`]),
  ];
  const line = parts.join("; ") || "waiting for the first reading";
  const sentence = line.charAt(0).toUpperCase() + line.slice(1);
  return sentence.length <= STATUS_LINE_MAX
    ? sentence
    : `${sentence.slice(0, STATUS_LINE_MAX - 1)}…`;
}

/**
 * What changes the meaning of the status line, as opposed to its numbers:
 * on line or on battery, the connection, a reading at all, a trigger. A
 * change of it is news at once; the numbers can wait for the next refresh.
 *
 * @param snap The snapshot of the latest poll.
 * @returns A short key; equal keys mean the same kind of state.
 */
export function statusKey(snap: PowerSnapshot): string {
  return [
    snap.status === null ? "no_reading" : snap["on_battery"] ? "ob" : "ol",
    snap.connection,
    snap.armed ? "armed" : "disarmed",
    ...FLAG_WORDS.map(([flag]) => flag).filter((f) => snap.flags.includes(f)),
  ].join(" ");
}

function triggerClause(snap: PowerSnapshot): string | null {
  const last = snap["last_trigger"];
  // Disarmed after a decision: a sequence runs or ran in this outage.
  return last !== null && !snap.armed
    ? `shutdown triggered by ${last.trigger}`
    : null;
}

function powerClauses(snap: PowerSnapshot): string[] {
  if (snap.status === null) return [];
  const onBatteryMs = snap["on_battery_ms"];
  const clauses = [
    snap["on_battery"]
      ? onBatteryMs === null
        ? "on battery"
        : `on battery for ${spokenDuration(onBatteryMs / 1000)}`
      : "on line",
  ];
  for (const [flag, words] of FLAG_WORDS) {
    if (snap.flags.includes(flag)) clauses.push(words);
  }
  if (snap.charge !== null) clauses.push(`charge ${snap.charge} %`);
  if (snap["runtime_s"] !== null) {
    clauses.push(`runtime ${spokenDuration(snap["runtime_s"])}`);
  }
  if (snap.load !== null) clauses.push(`load ${snap.load} %`);
  // Disarmed, no trigger is next: one fired, or the hold after a sequence.
  const nearest = snap.armed ? snap.budget?.["nearest_trigger"] ?? null : null;
  if (nearest !== null) {
    clauses.push(
      `next trigger ${nearest.trigger} in ${spokenDuration(nearest["in_s"])}`,
    );
  }
  return clauses;
}

function connectionClause(snap: PowerSnapshot): string | null {
  const failure = snap["last_failure"];
  if (failure === null) return null;
  const kind = failure.slice(0, failure.indexOf(":"));
  const words = FAILURE_WORDS[kind] ?? "error";
  const polls = snap.failures === 1
    ? "1 failed poll"
    : `${snap.failures} failed polls`;
  if (snap.status === null) {
    return `no reading from upsd yet (${polls}: ${words})`;
  }
  return snap.connection === "ok"
    ? null
    : `connection ${snap.connection} (${polls}: ${words})`;
}
