/**
 * The budget part of `ups-monitor status`: time left on battery against the
 * time the shutdown plan needs, in words and as JSON.
 *
 * @module
 */
import type { BudgetSnapshot } from "../power/snapshot.ts";

function minutes(seconds: number): string {
  return seconds >= 60
    ? `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`
    : `${Math.round(seconds)} s`;
}

/**
 * The budget in words: time left and needed, the nearest trigger, the fit at
 * full charge.
 *
 * @param budget The budget of the reading.
 * @returns Lines for `status`.
 */
export function budgetLines(budget: BudgetSnapshot): string[] {
  const lines: string[] = [];
  const s = (value: number | null) =>
    value === null ? "unknown" : minutes(value);
  if (budget.time_left_s !== null || budget.runtime_s !== null) {
    lines.push(
      `  time left    ${s(budget.time_left_s)} (runtime ${
        s(budget.runtime_s)
      }, projected ${s(budget.projected_s)})`,
    );
  }
  if (budget.needed_s !== null) {
    lines.push(
      `  time needed  ${minutes(budget.needed_s)}${
        budget.margin_s === null
          ? " (budget trigger off)"
          : ` (margin ${minutes(budget.margin_s)})`
      }`,
    );
  }
  const nearest = budget.nearest_trigger;
  if (nearest !== null) {
    lines.push(`  nearest      ${nearest.trigger} in ${minutes(nearest.in_s)}`);
  }
  if (budget.fits_at_full_charge !== null) {
    lines.push(
      `  full charge  ${
        budget.fits_at_full_charge ? "covers" : "no longer covers"
      } the time needed + margin`,
    );
  }
  return lines;
}

/**
 * The budget of this reading; the fit at full charge is the live daemon's
 * (it saw the last full charge), else this reading's.
 *
 * @param budget The budget of this reading.
 * @param stateFile The live daemon's parsed state file, or null.
 * @returns The budget to show.
 */
export function budgetNow(
  budget: BudgetSnapshot | null,
  stateFile: unknown,
): BudgetSnapshot | null {
  if (budget === null) return budget;
  const fits = (stateFile as { budget?: Record<string, unknown> } | null)
    ?.budget?.["fits_at_full_charge"];
  return typeof fits === "boolean"
    ? { ...budget, "fits_at_full_charge": fits }
    : budget;
}
