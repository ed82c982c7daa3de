/**
 * Durations of the config: a number of seconds (`90`) or a string with units
 * (`"90s"`, `"15m"`, `"1h30m"`, `"500ms"`), largest unit first and each unit
 * once. Pure.
 *
 * @pure
 * @module
 */

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

const PART = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;
const WHOLE = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h))+$/;

/**
 * Parses a duration into milliseconds.
 *
 * @param value A number of seconds, or a string such as `"90"`, `"90s"`, `"15m"`.
 * @returns Milliseconds, or `null` when the value is not a duration (units
 *   repeated or out of order included).
 */
export function parseDuration(value: unknown): number | null {
  if (typeof value === "number") {
    return Number.isFinite(value) && value >= 0
      ? Math.round(value * 1000)
      : null;
  }
  if (typeof value !== "string") return null;
  const text = value.trim();
  if (/^\d+(?:\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  if (!WHOLE.test(text)) return null;
  let total = 0;
  let previous = Infinity;
  for (const [, amount, unit] of text.matchAll(PART)) {
    const size = UNIT_MS[unit ?? "s"] ?? 1000;
    // Largest unit first, each once: "1h1h" or "30m1h" is a typo, not 2h.
    if (size >= previous) return null;
    previous = size;
    total += Number(amount) * size;
  }
  return Math.round(total);
}

/**
 * Formats milliseconds the way a user would write them in the config.
 *
 * @param ms A duration in milliseconds.
 * @returns For example `"90s"`, `"15m"`, `"1m30s"` or `"250ms"`.
 */
export function formatDuration(ms: number): string {
  if (ms % 1000 !== 0) return `${ms}ms`;
  let seconds = ms / 1000;
  if (seconds === 0) return "0s";
  const parts: string[] = [];
  for (const [unit, size] of [["h", 3600], ["m", 60], ["s", 1]] as const) {
    if (seconds >= size) {
      parts.push(`${Math.floor(seconds / size)}${unit}`);
      seconds %= size;
    }
  }
  return parts.join("");
}
