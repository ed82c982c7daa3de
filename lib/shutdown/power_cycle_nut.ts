/**
 * What the power cycle step, its readiness check and `check --remote` share
 * on the NUT side: the admin client built from the config (secrets read
 * when needed), whether the UPS offers the command (`LIST CMD`), and what
 * can be proven about the admin user without cutting any power.
 *
 * upsd answers `OK` to any `USERNAME` and `PASSWORD` and checks them only on
 * an action (shared/NUT.md §2.4). `LOGIN` needs `upsmon` rights, which a
 * power cycle user need not have, and `INSTCMD` would act; so the one proof
 * without effect is a `SET VAR` of a variable no UPS has: upsd checks the
 * user and `actions = SET` before it looks the variable up, answering
 * `VAR-NOT-SUPPORTED` for a user it accepts. A user without `actions = SET`
 * gets `ACCESS-DENIED` either way, so for such a user nothing short of the
 * command itself proves the password.
 *
 * @module
 */
import { errorMessage } from "../errors.ts";
import type { LoadedConfig } from "../config/load.ts";
import type { Config } from "../config/schema.ts";
import { upsNameOf } from "../config/ups_address.ts";
import type { NutClient } from "../nut/client.ts";
import { clientOf, type ClientSecrets } from "../nut/configured.ts";
import { NutError } from "../nut/errors.ts";
import type { Clock } from "../system/clock.ts";
import { READ_LIMITS, readTextBounded } from "../system/files.ts";
import { type Logger, SILENT_LOGGER } from "../system/log.ts";
import { delaySeconds, SHUTDOWN_DELAY } from "./kinds/power_cycle.ts";

/** A variable no UPS has, for the credential proof (see the module doc). */
export const PROBE_VARIABLE = "ups-monitor.credential-check";

/** No backoff: a step or a check makes few requests and is bounded itself. */
const NO_BACKOFF = { initialDelayMs: 0, maxDelayMs: 0, factor: 1, jitter: 0 };

/**
 * The power cycle's secrets, read now: the CA of `ups.ca_file` and the
 * admin password (`shutdown.power_cycle.password`, or the first line of its
 * `password_file`). The sequence has the config only, so it reads the files
 * when the step runs; the loader has checked them at start.
 *
 * @param config A validated config.
 * @param options `admin`: include the admin user (false for `LIST CMD`).
 * @returns The secrets for {@linkcode cycleClient}.
 * @throws {FileError} When a file cannot be read.
 */
export async function readCycleSecrets(
  config: Config,
  options: { admin: boolean },
): Promise<ClientSecrets> {
  const caFile = config.ups.ca_file;
  const caCerts = caFile === null
    ? null
    : [await readTextBounded(caFile, READ_LIMITS.caFile)];
  const cycle = config.shutdown.power_cycle;
  if (!options.admin || cycle.username === null) return { caCerts };
  const password = cycle.password_file === null
    ? cycle.password
    : (await readTextBounded(cycle.password_file, READ_LIMITS.secret))
      .split(/\r?\n/)[0] ?? "";
  return {
    caCerts,
    username: cycle.username,
    ...(password ? { password } : {}),
  };
}

/**
 * A client of the config's upsd for the power cycle: its own connection
 * (not the monitor's login), no reconnect backoff.
 *
 * @param config A validated config.
 * @param secrets From {@linkcode readCycleSecrets}.
 * @param options The clock of the timeouts and the logger.
 * @returns The client; dispose it.
 */
export function cycleClient(
  config: Config,
  secrets: ClientSecrets,
  options: { clock: Clock; logger: Logger },
): NutClient {
  return clientOf(config, secrets, { ...options, reconnect: NO_BACKOFF });
}

/** The configured UPS's name on its server. */
export function upsOf(config: Config): string {
  return upsNameOf(config.ups.name);
}

/** Whether the UPS offers the command, and what it offers. */
export interface CommandOffer {
  /** Whether `LIST CMD` names the command. */
  offered: boolean;
  /** One line for people, naming the fix when it is not offered. */
  message: string;
}

/**
 * Reads `LIST CMD <ups>` (no credentials needed) and says whether the
 * configured command is there.
 *
 * @param client A connected or connectable client.
 * @param config A validated config.
 * @returns The answer.
 * @throws {NutError} When upsd refuses the list (UNKNOWN-UPS, DATA-STALE, ...).
 * @throws {NutConnectionError} When upsd cannot be reached.
 */
export async function commandOffer(
  client: NutClient,
  config: Config,
): Promise<CommandOffer> {
  const { command } = config.shutdown.power_cycle;
  const ups = upsOf(config);
  const commands = await client.listCmd();
  if (commands.includes(command)) {
    return {
      offered: true,
      message: `UPS "${ups}" offers the command "${command}" (LIST CMD)`,
    };
  }
  return {
    offered: false,
    message: `UPS "${ups}" does not offer the command "${command}" (${
      offeredText(commands)
    }): set shutdown.power_cycle.command to one it offers, or set shutdown.power_cycle.enabled to false`,
  };
}

/**
 * The commands a UPS offers, for a message.
 *
 * @param commands From `LIST CMD`.
 * @returns E.g. `it offers "load.off", "shutdown.return"` or `it offers none`.
 */
export function offeredText(commands: readonly string[]): string {
  return commands.length === 0
    ? "it offers none"
    : `it offers "${commands.join('", "')}"`;
}

/** One line of `check --remote` about the power cycle. */
export interface CycleProbeLine {
  /** What was checked, e.g. `command "shutdown.return"`. */
  subject: string;
  /** ok, FAILED, or unproven (neither: nothing short of acting tells). */
  outcome: "ok" | "FAILED" | "unproven";
  /** What was found, or what is wrong and how to fix it. */
  message: string;
}

/**
 * `check --remote` for the power cycle: whether the UPS offers the command,
 * and what can be proven about the admin user without acting.
 *
 * @param loaded The loaded config (CA and admin password included).
 * @param options The clock of the client's timeouts.
 * @returns Two lines: the command, the user. Never throws for upsd's answers.
 */
export async function probePowerCycle(
  loaded: LoadedConfig,
  options: { clock: Clock },
): Promise<CycleProbeLine[]> {
  const { config } = loaded;
  const cycle = config.shutdown.power_cycle;
  const user = `user "${cycle.username ?? ""}"`;
  await using client = cycleClient(config, {
    caCerts: loaded.caCerts,
    ...(cycle.username ? { username: cycle.username } : {}),
    ...(loaded.powerCyclePassword
      ? { password: loaded.powerCyclePassword }
      : {}),
  }, { clock: options.clock, logger: SILENT_LOGGER });
  const subject = `command "${cycle.command}"`;
  let offer: CommandOffer;
  try {
    offer = await commandOffer(client, config);
  } catch (error) {
    const message = errorMessage(error);
    return [
      { subject, outcome: "FAILED", message },
      { subject: user, outcome: "FAILED", message },
    ];
  }
  return [
    {
      subject,
      outcome: offer.offered ? "ok" : "FAILED",
      message: offer.message,
    },
    { subject: user, ...await proveUser(client, config) },
  ];
}

/** The credential proof of the module doc, judged by whether SET is needed. */
async function proveUser(
  client: NutClient,
  config: Config,
): Promise<Omit<CycleProbeLine, "subject">> {
  const seconds = delaySeconds(config.shutdown.power_cycle.delay);
  const current = await client.getVar(SHUTDOWN_DELAY).catch(() => null);
  const needsSet = current !== null && Number(current) !== seconds;
  let code: string;
  try {
    await client.setVar(PROBE_VARIABLE, "0");
    code = "OK";
  } catch (error) {
    if (!(error instanceof NutError)) {
      return { outcome: "FAILED", message: errorMessage(error) };
    }
    code = error.code;
  }
  if (code === "VAR-NOT-SUPPORTED" || code === "OK") {
    return {
      outcome: "ok",
      message:
        'upsd accepts the credentials and "actions = SET" (a SET of a variable no UPS has was refused for the variable, not for the user); its instcmds rights show only when the command runs',
    };
  }
  if (code !== "ACCESS-DENIED") {
    return { outcome: "FAILED", message: `upsd answered "ERR ${code}"` };
  }
  if (needsSet) {
    return {
      outcome: "FAILED",
      message:
        `upsd refused the user: the password is wrong or the user lacks "actions = SET", which the step needs to change ${SHUTDOWN_DELAY} from "${current}" to "${seconds}"; fix shutdown.power_cycle.username and password, or add "actions = SET" for the user in upsd.users`,
    };
  }
  return {
    outcome: "unproven",
    message:
      'credentials not provable without acting: upsd checks a user without "actions = SET" only when it runs the command (a SET was refused, as it is for such a user whatever the password)',
  };
}
