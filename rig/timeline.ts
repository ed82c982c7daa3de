/**
 * A profile's timeline: expanded into single actions (ramps become one SET
 * per step), then played against upsd in real time, recording when each
 * action took effect and every value the rig served.
 *
 * @module
 */
import type { Fault, TimelineEntry } from "./profile.ts";
import { RIG_UPS } from "./profile_upses.ts";

/**
 * One thing to do at one time. `ups` names the UPS a set or fault acts on
 * when its entry named one; without it, the first UPS.
 */
export type Action =
  | { atMs: number; kind: "set"; values: Record<string, string>; ups?: string }
  | { atMs: number; kind: "fault"; fault: Fault; ups?: string }
  | { atMs: number; kind: "mark"; name: string };

/**
 * Expands a timeline into actions ordered by time; entries at the same time
 * keep their file order, and inside one entry set, ramp, fault and mark come
 * in that order (a mark names the moment its values were accepted).
 *
 * @param entries The profile's timeline.
 * @returns The actions, sorted by `atMs`.
 */
export function expandTimeline(entries: readonly TimelineEntry[]): Action[] {
  const actions: { action: Action; order: number }[] = [];
  const push = (action: Action) =>
    actions.push({ action, order: actions.length });
  for (const entry of entries) {
    const ups = entry.ups === undefined ? {} : { ups: entry.ups };
    if (entry.set) {
      push({ atMs: entry.at, kind: "set", values: { ...entry.set }, ...ups });
    }
    if (entry.ramp) {
      const { var: name, from, to, over, step } = entry.ramp;
      const count = Math.floor(over / step);
      for (let i = 0; i <= count; i++) {
        const offset = i === count ? over : i * step;
        const value = from + (to - from) * offset / over;
        push({
          atMs: entry.at + offset,
          kind: "set",
          values: { [name]: formatNumber(value) },
          ...ups,
        });
      }
    }
    if (entry.fault) {
      push({ atMs: entry.at, kind: "fault", fault: entry.fault, ...ups });
    }
    if (entry.mark) push({ atMs: entry.at, kind: "mark", name: entry.mark });
  }
  actions.sort((a, b) => a.action.atMs - b.action.atMs || a.order - b.order);
  return actions.map((item) => item.action);
}

/**
 * A number as dummy-ups serves it: at most one decimal, no trailing zero.
 *
 * @param value The number.
 * @returns E.g. `"42"` or `"41.5"`.
 */
export function formatNumber(value: number): string {
  return String(Math.round(value * 10) / 10);
}

/**
 * What plays the actions: the admin connections and the servers' faults.
 * `ups` is the action's UPS, undefined for the first.
 */
export interface TimelineDriver {
  /** SETs the variables at the upsd of the UPS. */
  set(values: Record<string, string>, ups?: string): Promise<void>;
  /** Causes a fault at the upsd of the UPS (or elsewhere: NAS, fleet). */
  fault(fault: Fault, ups?: string): Promise<void>;
}

/** One action as it happened. */
export interface Played {
  /** The action. */
  action: Action;
  /** When it took effect at upsd (its reply came), ms since the start. */
  doneMs: number;
  /** Why it failed, when it did. */
  error?: string;
}

/** A timeline as played. */
export interface PlayedTimeline {
  /** Every action that ran, in order. */
  played: Played[];
  /** When each mark was reached, ms since the start (`start` is 0). */
  marks: Record<string, number>;
}

/**
 * Plays the actions in real time from `startMs` until they are done or the
 * signal aborts. A failed action is recorded and the timeline goes on.
 *
 * @param actions From {@linkcode expandTimeline}.
 * @param driver Carries out sets and faults.
 * @param options `startMs` (a `performance.now()` time) and the abort signal.
 * @returns What was played; `played` grows while it runs.
 */
export function playTimeline(
  actions: readonly Action[],
  driver: TimelineDriver,
  options: { startMs: number; signal: AbortSignal },
): { result: PlayedTimeline; done: Promise<void> } {
  const result: PlayedTimeline = { played: [], marks: { start: 0 } };
  const { startMs, signal } = options;
  const done = (async () => {
    for (const action of actions) {
      const wait = startMs + action.atMs - performance.now();
      if (wait > 0) await sleep(wait, signal);
      if (signal.aborted) return;
      let error: string | undefined;
      try {
        if (action.kind === "set") await driver.set(action.values, action.ups);
        if (action.kind === "fault") {
          await driver.fault(action.fault, action.ups);
        }
      } catch (caught) {
        error = caught instanceof Error ? caught.message : String(caught);
      }
      const doneMs = performance.now() - startMs;
      if (action.kind === "mark") result.marks[action.name] = doneMs;
      result.played.push({ action, doneMs, ...(error ? { error } : {}) });
    }
  })();
  return { result, done };
}

/**
 * Resolves after `ms`, or at once when the signal aborts.
 *
 * @param ms Delay in milliseconds.
 * @param signal Ends the wait early.
 * @returns When the time is up or the signal aborted.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
  });
}

/** A point of a value series: time in ms since the start, and the value. */
export interface Point {
  /** ms since the start. */
  t: number;
  /** The value. */
  v: number;
}

/**
 * The series of one variable as the rig served it: the initial value at 0,
 * then each successful SET at the time upsd accepted it.
 *
 * @param name The variable, e.g. `battery.charge`.
 * @param initial The profile's initial values.
 * @param played The played actions.
 * @param ups The UPS whose SETs count (those of `initial`). @default "rig"
 * @returns The points, or an empty list when the variable is never numeric.
 */
export function seriesOf(
  name: string,
  initial: Readonly<Record<string, string>>,
  played: readonly Played[],
  ups: string = RIG_UPS,
): Point[] {
  const points: Point[] = [];
  const first = Number(initial[name]);
  if (initial[name] !== undefined && Number.isFinite(first)) {
    points.push({ t: 0, v: first });
  }
  for (const { action, doneMs, error } of played) {
    if (action.kind !== "set" || error !== undefined) continue;
    if ((action.ups ?? RIG_UPS) !== ups) continue;
    const value = action.values[name];
    if (value !== undefined && Number.isFinite(Number(value))) {
      points.push({ t: doneMs, v: Number(value) });
    }
  }
  return points;
}
