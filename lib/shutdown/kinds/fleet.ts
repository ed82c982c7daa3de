/**
 * The fleet step kind, pure side: a NUT primary's first act. It sets FSD on
 * the UPS at upsd, so every secondary (stock upsmon, NAS, hypervisors) starts
 * its shutdown now, then waits up to `ups.hostsync` for them to log out
 * before this host's own steps run (upsmon's HOSTSYNC). Planned when the
 * host is primary for at least one UPS; a secondary has no such step.
 *
 * @module
 * @pure
 */
import { formatDuration } from "../../config/duration.ts";
import { upsNameOf } from "../../config/ups_address.ts";
import { plannedStep, type PureStepKind } from "./kind.ts";

/** Time between two `LIST CLIENT` reads while waiting, as upsmon polls NUMLOGINS. */
export const FLEET_POLL_MS = 250;

/** Sets FSD and waits for the other clients of the UPS to log out. */
export const fleetKind: PureStepKind = {
  // FSD latches at upsd until it restarts, and the secondaries it reached
  // are shutting down: nothing an abort could undo.
  reversible: false,
  plan(config) {
    const primaries = config.upses.filter((ups) => ups.role === "primary");
    if (primaries.length === 0) return { steps: [] };
    const dry = config.shutdown.dry_run ? " (dry-run: logged, not sent)" : "";
    const step = plannedStep(
      {
        id: "fleet",
        kind: "fleet",
        title: "FSD to the other hosts",
        enabled: true,
      },
      {
        // The UPSes in parallel: the longest wait, plus FSD and the last
        // read, each perhaps queued behind a poll on the same connection.
        worstCaseMs: Math.max(
          ...primaries.map((ups) => ups.hostsync + 4 * ups.reply_timeout),
        ),
        details: primaries.flatMap((ups) => {
          const name = upsNameOf(ups.name);
          return [
            `FSD ${name} at upsd${dry}`,
            `wait up to ${
              formatDuration(ups.hostsync)
            } (ups.hostsync) for the other clients of ${name} to log out`,
          ];
        }),
      },
    );
    return { steps: [step] };
  },
  needs() {
    // upsd is the monitor's own server: nothing beyond what polling needs.
    return [];
  },
};

/** Who else is logged in to the UPS. */
export interface OtherClients {
  /** How many other logins there are. */
  count: number;
  /**
   * Their addresses; when this host's own entry could not be told apart
   * (upsd sees it behind NAT), every listed address, this host's included.
   */
  names: string[];
  /** Whether `names` includes this host's own entry. */
  includesOwn: boolean;
}

/**
 * The other clients of the UPS: upsd's `LIST CLIENT` without this host's
 * own login.
 *
 * @param listed The addresses upsd lists, one per login.
 * @param own This host's address on its connection when it is logged in,
 *   null when it is not.
 * @returns The others.
 */
export function otherClients(
  listed: readonly string[],
  own: string | null,
): OtherClients {
  if (own === null) {
    return { count: listed.length, names: [...listed], includesOwn: false };
  }
  const count = Math.max(0, listed.length - 1);
  const index = listed.indexOf(own);
  if (index < 0) return { count, names: [...listed], includesOwn: count > 0 };
  const names = listed.filter((_, i) => i !== index);
  return { count, names, includesOwn: false };
}

/**
 * The result line of the wait.
 *
 * @param about The UPS, the wait and who is left.
 * @returns E.g. `2 other clients logged out of "rig" in 3.1 s after FSD`.
 */
export function fleetSummary(about: {
  ups: string;
  before: number;
  left: OtherClients;
  waitedMs: number;
  hostsyncMs: number;
}): string {
  const { ups, before, left, waitedMs, hostsyncMs } = about;
  if (left.count > 0) {
    return `hostsync "${formatDuration(hostsyncMs)}" passed with ${
      plural(left.count, "other client")
    } still logged in to "${ups}": ${left.names.join(", ")}${
      left.includesOwn ? " (this host among them, seen through NAT)" : ""
    }`;
  }
  if (before === 0) return `No other client was logged in to "${ups}"`;
  return `${plural(before, "other client")} logged out of "${ups}" in ${
    (waitedMs / 1000).toFixed(1)
  } s after FSD`;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}
