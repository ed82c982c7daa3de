/**
 * Watches the crisis flag while crisis mode holds the triggers: a flag this
 * daemon saw and then finds gone was removed by hand (the seed's way out of
 * crisis mode), which re-arms. Only a flag seen in this hold counts: if
 * writing it failed, its absence must not run the sequence again in the
 * same outage. Runs on the injected clock.
 *
 * @module
 */
import { crisisState } from "../shutdown/crisis.ts";
import type { CrisisController } from "../shutdown/crisis_controller.ts";
import type { Clock } from "../system/clock.ts";

/**
 * Polls the flag every `intervalMs` until `signal` aborts.
 *
 * @param path The flag file.
 * @param crisis The daemon's crisis mode; hears `flag_removed`.
 * @param clock Paces the polls.
 * @param intervalMs Milliseconds between two looks.
 * @param signal Ends the watch with the session.
 */
export async function watchFlag(
  path: string,
  crisis: CrisisController,
  clock: Clock,
  intervalMs: number,
  signal: AbortSignal,
): Promise<void> {
  let seen = false;
  while (!signal.aborted) {
    const { mode } = crisis.mode;
    if (mode !== "done" && mode !== "held") {
      // Nothing to watch: no timer until crisis mode changes (idle wake-ups).
      seen = false;
      await crisis.modeChange(signal);
      continue;
    }
    const slept = await clock.sleep(intervalMs, signal).then(
      () => true,
      () => false,
    );
    if (!slept) return;
    if (crisis.mode.mode !== mode) continue;
    // An unreadable flag is reported at the next start, when it is archived.
    const found = await crisisState(path).catch(() => null);
    if (found === null) continue;
    if (found.state !== "armed") {
      seen = true;
    } else if (seen) {
      seen = false;
      await crisis.dispatch({ kind: "flag_removed" });
    }
  }
}
