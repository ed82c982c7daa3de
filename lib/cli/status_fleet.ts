/**
 * The NUT fleet part of `status`: this host's role and the clients upsd
 * lists for the UPS (`LIST CLIENT`, one address per login).
 *
 * @module
 */
import type { Config } from "../config/schema.ts";
import { errorMessage } from "../errors.ts";
import type { NutClient } from "../nut/client.ts";

/** The role and the logins, for the report and `--json`. */
export interface FleetStatus {
  /** `ups.role`. */
  role: Config["ups"]["role"];
  /** Addresses logged in to the UPS; null when upsd would not list them. */
  clients: string[] | null;
  /** Why the clients are unknown; absent when listed. */
  error?: string;
}

/**
 * Reads the logins of the UPS; a refusal is reported, not thrown.
 *
 * @param config The config (`ups.role`).
 * @param client A connected client of the UPS.
 * @returns The fleet status.
 */
export async function fleetStatus(
  config: Config,
  client: NutClient,
): Promise<FleetStatus> {
  const { role } = config.ups;
  try {
    return { role, clients: await client.listClients() };
  } catch (error) {
    return {
      role,
      clients: null,
      error: errorMessage(error),
    };
  }
}

/**
 * The status line: `role         primary; 2 clients logged in: 127.0.0.1, 10.0.0.5`.
 *
 * @param fleet The fleet status.
 * @returns One line.
 */
export function fleetLine(fleet: FleetStatus): string {
  const clients = fleet.clients === null
    ? `clients unknown (${fleet.error ?? "not listed"})`
    : fleet.clients.length === 0
    ? "no client logged in"
    : `${fleet.clients.length} client${
      fleet.clients.length === 1 ? "" : "s"
    } logged in: ${fleet.clients.join(", ")}`;
  return `  role         ${fleet.role}; ${clients}`;
}
