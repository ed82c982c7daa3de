/**
 * The NUT client a loaded config describes: its UPS address, TLS mode, CA
 * and timeouts, and (for the daemon) its credentials.
 *
 * @module
 */
import type { LoadedConfig } from "../config/load.ts";
import { parseUpsAddress } from "../config/ups_address.ts";
import type { Clock } from "../system/clock.ts";
import type { Logger } from "../system/log.ts";
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
  const address = parseUpsAddress(ups.name);
  if (!address.ok) throw new TypeError(address.message);
  return new NutClient({
    address: address.value,
    ...(options.login && ups.username ? { username: ups.username } : {}),
    ...(options.login && loaded.nutPassword
      ? { password: loaded.nutPassword }
      : {}),
    tls: ups.tls,
    ...(loaded.caCerts ? { caCerts: loaded.caCerts } : {}),
    connectTimeoutMs: ups.connect_timeout,
    replyTimeoutMs: ups.reply_timeout,
    ...(options.reconnect ? { reconnect: options.reconnect } : {}),
    clock: options.clock,
    logger: options.logger,
  });
}
