/**
 * The `triggers` section of the config: when to shut down (first match
 * wins) and the power-quality warnings. Pure.
 *
 * @pure
 * @module
 */
import { z } from "../schema/mod.ts";
import { count, duration, finiteNumber } from "./schema_fields.ts";
/** The `triggers` section. */
export const triggersSchema = z.strictObject({
  "low_battery": finiteNumber().min(0).max(100).default(20).describe(
    "Shut down when the battery charge (%) on battery falls below this. Default 20.",
  ),
  "critical_runtime": duration(
    "Shut down when the runtime the UPS reports on battery falls below this.",
    "10m",
  ),
  "persistence_polls": count(
    "Consecutive polls a charge or runtime condition must hold before it triggers (one odd sample never shuts down).",
    1,
    100,
    3,
  ),
  "obey_fsd_at_start": z.boolean().default(false).describe(
    "Obey an FSD flag already latched in upsd when the monitor starts while the UPS is on line power. Off by default, so a host does not boot into its own shutdown. Default false.",
  ),
  depletion: z.strictObject({
    "critical_rate": finiteNumber().positive().default(15).describe(
      "Shut down when the charge falls faster than this many %/min. Default 15.",
    ),
    window: duration(
      "Span of battery history the rate is computed over.",
      "5m",
    ),
    "grace_period": duration(
      "Time on battery before the depletion rate is trusted.",
      "90s",
      { zero: true },
    ),
    "min_samples": count(
      "Readings in the window needed before the rate is trusted; at most window / ups.check_interval + 1 (a config error otherwise).",
      2,
      100_000,
      30,
    ),
  }).prefault({}).describe("The depletion-rate trigger."),
  "extended_time": z.strictObject({
    enabled: z.boolean().default(true).describe(
      "Shut down after a fixed time on battery, whatever the battery says. Default true.",
    ),
    after: duration("Time on battery after which to shut down.", "15m"),
  }).prefault({}).describe(
    "The safety net against wrong battery estimates and worn batteries.",
  ),
  budget: z.strictObject({
    enabled: z.boolean().default(true).describe(
      "Shut down when the time left on the battery minus the time the shutdown plan needs is at most the margin. Default true.",
    ),
    margin: duration(
      "Time to spare between the time left on the battery and the time the plan needs.",
      "2m",
      { zero: true },
    ),
  }).prefault({}).describe(
    "The budget trigger: time left on the battery (the pessimistic of battery.runtime and the observed discharge down to low_battery) against the time the plan needs (learned step durations, else worst cases).",
  ),
  voltage: z.strictObject({
    brownout: finiteNumber().positive().nullable().default(null).describe(
      "Input voltage (V) below which a brownout is reported. Default: nominal - margin, kept inside input.transfer.low/high.",
    ),
    overvoltage: finiteNumber().positive().nullable().default(null).describe(
      "Input voltage (V) above which over-voltage is reported. Default: nominal + margin, kept inside input.transfer.low/high.",
    ),
    "margin_percent": finiteNumber().min(1).max(50).default(10).describe(
      "Margin around the nominal voltage for the derived thresholds, in %. Default 10.",
    ),
  }).prefault({}).describe(
    "Power-quality warnings (no shutdown): thresholds for brownout and over-voltage.",
  ),
}).prefault({}).describe(
  "When to shut down (first match wins) and what to warn about.",
);

/** The validated triggers; durations in ms. */
export type Triggers = z.output<typeof triggersSchema>;

/**
 * The triggers of one UPS: the top-level ones under its overrides.
 *
 * @param base The top-level triggers.
 * @param overrides The UPS's validated overrides (any subset), or none.
 * @returns The merged triggers; `base` itself without overrides.
 */
export function mergeTriggers(
  base: Triggers,
  overrides: Readonly<Record<string, unknown>> | undefined,
): Triggers {
  if (overrides === undefined) return base;
  return mergeObjects(base, overrides) as Triggers;
}

/**
 * What a UPS's triggers change from the top-level ones.
 *
 * @param base The top-level triggers.
 * @param merged The UPS's triggers.
 * @returns The keys that differ (nested objects by key); undefined for none.
 */
export function triggerOverrides(
  base: Triggers,
  merged: Triggers,
): Record<string, unknown> | undefined {
  return differences(base, merged);
}

function differences(
  base: Readonly<Record<string, unknown>>,
  other: Readonly<Record<string, unknown>>,
): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(other)) {
    const under = base[key];
    if (isPlainObject(value) && isPlainObject(under)) {
      const nested = differences(under, value);
      if (nested !== undefined) out[key] = nested;
    } else if (value !== under) {
      out[key] = value;
    }
  }
  return Object.keys(out).length === 0 ? undefined : out;
}

function mergeObjects(
  base: Readonly<Record<string, unknown>>,
  over: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    if (value === undefined) continue;
    const under = base[key];
    out[key] = isPlainObject(value) && isPlainObject(under)
      ? mergeObjects(under, value)
      : value;
  }
  return out;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
