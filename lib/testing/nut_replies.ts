/**
 * Readers of upsd replies that the client does not need but tests do: the
 * text of a `DESC` reply and the version in a `VER` reply. Test support only.
 *
 * @module
 */

import { NutProtocolError } from "../nut/errors.ts";

/**
 * Reads a `DESC`/`CMDDESC` reply, whose text upsd does not escape
 * (networkupstools/nut#3629): the first three words, then everything after
 * them with one pair of quotes stripped.
 *
 * @param line The reply line.
 * @returns The three leading words and the text.
 * @throws {NutProtocolError} When the line has fewer than four words.
 */
export function parseDescReply(
  line: string,
): { words: [string, string, string]; text: string } {
  const match = /^\s*(\S+)\s+(\S+)\s+(\S+)\s(.*)$/.exec(line);
  if (!match) {
    throw new NutProtocolError(
      "Cannot read the reply of upsd: a description reply is too short",
      line,
    );
  }
  const rest = match[4]!.trim();
  const text = rest.length >= 2 && rest.startsWith('"') && rest.endsWith('"')
    ? rest.slice(1, -1)
    : rest;
  return { words: [match[1]!, match[2]!, match[3]!], text };
}

/**
 * The version number in a `VER` reply such as
 * `Network UPS Tools upsd 2.8.0 - http://www.networkupstools.org/`.
 *
 * @param line The reply line.
 * @returns The version, or `null` when none is recognisable.
 */
export function parseVersion(line: string): string | null {
  return /\bupsd\s+v?(\d+(?:\.\d+)+\S*)/i.exec(line)?.[1] ?? null;
}
