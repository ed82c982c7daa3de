/**
 * Discord's limits on embeds and messages, and the truncation that keeps
 * text inside them. Pure.
 *
 * @module
 * @pure
 */

/** Discord's limits on embeds and messages (developer docs, "Embed Limits"). */
export const DISCORD_LIMITS = {
  title: 256,
  description: 4096,
  fields: 25,
  fieldName: 256,
  fieldValue: 1024,
  footer: 2048,
  /** Sum of title, description, field names and values, footer of all embeds. */
  message: 6000,
  embeds: 10,
} as const;

/**
 * Shortens text to `max` characters, marking the cut with an ellipsis.
 *
 * @param text Any text.
 * @param max Maximum length, at least 1.
 * @returns The text, or its head plus "…".
 */
export function truncate(text: string, max: number): string {
  const chars = [...text];
  if (chars.length <= max) return text;
  return chars.slice(0, Math.max(0, max - 1)).join("") + "…";
}
