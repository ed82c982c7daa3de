/**
 * The NUT client a loaded config describes: its UPS address, TLS mode, CA
 * and timeouts, and (for the daemon) its credentials.
 *
 * @module
 */
import { errorMessage } from "../errors.ts";
import type { LoadedConfig } from "../config/load.ts";
import type { Config } from "../config/schema.ts";
import { parseUpsAddress } from "../config/ups_address.ts";
import type { Clock } from "../system/clock.ts";
import { type Logger, SILENT_LOGGER } from "../system/log.ts";
import { NutClient, type ReconnectPolicy } from "./client.ts";

/**
 * Builds the client of a config.
 *
 * @param loaded The loaded config (its CA text and NUT password included).
 * @param options Collaborators; `login` adds the NUT user and password.
 * @returns The client; dispose it.
 * @throws {TypeError} When the UPS name is invalid (validation prevents it).
 */
export function clientForConfig(
  loaded: LoadedConfig,
  options: {
    clock: Clock;
    logger: Logger;
    login: boolean;
    reconnect?: ReconnectPolicy;
  },
): NutClient {
  const { ups } = loaded.config;
  const { login, ...collaborators } = options;
  return clientOf(loaded.config, {
    caCerts: loaded.caCerts,
    ...(login && ups.username ? { username: ups.username } : {}),
    ...(login && loaded.nutPassword ? { password: loaded.nutPassword } : {}),
  }, collaborators);
}

/** The secrets of a client: the CA to trust and the user, if any. */
export interface ClientSecrets {
  /** PEM text of `ups.ca_file`; null for the system roots. */
  caCerts: string[] | null;
  /** Sent as `USERNAME`. @default none */
  username?: string;
  /** Sent as `PASSWORD`; never logged. @default none */
  password?: string;
}

/**
 * Builds a client to the config's upsd (address, TLS, timeouts) with the
 * given secrets: the daemon's monitor client, or the power cycle's admin.
 *
 * @param config A validated config.
 * @param secrets The CA and the credentials.
 * @param options Collaborators and the reconnect policy.
 * @returns The client; dispose it.
 * @throws {TypeError} When the UPS name is invalid (validation prevents it).
 */
export function clientOf(
  config: Config,
  secrets: ClientSecrets,
  options: { clock: Clock; logger: Logger; reconnect?: ReconnectPolicy },
): NutClient {
  const { ups } = config;
  const address = parseUpsAddress(ups.name);
  if (!address.ok) throw new TypeError(address.message);
  return new NutClient({
    address: address.value,
    ...(secrets.username ? { username: secrets.username } : {}),
    ...(secrets.password ? { password: secrets.password } : {}),
    tls: ups.tls,
    ...(secrets.caCerts ? { caCerts: secrets.caCerts } : {}),
    connectTimeoutMs: ups.connect_timeout,
    replyTimeoutMs: ups.reply_timeout,
    ...(options.reconnect ? { reconnect: options.reconnect } : {}),
    clock: options.clock,
    logger: options.logger,
  });
}

/** What `check --remote` found out about upsd. */
export interface UpsdProbe {
  /** Whether upsd answered a query for the configured UPS. */
  ok: boolean;
  /** What answered and how, or what failed and how to fix it. */
  message: string;
}

/**
 * Connects to upsd as the config says (TLS and CA included, no login) and
 * reads `ups.status` once: the check that a TLS or address problem is found
 * before the daemon starts polling into it.
 *
 * @param loaded The loaded config.
 * @param options The clock for the client's timeouts.
 * @returns The outcome; never throws for a connection or protocol failure.
 */
export async function probeUpsd(
  loaded: LoadedConfig,
  options: { clock: Clock },
): Promise<UpsdProbe> {
  await using client = clientForConfig(loaded, {
    clock: options.clock,
    // The outcome is the message; the client's own warnings would repeat it.
    logger: SILENT_LOGGER,
    login: false,
    reconnect: { initialDelayMs: 0, maxDelayMs: 0, factor: 1, jitter: 0 },
  });
  try {
    const status = await client.getVar("ups.status");
    return {
      ok: true,
      message: `upsd at "${client.endpoint}" answers ${
        client.tls ? "over TLS" : "in plaintext"
      } (ups.status "${status}")`,
    };
  } catch (error) {
    return {
      ok: false,
      message: errorMessage(error),
    };
  }
}
