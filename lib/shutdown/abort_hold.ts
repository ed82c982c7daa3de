/**
 * When a running sequence may be aborted: the UPS has reported line power
 * (OL, and neither OB, FSD nor LB) on every poll for `shutdown.abort.hold`.
 * A failed poll or any other reading starts the hold again. Pure.
 *
 * @pure
 * @module
 */
import type { PollInput } from "../power/state.ts";

/**
 * Since when the power has been back without a break.
 *
 * @param since The previous value (monotonic ms), or null.
 * @param input This poll.
 * @param monoMs Monotonic now, ms.
 * @returns The start of the unbroken line power, or null.
 */
export function lineHoldSince(
  since: number | null,
  input: PollInput,
  monoMs: number,
): number | null {
  if (input.kind !== "reading") return null;
  const flags = input.reading.status.flags;
  const clean = flags.has("OL") && !flags.has("OB") && !flags.has("FSD") &&
    !flags.has("LB");
  return clean ? since ?? monoMs : null;
}

/**
 * Whether the line power has lasted the hold.
 *
 * @param since From {@linkcode lineHoldSince}.
 * @param monoMs Monotonic now, ms.
 * @param holdMs `shutdown.abort.hold`, ms.
 * @returns True once the hold has passed.
 */
export function holdReached(
  since: number | null,
  monoMs: number,
  holdMs: number,
): boolean {
  return since !== null && monoMs - since >= holdMs;
}
