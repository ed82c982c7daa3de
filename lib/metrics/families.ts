/**
 * What `/metrics` shows, as metric families: the UPS's own values under the
 * names the NUT exporters use (`nut_*`: base units, charge and load as
 * ratios 0–1, `nut_ups_status{flag}` per flag), and what only this program
 * knows (`ups_monitor_*`): armed, the nearest trigger, the budget, time on
 * battery, the poll loop, readiness, notification queues, the last
 * sequence. Data in, families out; a value that is unknown is absent, never
 * 0. Pure.
 *
 * @pure
 * @module
 */
import type { Reading, Value } from "../power/reading.ts";
import { STATUS_FLAGS, valueOf } from "../power/reading.ts";
import type { PowerSnapshot } from "../power/snapshot.ts";
import type { ReadinessState } from "../readiness/state.ts";
import type { TimingStats, TimingSummary } from "../power/timing.ts";
import type { LastSequence } from "./last_sequence.ts";
import {
  POLL_BUCKETS_S,
  POLL_FAILURE_KINDS,
  type PollStats,
} from "./poll_stats.ts";
import type { Labels, MetricFamily, Sample, ScalarFamily } from "./render.ts";

/** One notification channel's queue. */
export interface QueueView {
  readonly channel: string;
  /** Notifications queued or in flight. */
  readonly depth: number;
  /** Dropped because the queue was full, since the session began. */
  readonly dropped: number;
}

/** Why the HTTP endpoint turned a connection away, counted. */
export type HttpRejections = Readonly<Record<string, number>>;

/** Everything `/metrics` is built from. */
export interface MetricsInput {
  /** The program's version. */
  readonly version: string;
  /** The UPS name (the `ups` label). */
  readonly ups: string;
  /** `ups.mfr` and `ups.model`, once read; null before. */
  readonly identity: { mfr: string | null; model: string | null } | null;
  /** The last reading; null before the first. */
  readonly reading: Reading | null;
  /** The power state's snapshot, with the budget. */
  readonly snap: PowerSnapshot;
  /** The poll loop's counters. */
  readonly polls: PollStats;
  /** The last readiness round. */
  readonly readiness: ReadinessState;
  /** Each notification channel's queue. */
  readonly queues: readonly QueueView[];
  /** A shutdown sequence (or its rollback) runs now. */
  readonly sequenceRunning: boolean;
  /** The last sequence's steps; null when none is known. */
  readonly lastSequence: LastSequence | null;
  /** Connections the HTTP endpoint turned away, by reason. */
  readonly httpRejections: HttpRejections;
  /** The poll loop's recent timings (jitter included); null before any. */
  readonly timing?: TimingSummary | null;
  /** The other UPSes of a host with several, each under its `ups` label. */
  readonly others?: readonly UpsMetrics[];
}

/** The part of {@linkcode MetricsInput} each UPS has of its own. */
export type UpsMetrics = Pick<
  MetricsInput,
  "ups" | "identity" | "reading" | "snap" | "polls" | "timing"
>;

function gauge(name: string, help: string, samples: Sample[]): ScalarFamily {
  return { type: "gauge", name, help, samples };
}

function counter(name: string, help: string, samples: Sample[]): ScalarFamily {
  return { type: "counter", name, help, samples };
}

function bit(value: boolean): number {
  return value ? 1 : 0;
}

/** The reading's fields under the NUT exporters' names: [name, field, divisor, help]; 100 turns % into a ratio. */
const NUT_VALUES: readonly [string, keyof Reading, number, string][] = [
  ["nut_battery_charge", "charge", 100, "Battery charge, 0-1 (battery.charge)"],
  [
    "nut_battery_charge_low",
    "chargeLow",
    100,
    "The UPS's low battery threshold, 0-1 (battery.charge.low)",
  ],
  [
    "nut_battery_runtime_seconds",
    "runtime",
    1,
    "Runtime left on battery as the UPS estimates it (battery.runtime)",
  ],
  [
    "nut_battery_runtime_low_seconds",
    "runtimeLow",
    1,
    "The UPS's low runtime threshold (battery.runtime.low)",
  ],
  [
    "nut_battery_voltage_volts",
    "batteryVoltage",
    1,
    "Battery voltage (battery.voltage)",
  ],
  [
    "nut_input_voltage_volts",
    "inputVoltage",
    1,
    "Input voltage (input.voltage)",
  ],
  [
    "nut_input_voltage_nominal_volts",
    "nominalVoltage",
    1,
    "Nominal input voltage (input.voltage.nominal)",
  ],
  [
    "nut_input_transfer_low_volts",
    "transferLow",
    1,
    "Input voltage below which the UPS goes on battery (input.transfer.low)",
  ],
  [
    "nut_input_transfer_high_volts",
    "transferHigh",
    1,
    "Input voltage above which the UPS goes on battery (input.transfer.high)",
  ],
  [
    "nut_input_frequency_hertz",
    "inputFrequency",
    1,
    "Input frequency (input.frequency)",
  ],
  [
    "nut_output_voltage_volts",
    "outputVoltage",
    1,
    "Output voltage (output.voltage)",
  ],
  ["nut_load", "load", 100, "Load, 0-1 of the UPS's capacity (ups.load)"],
  [
    "nut_temperature_celsius",
    "temperature",
    1,
    "UPS temperature (ups.temperature, else battery.temperature)",
  ],
];

/** The UPS's own values, as the NUT exporters name them. */
function nutFamilies(input: MetricsInput, ups: Labels): MetricFamily[] {
  const { reading, identity } = input;
  const families: MetricFamily[] = [];
  if (identity !== null) {
    families.push(gauge("nut_ups_info", "The UPS's make and model, value 1", [{
      labels: { ...ups, mfr: identity.mfr ?? "", model: identity.model ?? "" },
      value: 1,
    }]));
  }
  if (reading === null) return families;
  const { flags, other } = reading.status;
  families.push(gauge(
    "nut_ups_status",
    "1 for each flag of ups.status that is set, 0 for the other known flags",
    [
      ...STATUS_FLAGS.map((flag) => ({
        labels: { ...ups, flag },
        value: bit(flags.has(flag)),
      })),
      ...other.map((flag) => ({ labels: { ...ups, flag }, value: 1 })),
    ],
  ));
  for (const [name, field, divisor, help] of NUT_VALUES) {
    const value = valueOf(reading[field] as Value);
    families.push(gauge(name, help, [{
      labels: ups,
      value: value === null ? null : value / divisor,
    }]));
  }
  return families;
}

/** Seconds from ms, or null. */
function seconds(ms: number | null | undefined): number | null {
  return ms === null || ms === undefined ? null : ms / 1000;
}

/** Power state, triggers and budget: what the daemon makes of the readings. */
function powerFamilies(input: MetricsInput, ups: Labels): MetricFamily[] {
  const { snap } = input;
  const budget = snap.budget;
  const nearest = budget?.nearest_trigger ?? null;
  const left = budget?.time_left_s ?? null;
  const needed = budget?.needed_s ?? null;
  const fits = budget?.fits_at_full_charge ?? null;
  return [
    gauge(
      "ups_monitor_connection_state",
      "1 for the state of the link to upsd: ok, stale (upsd answers without data) or lost",
      (["ok", "stale", "lost"] as const).map((state) => ({
        labels: { ...ups, state },
        value: bit(snap.connection === state),
      })),
    ),
    gauge(
      "ups_monitor_consecutive_failed_polls",
      "Polls in a row without a valid reading",
      [{ labels: ups, value: snap.failures }],
    ),
    gauge(
      "ups_monitor_reading_age_seconds",
      "Age of the last valid reading: the nut_* values are that old",
      [{ labels: ups, value: seconds(snap.reading_age_ms) }],
    ),
    gauge("ups_monitor_on_battery", "1 while the UPS is on battery", [{
      labels: ups,
      value: bit(snap.on_battery),
    }]),
    gauge(
      "ups_monitor_on_battery_seconds",
      "Time on battery in the current outage, 0 on line power",
      [{ labels: ups, value: seconds(snap.on_battery_ms) ?? 0 }],
    ),
    gauge(
      "ups_monitor_armed",
      "1 while a shutdown trigger may fire (0 after a sequence until re-armed)",
      [{ labels: ups, value: bit(snap.armed) }],
    ),
    gauge(
      "ups_monitor_shutdown_running",
      "1 while a shutdown sequence or its rollback runs",
      [{ value: bit(input.sequenceRunning) }],
    ),
    gauge(
      "ups_monitor_nearest_trigger_seconds",
      "Time until the trigger nearest to firing at the current pace, on battery",
      nearest === null ? [] : [{
        labels: { ...ups, trigger: nearest.trigger },
        value: nearest.in_s,
      }],
    ),
    gauge(
      "ups_monitor_budget_time_left_seconds",
      "Time left on battery: the lower of battery.runtime and the projected discharge to triggers.low_battery",
      [{ labels: ups, value: left }],
    ),
    gauge(
      "ups_monitor_budget_time_needed_seconds",
      "Time the shutdown plan needs (learned step durations, else worst cases)",
      [{ labels: ups, value: needed }],
    ),
    gauge(
      "ups_monitor_budget_margin_seconds",
      "Time left minus time needed; the budget trigger fires at ups_monitor_budget_trigger_margin_seconds",
      [{
        labels: ups,
        value: left === null || needed === null ? null : left - needed,
      }],
    ),
    gauge(
      "ups_monitor_budget_trigger_margin_seconds",
      "triggers.budget.margin; absent while the budget trigger is off",
      [{ labels: ups, value: budget?.margin_s }],
    ),
    gauge(
      "ups_monitor_budget_fits_at_full_charge",
      "1 when the runtime at the last full charge covered time needed plus margin",
      [{ labels: ups, value: fits === null ? null : bit(fits) }],
    ),
  ];
}

/** A timing summary's median and max as seconds; none before it exists. */
function timingSeries(
  stats: TimingStats | null | undefined,
  ups: Labels,
): { labels: Labels; value: number }[] {
  if (stats === null || stats === undefined) return [];
  return [
    { labels: { ...ups, stat: "median" }, value: stats.median / 1000 },
    { labels: { ...ups, stat: "max" }, value: stats.max / 1000 },
  ];
}

/** The poll loop's own counters. */
function pollFamilies(input: MetricsInput, ups: Labels): MetricFamily[] {
  const { polls } = input;
  return [
    {
      type: "histogram",
      name: "ups_monitor_poll_duration_seconds",
      help:
        "Duration of each poll of upsd, from the request to the reply or the failure",
      series: [{
        labels: ups,
        bounds: POLL_BUCKETS_S,
        counts: polls.buckets,
        sum: polls.sumS,
      }],
    },
    gauge(
      "ups_monitor_poll_start_late_seconds",
      "How late the recent polls started against check_interval: median and max over the last 60 polls",
      timingSeries(input.timing?.jitter_ms, ups),
    ),
    gauge(
      "ups_monitor_poll_decide_seconds",
      "Time from a poll's reply to its decision (the power core's step and the events): median and max over the last 60 polls",
      timingSeries(input.timing?.decide_ms, ups),
    ),
    counter(
      "ups_monitor_poll_failures_total",
      "Polls without a valid reading, by kind",
      POLL_FAILURE_KINDS.map((kind) => ({
        labels: { ...ups, kind },
        value: polls.failures[kind],
      })),
    ),
  ];
}

/** Readiness, notification queues, the last sequence, the endpoint itself. */
function daemonFamilies(input: MetricsInput): MetricFamily[] {
  const last = input.lastSequence;
  return [
    gauge("ups_monitor_build_info", "The program's version, value 1", [{
      labels: { version: input.version },
      value: 1,
    }]),
    gauge(
      "ups_monitor_readiness_ready",
      "1 when the last readiness round found the step or channel ready",
      Object.entries(input.readiness).map(([check, state]) => ({
        labels: { check, title: state.title },
        value: bit(state.ready),
      })),
    ),
    gauge(
      "ups_monitor_notification_queue_depth",
      "Notifications queued or in flight, per channel",
      input.queues.map((q) => ({
        labels: { channel: q.channel },
        value: q.depth,
      })),
    ),
    counter(
      "ups_monitor_notifications_dropped_total",
      "Notifications dropped because the channel's queue was full",
      input.queues.map((q) => ({
        labels: { channel: q.channel },
        value: q.dropped,
      })),
    ),
    gauge(
      "ups_monitor_last_sequence_step_duration_seconds",
      "Measured duration of each completed step of the last shutdown sequence",
      (last?.steps ?? []).map((s) => ({
        labels: { step: s.id },
        value: s.ms / 1000,
      })),
    ),
    gauge(
      "ups_monitor_last_sequence_end_timestamp_seconds",
      "When the last shutdown sequence ended, Unix time",
      [{ value: seconds(last?.endWallMs) }],
    ),
    gauge(
      "ups_monitor_last_sequence_dry_run",
      "1 when the last shutdown sequence only logged its actions",
      [{ value: last === null ? null : bit(last.dryRun) }],
    ),
    counter(
      "ups_monitor_http_rejected_total",
      "Connections to this endpoint cut off or turned away, by reason",
      Object.entries(input.httpRejections).map(([reason, value]) => ({
        labels: { reason },
        value,
      })),
    ),
  ];
}

/**
 * Every metric family, in the order `/metrics` prints them.
 *
 * @param input What the daemon knows now.
 * @returns The families; render them with `renderMetrics`.
 */
export function metricFamilies(input: MetricsInput): MetricFamily[] {
  const perUps = [input, ...(input.others ?? [])].map((part) => {
    const each = { ...input, ...part };
    const ups = { ups: part.ups };
    return [
      ...nutFamilies(each, ups),
      ...powerFamilies(each, ups),
      ...pollFamilies(each, ups),
    ];
  });
  return [...mergeFamilies(perUps), ...daemonFamilies(input)];
}

/**
 * One family per name, its samples (or series) from every list in order:
 * the text format allows each family once.
 */
function mergeFamilies(lists: readonly MetricFamily[][]): MetricFamily[] {
  const byName = new Map<string, MetricFamily>();
  for (const family of lists.flat()) {
    const seen = byName.get(family.name);
    if (seen === undefined) byName.set(family.name, family);
    else if (seen.type === "histogram" && family.type === "histogram") {
      byName.set(family.name, {
        ...seen,
        series: [...seen.series, ...family.series],
      });
    } else if (seen.type !== "histogram" && family.type !== "histogram") {
      byName.set(family.name, {
        ...seen,
        samples: [...seen.samples, ...family.samples],
      });
    }
  }
  return [...byName.values()];
}

export { type LastSequence, lastSequenceOf } from "./last_sequence.ts";
