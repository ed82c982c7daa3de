/**
 * One poll of the UPS as a typed, validated reading. The raw NUT variables
 * (all strings, never validated by upsd: NUT.md §3) become status flags and
 * numbers; a value that is missing, not a number, out of range or a known
 * sentinel becomes "unknown" with a reason. Never 0 by default, never an
 * exception. Pure.
 *
 * @pure
 * @module
 */

/** The `ups.status` tokens the monitor understands (NUT.md §3). */
export const STATUS_FLAGS = [
  "OL",
  "OB",
  "LB",
  "HB",
  "RB",
  "CHRG",
  "DISCHRG",
  "BYPASS",
  "CAL",
  "OFF",
  "OVER",
  "TRIM",
  "BOOST",
  "FSD",
  "ALARM",
] as const;

/** A known `ups.status` token. */
export type StatusFlag = typeof STATUS_FLAGS[number];

const FLAG_SET: ReadonlySet<string> = new Set(STATUS_FLAGS);

/** The parsed `ups.status`. */
export interface Status {
  /** The value as served, or null when the variable is absent. */
  readonly raw: string | null;
  /** The known tokens present. */
  readonly flags: ReadonlySet<StatusFlag>;
  /** Vendor tokens (ECO, TEST, HE, ...), upper case, kept as data. */
  readonly other: readonly string[];
  /** `WAIT`: upsd has no driver data yet (NUT.md §2.7); not a power state. */
  readonly wait: boolean;
}

/** Why a number is unknown. */
export type UnknownCode =
  | "missing"
  | "not_a_number"
  | "out_of_range"
  | "sentinel";

/** A numeric field: a number, or unknown with the reason. */
export type Value =
  | { readonly known: true; readonly value: number }
  | {
    readonly known: false;
    readonly code: UnknownCode;
    /** For people, e.g. `battery.runtime "65535" is a sentinel`. */
    readonly reason: string;
    /** The value as served; null when missing. */
    readonly raw: string | null;
  };

/** Where the load draws its power from, as far as the status says. */
export type PowerSource = "line" | "battery" | "unknown";

/** One poll of the UPS, validated. */
export interface Reading {
  /** When the poll completed, in the caller's clock (ms). */
  readonly atMs: number;
  /** The parsed `ups.status`. */
  readonly status: Status;
  /**
   * `battery` when OB is set (also with a contradictory OL: missing an outage
   * is worse than a false alarm, and thresholds still need persistence),
   * `line` when OL is set, else `unknown` (e.g. `OFF` alone).
   */
  readonly source: PowerSource;
  /** `battery.charge`, %, 0–100. */
  readonly charge: Value;
  /** `battery.charge.low`, % (the UPS's own LB threshold), 0–100. */
  readonly chargeLow: Value;
  /** `battery.runtime`, s; ≤ 0 and ≥ 65535 are sentinels. */
  readonly runtime: Value;
  /** `battery.runtime.low`, s, ≥ 0. */
  readonly runtimeLow: Value;
  /** `ups.load`, % of capacity, ≥ 0 (above 100 when overloaded). */
  readonly load: Value;
  /** `input.voltage`, V, ≥ 0 (0 is real during an outage). */
  readonly inputVoltage: Value;
  /** `input.voltage.nominal`, V, > 0. */
  readonly nominalVoltage: Value;
  /** `input.transfer.low`, V, > 0. */
  readonly transferLow: Value;
  /** `input.transfer.high`, V, > 0. */
  readonly transferHigh: Value;
  /** `output.voltage`, V, ≥ 0. */
  readonly outputVoltage: Value;
  /** `input.frequency`, Hz, ≥ 0. */
  readonly inputFrequency: Value;
  /** `battery.voltage`, V, ≥ 0. */
  readonly batteryVoltage: Value;
  /** `ups.temperature`, else `battery.temperature`, °C. */
  readonly temperature: Value;
  /** `ups.alarm` text, null when absent or empty. */
  readonly alarm: string | null;
}

/** Where a reading's variables come from: `NutClient.poll()` or a record. */
export type VarSource =
  | ReadonlyMap<string, string>
  | Readonly<Record<string, string>>;

type Check = (n: number) => UnknownCode | null;

const nonNegative: Check = (n) => n < 0 ? "out_of_range" : null;
const positive: Check = (n) => n <= 0 ? "out_of_range" : null;
const anyValue: Check = () => null;
/** Runtime ≤ 0 and ≥ 65535 are what broken drivers serve (NUT.md §3). */
const runtimeCheck: Check = (n) => n <= 0 || n >= 65535 ? "sentinel" : null;

type NumericField = Exclude<
  keyof Reading,
  "atMs" | "status" | "source" | "alarm"
>;

/** Field → NUT variables (first present wins) and range check. */
const FIELDS: Readonly<
  Record<NumericField, { names: readonly string[]; check: Check }>
> = {
  charge: { names: ["battery.charge"], check: percent },
  chargeLow: { names: ["battery.charge.low"], check: percent },
  runtime: { names: ["battery.runtime"], check: runtimeCheck },
  runtimeLow: { names: ["battery.runtime.low"], check: nonNegative },
  load: { names: ["ups.load"], check: nonNegative },
  inputVoltage: { names: ["input.voltage"], check: nonNegative },
  nominalVoltage: { names: ["input.voltage.nominal"], check: positive },
  transferLow: { names: ["input.transfer.low"], check: positive },
  transferHigh: { names: ["input.transfer.high"], check: positive },
  outputVoltage: { names: ["output.voltage"], check: nonNegative },
  inputFrequency: { names: ["input.frequency"], check: nonNegative },
  batteryVoltage: { names: ["battery.voltage"], check: nonNegative },
  temperature: {
    names: ["ups.temperature", "battery.temperature"],
    check: anyValue,
  },
};

/**
 * Every variable a reading uses: what the loop asks upsd for each poll.
 */
export const READING_VARIABLES: readonly string[] = [
  "ups.status",
  "ups.alarm",
  ...new Set(Object.values(FIELDS).flatMap((f) => f.names)),
];

/** A percentage: 0–100; up to 101 is rounding overshoot and reads as 100. */
function percent(n: number): UnknownCode | null {
  return n < 0 || n > PERCENT_OVERSHOOT ? "out_of_range" : null;
}

/**
 * Charges in (100, 101] (e.g. `100.5`) read as 100: drivers that derive the
 * charge from the battery voltage overshoot a little when full. Above that
 * the value is unknown (out of range), as are 120, 255 or 1000 seen in dumps.
 */
export const PERCENT_OVERSHOOT = 101;

const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * Parses a NUT number leniently: surrounding white space, zero padding
 * (`023.4`), a leading `+` and one decimal comma (`1,5`) are accepted.
 *
 * @param raw The value as served.
 * @returns The number, or null when the text is not a finite decimal number
 * (`abc`, `NaN`, `Infinity`, `0x10`, `1,234.5`, empty).
 */
export function parseNumber(raw: string): number | null {
  let text = raw.trim();
  if (!text.includes(".") && /^[^,]*,[^,]*$/.test(text)) {
    text = text.replace(",", ".");
  }
  if (!NUMBER.test(text)) return null;
  const n = Number(text);
  return Number.isFinite(n) ? n : null;
}

/**
 * Parses `ups.status` into its tokens (NUT.md §3): any white space separates,
 * case is ignored, unknown tokens are kept in `other`.
 *
 * @param raw The value, or null when absent.
 * @returns The status; an empty or absent status has no flags.
 */
export function parseStatus(raw: string | null): Status {
  const flags = new Set<StatusFlag>();
  const other: string[] = [];
  let wait = false;
  for (const word of (raw ?? "").trim().split(/\s+/)) {
    const token = word.toUpperCase();
    if (token === "") continue;
    if (token === "WAIT") wait = true;
    else if (FLAG_SET.has(token)) flags.add(token as StatusFlag);
    else if (!other.includes(token)) other.push(token);
  }
  return { raw, flags, other, wait };
}

function lookup(vars: VarSource, name: string): string | undefined {
  if (vars instanceof Map) return vars.get(name);
  const record = vars as Readonly<Record<string, string>>;
  return Object.hasOwn(record, name) ? record[name] : undefined;
}

function numeric(vars: VarSource, names: readonly string[], check: Check) {
  let name = names[0]!;
  let raw: string | undefined;
  for (const candidate of names) {
    raw = lookup(vars, candidate);
    name = candidate;
    if (raw !== undefined) break;
  }
  return toValue(name, raw ?? null, check);
}

function toValue(name: string, raw: string | null, check: Check): Value {
  if (raw === null || raw.trim() === "") {
    return {
      known: false,
      code: "missing",
      reason: raw === null ? `${name} is missing` : `${name} is empty`,
      raw,
    };
  }
  const n = parseNumber(raw);
  if (n === null) {
    return {
      known: false,
      code: "not_a_number",
      reason: `${name} "${raw}" is not a number`,
      raw,
    };
  }
  const code = check(n);
  if (code !== null) {
    const what = code === "sentinel" ? "a sentinel" : "out of range";
    return { known: false, code, reason: `${name} "${raw}" is ${what}`, raw };
  }
  return { known: true, value: check === percent ? Math.min(n, 100) : n };
}

/**
 * Turns the variables of one poll into a reading. Never throws.
 *
 * @param vars Variable name → raw value, as upsd serves them.
 * @param atMs When the poll completed (the loop passes its monotonic ms).
 * @returns The reading; see {@linkcode pollFailureOf} for whether it counts
 * as a valid one.
 */
export function readReading(vars: VarSource, atMs: number): Reading {
  const status = parseStatus(lookup(vars, "ups.status") ?? null);
  const source: PowerSource = status.flags.has("OB")
    ? "battery"
    : status.flags.has("OL")
    ? "line"
    : "unknown";
  const alarm = lookup(vars, "ups.alarm")?.trim() || null;
  const values = {} as Record<NumericField, Value>;
  for (const [field, spec] of Object.entries(FIELDS)) {
    values[field as NumericField] = numeric(vars, spec.names, spec.check);
  }
  return { atMs, status, source, alarm, ...values };
}

/**
 * The number of a value, or null when unknown.
 *
 * @param value A field of a reading.
 * @returns The number or null.
 */
export function valueOf(value: Value): number | null {
  return value.known ? value.value : null;
}

/** Why a poll gave no valid reading. */
export type PollFailureKind =
  /** upsd refused the TCP connection. */
  | "refused"
  /** The connection was closed or reset. */
  | "closed"
  /** No reply (or no connection) in time. */
  | "timeout"
  /** `ERR DATA-STALE`. */
  | "data_stale"
  /** `ERR DRIVER-NOT-CONNECTED`. */
  | "driver_not_connected"
  /** `ups.status` is `WAIT` (NUT.md §2.7). */
  | "wait"
  /** `ups.status` is absent or empty. */
  | "no_status"
  /**
   * On battery with neither a usable charge nor a usable runtime: a blind
   * reading. It still says where the power comes from (see `pollFailureOf`).
   */
  | "no_battery_data"
  /** Anything else (an unexpected `ERR`, a protocol error). */
  | "error";

/** A poll without a valid reading. */
export interface PollFailure {
  /** The kind, for counting and for the connection tracker. */
  readonly kind: PollFailureKind;
  /** For people: the error message or the status served. */
  readonly detail: string;
}

/** Kinds where upsd answered but had no data from the driver. */
export const DATA_FAILURES: ReadonlySet<PollFailureKind> = new Set([
  "data_stale",
  "driver_not_connected",
  "wait",
  "no_status",
  "no_battery_data",
]);

/**
 * Whether a reading counts as a valid poll. A `WAIT` status, and an empty or
 * absent one, do not: they say nothing about the power. NUT.md §2.7 advises
 * keeping the previous reading on WAIT without counting a failure; the issue
 * counts it towards the fail-safe, and this follows the issue.
 *
 * Nor does a blind reading: on battery (OB) with neither charge nor runtime
 * usable, at least one of them served but unusable (empty, not a number, out
 * of range, a sentinel), nothing tells how long the battery lasts: it counts
 * towards the fail-safe like stale data (`no_battery_data`). Unlike the
 * others it still carries a power state: the power core applies its source
 * and flags (OB, LB, FSD) all the same. One usable value of the two makes
 * the reading valid, and so does a UPS that serves neither variable at all
 * (6 of 618 nut-ddl dumps on battery: blazer_usb, tripplite_usb, old
 * usbhid-ups): it never had more to say, and its LB flag is the trigger.
 *
 * @param reading A reading.
 * @returns The failure, or null when the reading is valid.
 */
export function pollFailureOf(reading: Reading): PollFailure | null {
  const raw = reading.status.raw;
  if (reading.status.wait) {
    return { kind: "wait", detail: `ups.status "${raw}"` };
  }
  if (reading.status.flags.size === 0 && reading.status.other.length === 0) {
    return {
      kind: "no_status",
      detail: raw === null ? "ups.status is missing" : "ups.status is empty",
    };
  }
  const { charge, runtime } = reading;
  if (
    reading.source === "battery" && !charge.known && !runtime.known &&
    (charge.raw !== null || runtime.raw !== null)
  ) {
    return {
      kind: "no_battery_data",
      detail:
        `on battery without charge or runtime: ${charge.reason}, ${runtime.reason}`,
    };
  }
  return null;
}

/**
 * Whether a poll that failed still gave a reading to apply: a blind one on
 * battery (see {@linkcode pollFailureOf}).
 *
 * @param failure The failure.
 * @returns True for `no_battery_data`.
 */
export function carriesPowerState(failure: PollFailure): boolean {
  return failure.kind === "no_battery_data";
}
