/**
 * The faults a timeline causes, each on what it aims at: the UPS's upsd and
 * driver, its admin connection (FSD), the NAS, the fleet's stock primary.
 *
 * @module
 */
import type { NutClient } from "../lib/nut/client.ts";
import type { Nas } from "./nas.ts";
import type { NutServer } from "./nut_server.ts";
import type { Fault } from "./profile.ts";
import type { FleetRun } from "./scenario_fleet.ts";

/** What a fault acts on: the aimed UPS's server and admin, NAS, fleet. */
export interface FaultTargets {
  name: string;
  server: NutServer;
  admin: NutClient;
  nas: Nas | null;
  fleet: FleetRun | null;
}

/**
 * Causes a fault of the timeline.
 *
 * @param fault The fault.
 * @param targets What it acts on.
 * @returns When it is done.
 */
export function applyFault(
  fault: Fault,
  { name, server, admin, nas, fleet }: FaultTargets,
): Promise<void> {
  switch (fault) {
    case "pause":
      return server.pause();
    case "unpause":
      return server.unpause();
    case "link_down":
      return server.linkDown();
    case "link_up":
      return server.linkUp();
    case "stop_upsd":
      return server.stopUpsd();
    case "start_upsd":
      return server.startUpsd();
    case "freeze_driver":
      return server.freezeDriver(name);
    case "thaw_driver":
      return server.thawDriver(name);
    case "kill_driver":
      return server.killDriver(name);
    case "restart_driver":
      return server.restartDriver(name);
    case "fsd":
      return admin.fsd().catch(() => admin.fsd());
    case "nas_rekey":
      if (nas === null) {
        return Promise.reject(new Error("there is no NAS in this scenario"));
      }
      return nas.rekey().then(() => {});
    case "fleet_fsd":
      return fleet === null
        ? Promise.reject(new Error("there is no fleet in this scenario"))
        : fleet.fsd();
  }
}
