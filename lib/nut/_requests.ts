/**
 * One request and the checks of its reply, over a {@linkcode Link}: `ERR`
 * replies become {@linkcode NutError}s, replies that do not fit the request
 * drop the connection. Call inside `link.run()`. Internal to the client.
 *
 * @module
 */

import {
  encodeRequest,
  errorCode,
  NutError,
  nutError,
  type NutErrorContext,
  NutProtocolError,
  tokenizeReply,
} from "./protocol.ts";
import type { Link } from "./_link.ts";

/** How to send a one-line request. */
export interface LineOptions {
  /** For messages, e.g. `read UPS "ups"`. */
  action: string;
  /** Whether a resend on a new connection is harmless. @default false */
  idempotent?: boolean;
  /** Value arguments, always quoted. */
  values?: string[];
}

/**
 * Sends a request whose reply is one line.
 *
 * @returns The line, possibly `ERR ...`.
 * @throws {NutConnectionError} When the link fails.
 */
export async function sendLine(
  link: Link,
  words: string[],
  options: LineOptions,
): Promise<string> {
  const reply = await link.call(
    encodeRequest(words, options.values),
    { kind: "line" },
    options.action,
    options.idempotent ?? false,
  );
  return reply.kind === "line" ? reply.line : "";
}

/**
 * Sends `LIST <words>`.
 *
 * @returns The tokenized item lines.
 * @throws {NutError} On an `ERR` reply.
 * @throws {NutConnectionError} When the link fails or the reply is garbage.
 */
export async function sendList(
  link: Link,
  words: string[],
  context: NutErrorContext,
): Promise<string[][]> {
  const reply = await link.call(
    encodeRequest(["LIST", ...words]),
    { kind: "list", words },
    context.action,
    true,
  );
  if (reply.kind === "list") return reply.items;
  const code = errorCode(reply.line);
  if (code === null) return await garbage(link, reply.line, context.action);
  throw await errorFor(link, code, context);
}

/**
 * Checks that a reply has `count` words starting with `prefix`.
 *
 * @returns The words.
 * @throws {NutError} When the reply is `ERR`.
 * @throws {NutProtocolError} When it does not fit; the connection is dropped.
 */
export async function expectWords(
  link: Link,
  line: string,
  options: { prefix: string[]; count: number; context: NutErrorContext },
): Promise<string[]> {
  const code = errorCode(line);
  if (code !== null) throw await errorFor(link, code, options.context);
  let words: string[] = [];
  try {
    words = tokenizeReply(line);
  } catch {
    // Reported below as a reply that does not fit the request.
  }
  const fits = words.length === options.count &&
    options.prefix.every((w, i) => w.toLowerCase() === words[i]?.toLowerCase());
  return fits ? words : await garbage(link, line, options.context.action);
}

/**
 * Checks for `OK` or `OK <anything>`.
 *
 * @throws {NutError} When the reply is `ERR`.
 * @throws {NutProtocolError} When it is neither; the connection is dropped.
 */
export async function expectOk(
  link: Link,
  line: string,
  context: NutErrorContext,
): Promise<void> {
  if (line === "OK" || line.startsWith("OK ")) return;
  const code = errorCode(line);
  if (code === null) await garbage(link, line, context.action);
  else throw await errorFor(link, code, context);
}

/**
 * The error for an `ERR` reply; for UNKNOWN-UPS it asks for the known UPSes.
 *
 * @returns The error, to throw or return.
 */
export async function errorFor(
  link: Link,
  code: string,
  context: NutErrorContext,
): Promise<NutError> {
  const full = { ...context, endpoint: link.endpoint };
  if (code === "UNKNOWN-UPS") {
    const reply = await link.call(
      encodeRequest(["LIST", "UPS"]),
      { kind: "list", words: ["UPS"] },
      "list the UPSes",
      true,
    ).catch(() => null); // the original error matters more than this one
    if (reply?.kind === "list") {
      return nutError(code, { ...full, known: reply.items.map((w) => w[1]!) });
    }
  }
  return nutError(code, full);
}

/**
 * Drops the connection after a reply that does not fit the request.
 *
 * @throws {NutProtocolError} Always.
 */
export async function garbage(
  link: Link,
  line: string,
  action: string,
): Promise<never> {
  await link.drop();
  throw new NutProtocolError(
    `Cannot ${action}: upsd at "${link.endpoint}" sent an unexpected reply`,
    line,
  );
}
