/**
 * The NUT network protocol (1.3) as data: request encoding, reply-line
 * tokenizing, line splitting and `LIST` framing (a push decoder: lines in,
 * completed replies out). Pure: no I/O, no timers (shared/NUT.md §1).
 *
 * @pure
 * @module
 */

import { NutProtocolError } from "./errors.ts";

export {
  NUT_ERROR_CODES,
  NutConnectionError,
  NutError,
  nutError,
  type NutErrorCode,
  type NutErrorContext,
  NutProtocolError,
  NutTimeoutError,
} from "./errors.ts";

/** Longest reply line accepted, in characters; longer ones are garbage. */
export const MAX_LINE_LENGTH = 4096;

/** Most lines accepted in one `LIST` reply; more is a list that never ends. */
export const MAX_LIST_LINES = 20_000;

/** upsd truncates words longer than this (`common/parseconf.c`). */
const MAX_WORD_LENGTH = 512;

/** A word that needs no quotes: upsd reads it back unchanged. */
const PLAIN_WORD = /^[A-Za-z0-9_.\-:@/+]+$/;

/** Printable 7-bit ASCII: anything else upsd drops silently (NUT.md 2.3). */
const PRINTABLE = /^[\x20-\x7e]*$/;

function checkWord(word: string): void {
  if (!PRINTABLE.test(word)) {
    throw new RangeError(
      `Cannot send ${
        JSON.stringify(word)
      } to upsd: only printable ASCII characters are allowed`,
    );
  }
  if (word.length > MAX_WORD_LENGTH) {
    throw new RangeError(
      `Cannot send a word of ${word.length} characters to upsd: the limit is ${MAX_WORD_LENGTH}`,
    );
  }
}

/**
 * Quotes a value for a request: wrapped in double quotes, with `\`, `"` and
 * `#` backslash-escaped (NUT.md 1.2; an unescaped `#` gets no reply, 2.2).
 *
 * @param value The value, printable ASCII.
 * @returns The quoted word.
 * @throws {RangeError} When the value has a control or non-ASCII character, or
 *   is longer than 512 characters.
 */
export function quoteValue(value: string): string {
  checkWord(value);
  return `"${value.replace(/[\\"#]/g, "\\$&")}"`;
}

/**
 * Encodes one request line, LF-terminated. Keywords and names are sent bare
 * when they are plain, quoted otherwise; `values` are always quoted.
 *
 * @param words Command words and names, e.g. `["GET", "VAR", "ups", "x"]`.
 * @param values Value arguments, e.g. the value of `SET VAR`.
 * @returns The line to write.
 * @throws {RangeError} When a word or value has a control or non-ASCII
 *   character, or is too long.
 * @throws {TypeError} When there is no word at all.
 */
export function encodeRequest(
  words: readonly string[],
  values: readonly string[] = [],
): string {
  if (words.length === 0) {
    throw new TypeError("Cannot send an empty request to upsd");
  }
  const parts = words.map((word) => {
    checkWord(word);
    return PLAIN_WORD.test(word) ? word : quoteValue(word);
  });
  for (const value of values) parts.push(quoteValue(value));
  return parts.join(" ") + "\n";
}

/**
 * Splits a reply line into words with the grammar of upsd's `parseconf.c`:
 * whitespace separates words, `"..."` is one word (possibly empty) and a
 * backslash makes the next character literal (NUT.md 1.3). `#` is literal:
 * replies carry no comments.
 *
 * @param line One reply line without its LF.
 * @returns The words.
 * @throws {NutProtocolError} On an unterminated quote or a trailing backslash.
 */
export function tokenizeReply(line: string): string[] {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  let inQuotes = false;
  for (let i = 0; i < line.length; i++) {
    const char = line[i]!;
    if (char === "\\") {
      if (i + 1 >= line.length) {
        throw new NutProtocolError(
          "Cannot read the reply of upsd: it ends in a backslash",
          line,
        );
      }
      word += line[++i];
      inWord = true;
    } else if (char === '"') {
      inQuotes = !inQuotes;
      inWord = true;
    } else if (!inQuotes && (char === " " || char === "\t" || char === "\r")) {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
    } else {
      word += char;
      inWord = true;
    }
  }
  if (inQuotes) {
    throw new NutProtocolError(
      "Cannot read the reply of upsd: a quote is not closed",
      line,
    );
  }
  if (inWord) words.push(word);
  return words;
}

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
 * The code of an `ERR <CODE> [extra words]` reply; extra words are ignored.
 *
 * @param line A reply line.
 * @returns The code, or `null` when the line is not an error.
 */
export function errorCode(line: string): string | null {
  const match = /^ERR(?:\s+(\S+))?/.exec(line);
  if (!match || (line.length > 3 && !/\s/.test(line[3]!))) return null;
  return match[1] ?? "";
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

/** Splits received text into lines, bounding their length. */
export class LineSplitter {
  #buffer = "";
  #maxLength: number;

  /** @param maxLength Longest line accepted. @default MAX_LINE_LENGTH */
  constructor(maxLength = MAX_LINE_LENGTH) {
    this.#maxLength = maxLength;
  }

  /**
   * Adds received text.
   *
   * @param text Decoded bytes, split anywhere.
   * @returns The lines completed by it, without LF or a trailing CR.
   * @throws {NutProtocolError} When a line grows beyond the limit.
   */
  push(text: string): string[] {
    const lines: string[] = [];
    let data = this.#buffer + text;
    let newline = data.indexOf("\n");
    while (newline !== -1) {
      const line = data.slice(0, newline);
      this.#checkLength(line);
      lines.push(line.endsWith("\r") ? line.slice(0, -1) : line);
      data = data.slice(newline + 1);
      newline = data.indexOf("\n");
    }
    this.#checkLength(data);
    this.#buffer = data;
    return lines;
  }

  /** Whether part of a line is waiting for its LF. */
  get partial(): boolean {
    return this.#buffer.length > 0;
  }

  #checkLength(line: string): void {
    if (line.length > this.#maxLength) {
      throw new NutProtocolError(
        `Cannot read the reply of upsd: a line is longer than ${this.#maxLength} characters`,
        line,
      );
    }
  }
}

/** The reply a request waits for: one line, or a `LIST` of the given words. */
export type Expect =
  | { kind: "line" }
  | { kind: "list"; words: readonly string[] };

/**
 * A completed reply: one line (which may be `ERR ...`, also in place of a
 * list), or the tokenized item lines of a list.
 */
export type Reply =
  | { kind: "line"; line: string }
  | { kind: "list"; items: string[][] };

interface OpenList {
  words: readonly string[];
  begun: boolean;
  items: string[][];
}

/**
 * Matches reply lines to pending requests in FIFO order and frames `LIST`
 * replies: `BEGIN LIST <words>`, item lines whose first word is the list's
 * first word, then exactly `END LIST <words>` (NUT.md 1.5).
 */
export class ReplyFramer {
  #pending: Expect[] = [];
  #list: OpenList | null = null;
  #maxListLines: number;

  /** @param maxListLines Most lines in one list. @default MAX_LIST_LINES */
  constructor(maxListLines = MAX_LIST_LINES) {
    this.#maxListLines = maxListLines;
  }

  /**
   * Registers the reply of a request just sent.
   *
   * @param expect What that reply looks like.
   */
  expect(expect: Expect): void {
    this.#pending.push(expect);
  }

  /** Number of replies not yet complete. */
  get pending(): number {
    return this.#pending.length;
  }

  /** Whether a list is under way (its `BEGIN` seen, its `END` not yet). */
  get inList(): boolean {
    return this.#list?.begun ?? false;
  }

  /**
   * Feeds one line.
   *
   * @param line A reply line without its LF.
   * @returns The reply it completes, or `null`.
   * @throws {NutProtocolError} On a line no pending request can explain.
   */
  push(line: string): Reply | null {
    const head = this.#pending[0];
    if (head === undefined) {
      throw new NutProtocolError(
        "Cannot read the reply of upsd: it sent a line nobody asked for",
        line,
      );
    }
    if (head.kind === "line") {
      this.#pending.shift();
      return { kind: "line", line };
    }
    const list = this.#list ??= { words: head.words, begun: false, items: [] };
    if (!list.begun) {
      if (errorCode(line) !== null) return this.#finish({ kind: "line", line });
      if (!sameWords(tokenizeReply(line), ["BEGIN", "LIST", ...list.words])) {
        throw garbage(line, list.words);
      }
      list.begun = true;
      return null;
    }
    const words = tokenizeReply(line);
    if (words[0] === "END") {
      if (!sameWords(words, ["END", "LIST", ...list.words])) {
        throw garbage(line, list.words);
      }
      return this.#finish({ kind: "list", items: list.items });
    }
    if (words[0] !== list.words[0] || words.length < 2) {
      throw garbage(line, list.words);
    }
    if (list.items.length >= this.#maxListLines) {
      throw new NutProtocolError(
        `Cannot read the reply of upsd: the list "LIST ${
          list.words.join(" ")
        }" has more than ${this.#maxListLines} lines`,
        line,
      );
    }
    list.items.push(words);
    return null;
  }

  #finish(reply: Reply): Reply {
    this.#pending.shift();
    this.#list = null;
    return reply;
  }
}

function sameWords(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((word, i) => word === b[i]);
}

function garbage(line: string, words: readonly string[]): NutProtocolError {
  return new NutProtocolError(
    `Cannot read the reply of upsd: unexpected line in the reply to "LIST ${
      words.join(" ")
    }"`,
    line,
  );
}
