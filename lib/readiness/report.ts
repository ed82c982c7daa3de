/**
 * Readiness as `status` shows it: read back from the daemon's state file
 * (where the daemon keeps the last round) and rendered per check: ready or
 * not, why, and since when. Pure.
 *
 * @pure
 * @module
 */
import { z } from "../schema/mod.ts";
import type { ReadinessState } from "./state.ts";

const STATE_SCHEMA = z.record(
  z.string(),
  z.object({
    title: z.string(),
    ready: z.boolean(),
    detail: z.string(),
    sinceMs: z.number(),
    checkedMs: z.number(),
  }),
);

/**
 * The readiness part of the daemon's state file.
 *
 * @param stateFile The parsed state file, whatever it holds.
 * @returns The readiness state, or null when the file has none (an older
 *   daemon, readiness disabled, or no round yet).
 */
export function readinessOf(stateFile: unknown): ReadinessState | null {
  if (typeof stateFile !== "object" || stateFile === null) return null;
  const parsed = STATE_SCHEMA.safeParse(
    (stateFile as Record<string, unknown>)["readiness"],
  );
  return parsed.success && Object.keys(parsed.data).length > 0
    ? parsed.data
    : null;
}

/**
 * Lines for `status`: a heading with the counts, then one line per check.
 *
 * @param state The readiness state, or null when unknown.
 * @param nowMs Wall-clock now, ms (for "since" ages).
 * @param why What to say when the state is unknown.
 * @returns Text lines, indented like the rest of `status`.
 */
export function readinessLines(
  state: ReadinessState | null,
  nowMs: number,
  why: string,
): string[] {
  if (state === null) return [`  readiness    unknown: ${why}`];
  const checks = Object.values(state);
  const notReady = checks.filter((c) => !c.ready).length;
  const checkedMs = Math.max(...checks.map((c) => c.checkedMs));
  const width = Math.max(...checks.map((c) => c.title.length));
  return [
    `  readiness    ${
      notReady === 0
        ? `all ${checks.length} checks ready`
        : `${notReady} of ${checks.length} checks NOT READY`
    } (checked ${age(nowMs - checkedMs)} ago)`,
    ...checks.map((c) =>
      `    ${c.title.padEnd(width)}  ${
        c.ready ? "ready" : `NOT READY for ${age(nowMs - c.sinceMs)}`
      }: ${c.detail}`
    ),
  ];
}

/** A short age: `45 s`, `12 min`, `3 h 5 min`, `2 d 4 h`. */
export function age(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const min = Math.floor(s / 60);
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  if (h < 48) return `${h} h ${min % 60} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}
