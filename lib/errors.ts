/**
 * The message of a caught value, whatever was thrown. Pure.
 *
 * @pure
 * @module
 */

/**
 * The text of a caught value: an Error's message, else its string form.
 *
 * @param error What a `catch` or a rejection gave.
 * @returns Text for a log line or a user message.
 */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
