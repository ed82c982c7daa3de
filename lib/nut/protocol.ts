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

/**
 * Most bytes accepted in one reply, `LIST` included; more and the connection
 * is dropped. The largest `LIST VAR` in the NUT device dump library (581
 * variables) is 22 KB; 1 MiB leaves room for 40 times that, or long UPS names.
 */
export const MAX_REPLY_BYTES = 1024 * 1024;

/** upsd truncates words longer than this (`common/parseconf.c`). */
const MAX_WORD_LENGTH = 512;

/** A word that needs no quotes: upsd reads it back unchanged. */
const PLAIN_WORD = /^[A-Za-z0-9_.\-:@/+]+$/;

/** Printable 7-bit ASCII: anything else upsd drops silently (NUT.md 2.3). */
const PRINTABLE = /^[\x20-\x7e]*$/;

/**
 * Checks one word of a request. The message names the word by its place,
 * never by its content: a value may be a password, and an error message
 * travels to logs, the state file and notifications.
 */
function checkWord(word: string, request: string, field: string): void {
  if (!PRINTABLE.test(word)) {
    throw new RangeError(
      `Cannot send ${request} to upsd: ${field} has a character other than printable ASCII`,
    );
  }
  if (word.length > MAX_WORD_LENGTH) {
    throw new RangeError(
      `Cannot send ${request} to upsd: ${field} is longer than ${MAX_WORD_LENGTH} characters`,
    );
  }
}

/** `"..."`, with `\`, `"` and `#` backslash-escaped (NUT.md 1.2; 2.2). */
function quote(word: string): string {
  return `"${word.replace(/[\\"#]/g, "\\$&")}"`;
}

/**
 * Encodes one request line, LF-terminated. Keywords and names are sent bare
 * when they are plain, quoted otherwise; `values` are always quoted, with
 * `\`, `"` and `#` backslash-escaped (NUT.md 1.2; an unescaped `#` gets no
 * reply, 2.2).
 *
 * @param words Command words and names, e.g. `["GET", "VAR", "ups", "x"]`.
 * @param values Value arguments, e.g. the value of `SET VAR` or a password.
 * @returns The line to write.
 * @throws {RangeError} When a word or value has a control or non-ASCII
 *   character, or is longer than 512 characters; the message names the
 *   request's first word and the place of the bad one, not its content.
 * @throws {TypeError} When there is no word at all.
 */
export function encodeRequest(
  words: readonly string[],
  values: readonly string[] = [],
): string {
  const request = words[0];
  if (request === undefined) {
    throw new TypeError("Cannot send an empty request to upsd");
  }
  // The first word is a keyword of this client; a label to name the request.
  const label = PLAIN_WORD.test(request) ? `"${request}"` : "a request";
  const parts = words.map((word, i) => {
    checkWord(word, label, `word ${i + 1}`);
    return PLAIN_WORD.test(word) ? word : quote(word);
  });
  for (const [i, value] of values.entries()) {
    checkWord(
      value,
      label,
      values.length === 1 ? "its value" : `value ${i + 1}`,
    );
    parts.push(quote(value));
  }
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
  // Words are sliced out of the line, piece by piece between quotes and
  // escapes: built a character at a time, a word is a chain of one-character
  // strings, and a 4 KiB value costs a hundred times its size (issue 15).
  const words: string[] = [];
  let word = "";
  let inWord = false;
  let inQuotes = false;
  let start = 0; // where the current piece of the word begins
  for (let i = 0; i < line.length; i++) {
    const code = line.charCodeAt(i);
    if (code === BACKSLASH) {
      if (i + 1 >= line.length) {
        throw new NutProtocolError(
          "Cannot read the reply of upsd: it ends in a backslash",
          line,
        );
      }
      word += line.slice(start, i);
      start = ++i; // the escaped character opens the next piece
      inWord = true;
    } else if (code === QUOTE) {
      word += line.slice(start, i);
      start = i + 1;
      inQuotes = !inQuotes;
      inWord = true;
    } else if (!inQuotes && (code === SPACE || code === TAB || code === CR)) {
      if (inWord) words.push(word + line.slice(start, i));
      word = "";
      inWord = false;
      start = i + 1;
    } else {
      inWord = true;
    }
  }
  if (inQuotes) {
    throw new NutProtocolError(
      "Cannot read the reply of upsd: a quote is not closed",
      line,
    );
  }
  if (inWord) words.push(word + line.slice(start));
  return words;
}

const BACKSLASH = 0x5c;
const QUOTE = 0x22;
const SPACE = 0x20;
const TAB = 0x09;
const CR = 0x0d;

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
 * replies: `BEGIN LIST <words>`, item lines that start with the list's words
 * and add at least one, then exactly `END LIST <words>` (NUT.md 1.5).
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
    // An item repeats the list's words (`VAR <ups>` in `LIST VAR <ups>`) as
    // sent, then adds its own: an item of another UPS is garbage.
    const own = words.length > list.words.length &&
      list.words.every((word, i) => words[i] === word);
    if (!own) throw garbage(line, list.words);
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
