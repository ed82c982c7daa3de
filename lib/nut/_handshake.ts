/**
 * Opening a connection to upsd: TCP within the connect timeout, STARTTLS as
 * configured (NUT.md 1.7), then the credentials and `LOGIN` that a new
 * connection has to repeat (NUT.md 2.1). Internal to the client.
 *
 * @module
 */

import { errorMessage } from "../errors.ts";
import { deadline } from "../system/clock.ts";
import {
  errorCode,
  NutConnectionError,
  NutError,
  nutError,
  NutProtocolError,
  NutTimeoutError,
} from "./protocol.ts";
import { Session } from "./_session.ts";
import type { Credentials, LinkOptions } from "./_link.ts";

/** Sends one request on a session and returns its reply line. */
export type SendLine = (
  session: Session,
  words: string[],
  action: string,
  values?: string[],
) => Promise<string>;

/** What opening a session needs from the link. */
export interface Handshake {
  /** The link's settings. */
  settings: LinkOptions;
  /** What to replay. */
  credentials: Credentials;
  /** How to send a request (bounded by the link's watchdog). */
  send: SendLine;
}

const FALLBACK_CODES = ["FEATURE-NOT-CONFIGURED", "FEATURE-NOT-SUPPORTED"];

/**
 * Opens a session: connect, STARTTLS, credentials, login.
 *
 * @param handshake Settings, credentials and a way to send.
 * @returns The ready session.
 * @throws {NutConnectionError} When upsd cannot be reached or TLS fails.
 * @throws {NutError} When TLS is required but refused, or `LOGIN` fails.
 */
export async function openSession(handshake: Handshake): Promise<Session> {
  const { settings } = handshake;
  const { hostname, port, endpoint } = settings;
  let session: Session;
  {
    using timer = deadline(settings.clock, settings.connectTimeoutMs);
    try {
      const conn = await settings.transport.connect({
        hostname,
        port,
        signal: timer.signal,
      });
      session = new Session(conn);
    } catch (error) {
      throw connectError(error, timer.signal.aborted, endpoint, settings);
    }
  }
  try {
    if (settings.tls !== "off") session = await startTls(handshake, session);
    await replay(handshake, session);
  } catch (error) {
    await session.close();
    throw error;
  }
  return session;
}

async function startTls(
  { settings, send }: Handshake,
  session: Session,
): Promise<Session> {
  const { endpoint } = settings;
  const action = `connect to upsd at "${endpoint}"`;
  const reply = await send(session, ["STARTTLS"], action);
  const code = errorCode(reply);
  if (code !== null && FALLBACK_CODES.includes(code)) {
    if (settings.tls === "required") {
      throw new NutError(
        code,
        `Cannot connect to upsd at "${endpoint}" with TLS: the server does not offer TLS ("ERR ${code}")`,
      );
    }
    settings.logger.info(
      "nut.plaintext",
      "upsd offers no TLS, going on in plaintext",
      {
        endpoint,
      },
    );
    return session;
  }
  if (reply !== "OK STARTTLS") {
    throw new NutProtocolError(
      `Cannot start TLS with upsd at "${endpoint}": unexpected reply`,
      reply,
    );
  }
  using timer = deadline(settings.clock, settings.connectTimeoutMs);
  let tls: Session;
  try {
    tls = await session.startTls({
      hostname: settings.hostname,
      ...(settings.caCerts ? { caCerts: settings.caCerts } : {}),
      signal: timer.signal,
    });
  } catch (error) {
    await session.close();
    if (error instanceof NutConnectionError) throw error;
    const detail = timer.signal.aborted
      ? `no handshake within ${settings.connectTimeoutMs} ms`
      : certificateProblem(error, settings.hostname) ??
        (errorMessage(error));
    throw new NutConnectionError(
      `Cannot start TLS with upsd at "${endpoint}": ${detail}`,
      { cause: error },
    );
  }
  // A failed server-side handshake shows only on the next query (nut#3387).
  const ver = await send(
    tls,
    ["VER"],
    `confirm TLS with upsd at "${endpoint}"`,
  );
  if (errorCode(ver) !== null) {
    throw new NutProtocolError(
      `Cannot start TLS with upsd at "${endpoint}": "VER" failed`,
      ver,
    );
  }
  return tls;
}

/**
 * What a refused server certificate means and how to fix it, or `null` when
 * the TLS error is not about the certificate. rustls reports these as
 * `invalid peer certificate: <reason>`; every poll would fail the same way,
 * so the message names the settings that end it.
 */
function certificateProblem(error: unknown, hostname: string): string | null {
  const text = errorMessage(error);
  if (!/invalid peer certificate/i.test(text)) return null;
  const off = "or set ups.tls: off (plaintext)";
  if (/not valid for name|NotValidForName/i.test(text)) {
    return `the server's certificate is not valid for "${hostname}" (${text}); set ups.name to a host name the certificate holds, ${off}`;
  }
  if (/Expired|NotValidYet/i.test(text)) {
    return `the server's certificate is expired or not yet valid (${text}); renew it on the NUT server, check this host's clock, ${off}`;
  }
  return `the server's certificate is not trusted (${text}); set ups.ca_file to the CA certificate that signed it, ${off}`;
}

async function replay(handshake: Handshake, session: Session): Promise<void> {
  const { settings, send } = handshake;
  const { username, password, login } = handshake.credentials;
  const steps = [["USERNAME", username], ["PASSWORD", password]] as const;
  for (const [word, value] of steps) {
    if (value === undefined) continue;
    const what = `the ${word.toLowerCase()}`;
    const reply = await send(session, [word], `send ${what}`, [value]);
    if (reply !== "OK") {
      throw new NutError(
        errorCode(reply) ?? "",
        `Cannot send ${what} to upsd at "${settings.endpoint}": it answered "${reply}"`,
      );
    }
  }
  if (login !== undefined) await sendLogin(handshake, session, login);
}

/**
 * Sends `LOGIN` on a session and records it there.
 *
 * @throws {NutError} ACCESS-DENIED, UNKNOWN-UPS, USERNAME-REQUIRED, ...
 */
export async function sendLogin(
  { settings, credentials, send }: Handshake,
  session: Session,
  ups: string,
): Promise<void> {
  const user = credentials.username;
  const action = user === undefined
    ? `log in to UPS "${ups}"`
    : `log in as "${user}"`;
  const reply = await send(session, ["LOGIN", ups], action);
  const code = errorCode(reply);
  if (code !== null) {
    throw nutError(code, { action, ups, endpoint: settings.endpoint });
  }
  session.sent.login = ups;
}

function connectError(
  error: unknown,
  timedOut: boolean,
  endpoint: string,
  settings: LinkOptions,
): NutConnectionError {
  if (timedOut) {
    return new NutTimeoutError(
      `Cannot connect to upsd at "${endpoint}": no connection within ${settings.connectTimeoutMs} ms`,
      { cause: error },
    );
  }
  const detail = error instanceof Deno.errors.ConnectionRefused
    ? "connection refused"
    : error instanceof Error
    ? error.message
    : String(error);
  return new NutConnectionError(
    `Cannot connect to upsd at "${endpoint}": ${detail}`,
    { cause: error },
  );
}
