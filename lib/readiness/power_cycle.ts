/**
 * The readiness check of the UPS power cycle: the UPS still offers the
 * configured instant command (`LIST CMD`, no credentials, no effect). What
 * `check --remote` proves about the admin user is not repeated here: it
 * would send a (refused) SET every round.
 *
 * @module
 */
import { errorMessage } from "../errors.ts";
import type { Config } from "../config/schema.ts";
import {
  commandOffer,
  cycleClient,
  readCycleSecrets,
} from "../shutdown/power_cycle_nut.ts";
import { SILENT_LOGGER } from "../system/log.ts";
import type { CheckResult, ReadinessCheck } from "./check.ts";
import type { ReadinessContext } from "./checks.ts";

/**
 * The check, id `power_cycle`.
 *
 * @param config A validated config.
 * @returns The check.
 */
export function powerCycleCheck(
  config: Config,
): ReadinessCheck<ReadinessContext> {
  return {
    id: "power_cycle",
    title: "UPS power cycle",
    async run(context): Promise<CheckResult> {
      const secrets = await readCycleSecrets(config, { admin: false });
      await using client = cycleClient(config, secrets, {
        clock: context.clock,
        // The result says what failed; the client's warnings would repeat it.
        logger: SILENT_LOGGER,
      });
      // The round's bound: closing ends a request waiting for upsd.
      const stop = () => void client.close();
      context.signal?.addEventListener("abort", stop, { once: true });
      try {
        const offer = await commandOffer(client, config);
        return { ready: offer.offered, detail: offer.message };
      } catch (error) {
        return { ready: false, detail: errorMessage(error) };
      } finally {
        context.signal?.removeEventListener("abort", stop);
      }
    },
  };
}
