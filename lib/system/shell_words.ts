/**
 * Quoting of command words for display: a logged or printed command reads as
 * a POSIX shell would split it, so `["sh", "-c", "a b"]` shows as three
 * words and can be pasted to a terminal.
 *
 * @module
 * @pure
 */

/** Words that read the same unquoted in a POSIX shell. */
const PLAIN_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;

/**
 * Quotes one word for a POSIX shell: a plain word stays as it is, any other
 * (spaces, quotes, `$`, `;`, globs, the empty word) goes in single quotes.
 *
 * @param word One command word.
 * @returns The word as a shell reads it back.
 */
export function quoteWord(word: string): string {
  return PLAIN_WORD.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/**
 * Joins command words with spaces, each quoted with {@linkcode quoteWord}.
 *
 * @param words Program and arguments.
 * @returns One line of text.
 */
export function formatWords(words: readonly string[]): string {
  return words.map(quoteWord).join(" ");
}
