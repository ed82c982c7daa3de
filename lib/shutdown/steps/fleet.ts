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
import { upsOf } from "../power_cycle_nut.ts";
import type { FleetLink, StepContext, StepOutcome } from "../step.ts";

/**
 * Runs the fleet step.
 *
 * @param context Collaborators; `fleet` is the monitor's link to upsd.
 * @param _step The planned step.
 * @returns Done when every other client logged out (or none was there);
 *   timeout when some were still logged in after `ups.hostsync` (named);
 *   failed when FSD was refused or the clients could not be listed.
 */
export async function fleetStep(
  context: StepContext,
  _step: PlannedStep,
): Promise<StepOutcome> {
  const { config } = context;
  const ups = upsOf(config);
  const link = context.fleet;
  if (link === undefined) {
    return failed(`No connection to upsd to set FSD on "${ups}" with`);
  }
  let before: OtherClients | null = null;
  try {
    before = await others(link);
  } catch (error) {
    context.logger.warning(
      "fleet.clients_unknown",
      `Cannot list the clients of "${ups}": ${errorMessage(error)}`,
    );
  }
  const who = before === null
    ? "the other clients"
    : `${before.count} other client${before.count === 1 ? "" : "s"}${
      before.names.length > 0 ? ` (${before.names.join(", ")})` : ""
    }`;
  if (context.runner.dryRun) {
    context.action(
      `Would set FSD on "${ups}" at upsd so that ${who} shut down`,
      { ups },
    );
    return { status: "done", summary: "FSD logged (dry-run)", details: [] };
  }
  context.action(`Setting FSD on "${ups}": ${who} start their shutdown`, {
    ups,
  });
  try {
    await link.fsd();
  } catch (error) {
    return failed(
      `${errorMessage(error)}${fsdFix(error, config.ups.username)}`,
    );
  }
  return await waitForLogouts(context, link, before?.count ?? 0);
}

/** Lists the clients until only this host is left or hostsync passes. */
async function waitForLogouts(
  context: StepContext,
  link: FleetLink,
  before: number,
): Promise<StepOutcome> {
  const { clock, config } = context;
  const ups = upsOf(config);
  const hostsyncMs = config.ups.hostsync;
  const started = clock.monotonic();
  for (;;) {
    let left: OtherClients;
    try {
      left = await others(link);
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

function failed(summary: string): StepOutcome {
  return { status: "failed", summary, details: [] };
}
