/**
 * Whether the depletion trigger can ever fire: it waits for
 * `triggers.depletion.min_samples` readings inside its window, and the
 * window holds only as many as the poll interval puts there. A config that
 * asks for more would leave the trigger silently dead. Pure.
 *
 * @module
 * @pure
 */
import { formatDuration } from "./duration.ts";

/**
 * The most readings a depletion window can hold at one poll per interval.
 * The window keeps a sample exactly `windowMs` old (`trimHistory()` in
 * `lib/power/history.ts` drops only older ones), so it holds the first
 * sample plus one per whole interval that fits in it.
 *
 * @param windowMs `triggers.depletion.window`, ms (> 0).
 * @param intervalMs `ups.check_interval`, ms (> 0).
 * @returns `floor(windowMs / intervalMs) + 1`.
 */
export function samplesInWindow(windowMs: number, intervalMs: number): number {
  return Math.floor(windowMs / intervalMs) + 1;
}

/**
 * Why `min_samples` can never be reached, with the arithmetic, or `null`.
 *
 * @param minSamples `triggers.depletion.min_samples`.
 * @param timing `windowMs`: `triggers.depletion.window`; `intervalMs`:
 *   `ups.check_interval`; both ms.
 * @returns The message for the `min_samples` key, or `null` when it fits.
 */
export function minSamplesProblem(
  minSamples: number,
  timing: { windowMs: number; intervalMs: number },
): string | null {
  const { windowMs, intervalMs } = timing;
  const most = samplesInWindow(windowMs, intervalMs);
  if (minSamples <= most) return null;
  const window = formatDuration(windowMs);
  const interval = formatDuration(intervalMs);
  const intervals = most - 1;
  // What would fit: a window of (min - 1) intervals, or an interval of
  // window / (min - 1), in whole seconds where that is above zero.
  const longer = formatDuration((minSamples - 1) * intervalMs);
  const exact = Math.floor(windowMs / (minSamples - 1));
  const shorter = formatDuration(
    exact >= 1000 ? Math.floor(exact / 1000) * 1000 : exact,
  );
  const fix = `${
    most >= 2 ? `set min_samples to ${most} or less, ` : ""
  }lengthen triggers.depletion.window to at least "${longer}" or shorten ups.check_interval to at most "${shorter}"`;
  return `${minSamples} samples cannot fit in the window "${window}" at one poll every "${interval}" (at most ${most}: ${intervals} whole ${
    intervals === 1 ? "interval fits" : "intervals fit"
  } in it, plus the first sample), so the depletion trigger could never fire; ${fix}`;
}
