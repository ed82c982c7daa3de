/**
 * What a `NutClient` is built with: address, credentials, TLS,
 * timeouts, reconnect policy and collaborators.
 *
 * @module
 */
import type { UpsAddress } from "../config/ups_address.ts";
import type { Clock } from "../system/clock.ts";
import type { Logger } from "../system/log.ts";
import type { ReconnectPolicy, TlsMode } from "./_link.ts";
import type { NutTransport } from "./transport.ts";

/** The default reconnect policy: 0.5 s, 1 s, 2 s ... up to 30 s, ±10 %. */
export const DEFAULT_RECONNECT: ReconnectPolicy = {
  initialDelayMs: 500,
  maxDelayMs: 30_000,
  factor: 2,
  jitter: 0.1,
};

/** How `NutClient.poll` reads variables. */
export type PollStrategy = "get" | "list";

/** Options of `NutClient`. */
export interface NutClientOptions {
  /** The UPS and its server; methods default to this UPS. */
  address: UpsAddress;
  /** Sent as `USERNAME` on every connection when set. */
  username?: string;
  /** Sent as `PASSWORD` on every connection when set; never logged. */
  password?: string;
  /** STARTTLS use. @default "off" */
  tls?: TlsMode;
  /** PEM certificates to trust for TLS instead of the system roots. */
  caCerts?: string[];
  /** Bound of the TCP connect and of the TLS handshake. @default 5000 */
  connectTimeoutMs?: number;
  /** Bound of the wait for each reply. @default 5000 */
  replyTimeoutMs?: number;
  /** Idle time after which `NETVER` keeps the link alive; 0 disables. @default 30000 */
  keepAliveMs?: number;
  /** Backoff between failed connection attempts. @default DEFAULT_RECONNECT */
  reconnect?: ReconnectPolicy;
  /** How a poll reads variables; "list" measured fastest (NUT.md §7). @default "list" */
  pollStrategy?: PollStrategy;
  /** Time source. */
  clock: Clock;
  /** Where connection events go. */
  logger: Logger;
  /** Opens connections. @default denoTransport */
  transport?: NutTransport;
  /** Random numbers in [0, 1) for the jitter. @default Math.random */
  random?: () => number;
}

/** Optional arguments of `NutClient.instcmd`. */
export interface InstcmdOptions {
  /** The UPS. @default the configured UPS */
  ups?: string;
  /** The command's parameter, e.g. a delay. */
  param?: string;
}
