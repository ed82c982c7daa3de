/**
 * Errors of the NUT client: the server's `ERR` codes as {@linkcode NutError},
 * and the failures of the link itself as {@linkcode NutConnectionError} and
 * its subclasses. Pure.
 *
 * @pure
 * @module
 */

/**
 * Every code upsd 2.8 defines (`server/neterr.h`), plus the `GET TRACKING`
 * results `UNKNOWN` and `FAILED`. Any other code maps to a generic error.
 */
export const NUT_ERROR_CODES = [
  "ACCESS-DENIED",
  "UNKNOWN-UPS",
  "VAR-NOT-SUPPORTED",
  "CMD-NOT-SUPPORTED",
  "INVALID-ARGUMENT",
  "INSTCMD-FAILED",
  "SET-FAILED",
  "READONLY",
  "TOO-LONG",
  "INVALID-VALUE",
  "DRIVER-NOT-CONNECTED",
  "DATA-STALE",
  "USERNAME-REQUIRED",
  "PASSWORD-REQUIRED",
  "ALREADY-SET-USERNAME",
  "ALREADY-SET-PASSWORD",
  "ALREADY-LOGGED-IN",
  "UNKNOWN-COMMAND",
  "FEATURE-NOT-SUPPORTED",
  "FEATURE-NOT-CONFIGURED",
  "ALREADY-SSL-MODE",
  "INVALID-USERNAME",
  "INVALID-PASSWORD",
  "VAR-UNKNOWN",
  "UNKNOWN-TYPE",
  "UNKNOWN-INSTCMD",
  "MISSING-ARGUMENT",
  "UNKNOWN",
  "FAILED",
] as const;

/** A code from {@linkcode NUT_ERROR_CODES}. */
export type NutErrorCode = typeof NUT_ERROR_CODES[number];

/** What the client was doing when upsd answered `ERR`, for the message. */
export interface NutErrorContext {
  /**
   * The failed action, phrased to follow "Cannot", e.g. `read UPS "ups"` or
   * `log in as "monuser"`.
   */
  action: string;
  /** Where upsd runs, e.g. `nas:3493`; named for UNKNOWN-UPS. */
  endpoint?: string;
  /** The UPS the request named. */
  ups?: string;
  /** The variable or command the request named. */
  name?: string;
  /** UPS names the server does know, for UNKNOWN-UPS. */
  known?: readonly string[];
}

/** An `ERR <code>` answer of upsd: the request failed, the link is fine. */
export class NutError extends Error {
  /** The code as upsd sent it, e.g. `DATA-STALE`. */
  readonly code: string;

  /**
   * @param code The code after `ERR`.
   * @param message The user-facing message.
   * @param options Standard error options.
   */
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "NutError";
    this.code = code;
  }

  /** Whether `code` is one that upsd 2.8 defines. */
  get known(): boolean {
    return (NUT_ERROR_CODES as readonly string[]).includes(this.code);
  }
}

/**
 * The link to upsd failed: refused, reset, closed, or dropped by the client
 * because the reply stream could no longer be trusted.
 */
export class NutConnectionError extends Error {
  /**
   * @param message The user-facing message.
   * @param options Standard error options.
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "NutConnectionError";
  }
}

/** No reply (or no connection) within the time allowed; the link was dropped. */
export class NutTimeoutError extends NutConnectionError {
  /**
   * @param message The user-facing message.
   * @param options Standard error options.
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "NutTimeoutError";
  }
}

/** The server sent something that is not NUT protocol; the link was dropped. */
export class NutProtocolError extends NutConnectionError {
  /** The offending line, shortened to 80 characters; empty when none. */
  readonly line: string;

  /**
   * @param message The user-facing message.
   * @param line The offending line.
   * @param options Standard error options.
   */
  constructor(message: string, line = "", options?: ErrorOptions) {
    super(message, options);
    this.name = "NutProtocolError";
    this.line = line.length > 80 ? `${line.slice(0, 80)}...` : line;
  }
}

function quoted(values: readonly string[]): string {
  return values.map((value) => `"${value}"`).join(", ");
}

function unknownUps(context: NutErrorContext): string {
  const named = context.ups !== undefined &&
    !context.action.includes(`"${context.ups}"`);
  const known = context.known && context.known.length > 0
    ? ` (known: ${quoted(context.known)})`
    : context.known
    ? " (it serves none)"
    : "";
  return named
    ? `the server knows no UPS "${context.ups}"${known}`
    : `the server knows no such UPS${known}`;
}

const DETAILS: Record<NutErrorCode, (context: NutErrorContext) => string> = {
  "ACCESS-DENIED": () => "access denied",
  "UNKNOWN-UPS": unknownUps,
  "VAR-NOT-SUPPORTED": (c) =>
    c.name === undefined
      ? "the UPS does not have this variable"
      : `the UPS does not have the variable "${c.name}"`,
  "CMD-NOT-SUPPORTED": (c) =>
    c.name === undefined
      ? "the UPS does not support this command"
      : `the UPS does not support the command "${c.name}"`,
  "INVALID-ARGUMENT": () => "the server rejected an argument as invalid",
  "INSTCMD-FAILED": () => "the server could not pass the command to the driver",
  "SET-FAILED": () => "the server could not pass the value to the driver",
  "READONLY": () => "the variable is read-only",
  "TOO-LONG": () => "the value is too long for the variable",
  "INVALID-VALUE": () => "the value is not one the variable accepts",
  "DRIVER-NOT-CONNECTED": () => "the driver is not connected to the server",
  "DATA-STALE": () => "data is stale, the driver stopped updating",
  "USERNAME-REQUIRED": () => "a user name is required first",
  "PASSWORD-REQUIRED": () => "a password is required first",
  "ALREADY-SET-USERNAME": () => "the user name was already sent",
  "ALREADY-SET-PASSWORD": () => "the password was already sent",
  "ALREADY-LOGGED-IN": () => "this connection is already logged in",
  "UNKNOWN-COMMAND": () => "the server does not know this command",
  "FEATURE-NOT-SUPPORTED": () => "the server does not support this feature",
  "FEATURE-NOT-CONFIGURED": () => "the server has this feature switched off",
  "ALREADY-SSL-MODE": () => "the connection already uses TLS",
  "INVALID-USERNAME": generic("INVALID-USERNAME"),
  "INVALID-PASSWORD": generic("INVALID-PASSWORD"),
  "VAR-UNKNOWN": generic("VAR-UNKNOWN"),
  "UNKNOWN-TYPE": generic("UNKNOWN-TYPE"),
  "UNKNOWN-INSTCMD": generic("UNKNOWN-INSTCMD"),
  "MISSING-ARGUMENT": generic("MISSING-ARGUMENT"),
  "UNKNOWN": generic("UNKNOWN"),
  "FAILED": generic("FAILED"),
};

function generic(code: string): () => string {
  return () => `the server answered "ERR ${code}"`;
}

/** Whether `code` is a code from {@linkcode NUT_ERROR_CODES}. */
function isKnownCode(code: string): code is NutErrorCode {
  return Object.hasOwn(DETAILS, code);
}

/**
 * Builds the error for an `ERR` reply, with a message in the project's voice:
 * `Cannot read UPS "ups": data is stale, the driver stopped updating`.
 *
 * @param code The code after `ERR`; unknown codes give a generic message.
 * @param context What the client was doing.
 * @returns The error to throw.
 */
export function nutError(code: string, context: NutErrorContext): NutError {
  const detail = isKnownCode(code) ? DETAILS[code](context) : generic(code)();
  const where = code === "UNKNOWN-UPS" && context.endpoint !== undefined
    ? ` at "${context.endpoint}"`
    : "";
  return new NutError(code, `Cannot ${context.action}${where}: ${detail}`);
}
