/**
 * The rig's view of a fleet from upsd: every ~200 ms `LIST CLIENT <ups>`
 * (who is logged in, by address) and `ups.status` (when FSD appeared), on a
 * connection of its own that never logs in, so it is never listed itself.
 *
 * @module
 */
import { errorMessage } from "../lib/errors.ts";
import type { NutClient } from "../lib/nut/client.ts";
import type { Clock } from "../lib/system/clock.ts";

/** A login that began or ended, as `LIST CLIENT` showed it. */
export interface ClientChange {
  /** Monotonic ms of the poll that saw it (the change came before). */
  at: number;
  /** The client's address. */
  address: string;
  /** `login`: one more login from the address; `logout`: one fewer. */
  change: "login" | "logout";
}

/** What the observer saw. */
export interface ClientObservation {
  /** Every change, by time; the logins present at the first poll included. */
  changes: ClientChange[];
  /** Monotonic ms of the first poll that read FSD in `ups.status`. */
  fsdAt: number | null;
  /** Addresses logged in at the last poll, one per login. */
  present: string[];
  /** Polls that completed. */
  polls: number;
  /** The last error of a failed poll, if any. */
  lastError: string | null;
}

/**
 * The changes between two `LIST CLIENT` readings (one address per login:
 * two logins from one host show twice).
 *
 * @param before The earlier reading.
 * @param after The later reading.
 * @param at When the later one was read.
 * @returns Logouts first, then logins, each by address.
 */
export function diffClients(
  before: readonly string[],
  after: readonly string[],
  at: number,
): ClientChange[] {
  const count = (list: readonly string[]) => {
    const counts = new Map<string, number>();
    for (const address of list) {
      counts.set(address, (counts.get(address) ?? 0) + 1);
    }
    return counts;
  };
  const was = count(before);
  const is = count(after);
  const changes: ClientChange[] = [];
  for (const [address, n] of was) {
    for (let i = is.get(address) ?? 0; i < n; i++) {
      changes.push({ at, address, change: "logout" });
    }
  }
  for (const [address, n] of is) {
    for (let i = was.get(address) ?? 0; i < n; i++) {
      changes.push({ at, address, change: "login" });
    }
  }
  return changes;
}

/** Options of {@linkcode observeClients}. */
export interface ObserverOptions {
  /** The UPS. */
  ups: string;
  /** Time between the starts of two polls, ms. @default 200 */
  intervalMs?: number;
  /** Clock of the polls and their times. */
  clock: Clock;
}

/** A running observer. */
export interface ClientObserver {
  /** What it has seen so far (a snapshot). */
  seen(): ClientObservation;
  /**
   * Waits until each address is logged in at least once.
   *
   * @returns Whether they all were before `timeoutMs`.
   */
  waitForLogins(
    addresses: readonly string[],
    timeoutMs: number,
  ): Promise<boolean>;
  /** Stops polling and returns what it saw. */
  stop(): Promise<ClientObservation>;
}

/**
 * Starts polling. A failed poll is counted as nothing seen (the previous
 * reading stays), so a short upsd outage does not show as logouts.
 *
 * @param client A client of the UPS's upsd that does not log in.
 * @param options UPS, interval and clock.
 * @returns The observer.
 */
export function observeClients(
  client: NutClient,
  options: ObserverOptions,
): ClientObserver {
  const { clock, ups, intervalMs = 200 } = options;
  const stopping = new AbortController();
  const state: ClientObservation = {
    changes: [],
    fsdAt: null,
    present: [],
    polls: 0,
    lastError: null,
  };
  const pollOnce = async () => {
    const clients = await client.listClients(ups);
    const status = await client.getVar("ups.status", ups).catch(() => "");
    const at = clock.monotonic();
    state.changes.push(...diffClients(state.present, clients, at));
    state.present = clients;
    if (state.fsdAt === null && /(^|\s)FSD(\s|$)/.test(status)) {
      state.fsdAt = at;
    }
    state.polls++;
  };
  const loop = (async () => {
    while (!stopping.signal.aborted) {
      const began = clock.monotonic();
      await pollOnce().catch((error: unknown) => {
        state.lastError = errorMessage(error);
      });
      const rest = intervalMs - (clock.monotonic() - began);
      await clock.sleep(Math.max(0, rest), stopping.signal).catch(() => {
        // Stopped while sleeping: the loop ends.
      });
    }
  })();
  const snapshot = () => ({
    ...state,
    changes: [...state.changes],
    present: [...state.present],
  });
  return {
    seen: snapshot,
    async waitForLogins(addresses, timeoutMs) {
      const end = clock.monotonic() + timeoutMs;
      while (clock.monotonic() < end) {
        if (addresses.every((a) => state.present.includes(a))) return true;
        await clock.sleep(Math.min(intervalMs, end - clock.monotonic()));
      }
      return addresses.every((a) => state.present.includes(a));
    },
    async stop() {
      stopping.abort();
      await loop;
      return snapshot();
    },
  };
}
