/**
 * The fleet step of a NUT primary: `FSD <ups>` at upsd on the monitor's
 * logged-in connection, so every secondary starts its shutdown now, then
 * `LIST CLIENT` every 250 ms until only this host's login is left or
 * `ups.hostsync` has passed (upsmon polls NUMLOGINS the same way; LIST
 * CLIENT also answers while the driver is stale, and names who is left).
 * The sequence goes on either way: this host must still shut down.
 *
 * @module
 */
import { errorMessage } from "../../errors.ts";
import { NutError } from "../../nut/errors.ts";
import {
  FLEET_POLL_MS,
  fleetSummary,
  type OtherClients,
  otherClients,
} from "../kinds/fleet.ts";
import type { PlannedStep } from "../plan.ts";
import type { FleetLink, StepContext, StepOutcome } from "../step.ts";

/**
 * Runs the fleet step: every UPS this host is primary for at once.
 *
 * @param context Collaborators; `fleet` holds the monitor's links to upsd.
 * @param _step The planned step.
 * @returns Done when every other client logged out (or none was there);
 *   timeout when some were still logged in after `ups.hostsync` (named);
 *   failed when FSD was refused or the clients could not be listed. With
 *   several UPSes the worst of them, every summary joined.
 */
export async function fleetStep(
  context: StepContext,
  _step: PlannedStep,
): Promise<StepOutcome> {
  const links = context.fleet ?? [];
  if (links.length === 0) {
    return failed("No connection to upsd to set FSD with");
  }
  const outcomes = await Promise.all(
    links.map((link) => fleetOfUps(context, link)),
  );
  if (outcomes.length === 1) return outcomes[0]!;
  const rank = { done: 0, timeout: 1, failed: 2 } as const;
  const worst = outcomes.reduce((a, b) =>
    rank[b.status] > rank[a.status] ? b : a
  );
  return {
    status: worst.status,
    summary: outcomes.map((outcome) => outcome.summary).join("; "),
    details: outcomes.flatMap((outcome) => outcome.details),
  };
}

/** FSD on one UPS, then the wait for its other clients. */
async function fleetOfUps(
  context: StepContext,
  link: FleetLink,
): Promise<StepOutcome & { status: "done" | "timeout" | "failed" }> {
  const { ups } = link;
  if (context.runner.dryRun) {
    // Read-only: who would be told.
    const listed = await others(link).then(whoText, () => "the other clients");
    context.action(
      `Would set FSD on "${ups}" at upsd so that ${listed} shut down`,
      { ups },
    );
    return { status: "done", summary: "FSD logged (dry-run)", details: [] };
  }
  // FSD first, as upsmon does: every secondary starts at once.
  context.action(
    `Setting FSD on "${ups}" so that the other clients shut down`,
    {
      ups,
    },
  );
  try {
    await link.fsd();
  } catch (error) {
    return failed(`${errorMessage(error)}${fsdFix(error, link.user)}`);
  }
  const started = context.clock.monotonic();
  let before: OtherClients | null = null;
  try {
    before = await others(link);
    context.logger.info(
      "fleet.fsd_set",
      `FSD set on "${ups}": ${whoText(before)} logged in`,
      { ups, clients: before.names.join(",") },
    );
  } catch (error) {
    context.logger.warning(
      "fleet.clients_unknown",
      `Cannot list the clients of "${ups}": ${errorMessage(error)}`,
    );
  }
  return await waitForLogouts(context, link, { started, before });
}

/**
 * Lists the clients until only this host is left or hostsync passes,
 * counted from FSD.
 */
async function waitForLogouts(
  context: StepContext,
  link: FleetLink,
  since: { started: number; before: OtherClients | null },
): Promise<StepOutcome & { status: "done" | "timeout" | "failed" }> {
  const { clock } = context;
  const { ups, hostsyncMs } = link;
  const { started } = since;
  const before = since.before?.count ?? 0;
  // The listing made right after FSD is the wait's first look.
  let seen = since.before;
  for (;;) {
    let left: OtherClients;
    try {
      left = seen ?? await others(link);
      seen = null;
    } catch (error) {
      // As upsmon when NUMLOGINS fails: stop waiting, the host goes on.
      return failed(
        `Cannot tell whether the other clients logged out of "${ups}": ${
          errorMessage(error)
        }`,
      );
    }
    const waitedMs = clock.monotonic() - started;
    if (left.count === 0 || waitedMs >= hostsyncMs) {
      const summary = fleetSummary({
        ups,
        before: Math.max(before, left.count),
        left,
        waitedMs,
        hostsyncMs,
      });
      if (left.count === 0) return { status: "done", summary, details: [] };
      context.logger.warning("fleet.hostsync_passed", summary, {
        ups,
        clients: left.names.join(","),
      });
      return { status: "timeout", summary, details: left.names };
    }
    await clock.sleep(Math.min(FLEET_POLL_MS, hostsyncMs - waitedMs));
  }
}

/** `2 other clients (10.0.0.5, 10.0.0.6)`. */
function whoText(clients: OtherClients): string {
  return `${clients.count} other client${clients.count === 1 ? "" : "s"}${
    clients.names.length > 0 ? ` (${clients.names.join(", ")})` : ""
  }`;
}

async function others(link: FleetLink): Promise<OtherClients> {
  return otherClients(await link.listClients(), link.ownAddress());
}

/** The upsd.users fix for a refused FSD. */
function fsdFix(error: unknown, user: string | null): string {
  if (!(error instanceof NutError) || error.code !== "ACCESS-DENIED") return "";
  return `: the other hosts were not told to shut down; give "${
    user ?? ""
  }" "upsmon primary" in upsd.users (and check ups.password)`;
}

function failed(summary: string): StepOutcome & { status: "failed" } {
  return { status: "failed", summary, details: [] };
}
