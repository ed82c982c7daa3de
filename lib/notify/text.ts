/**
 * Plain-text pieces the text-based channel kinds (ntfy, Slack, Telegram)
 * share: the emoji of each severity, a notification's fields as lines, and
 * cutting text to a limit in characters or UTF-8 bytes with a visible marker.
 * Pure.
 *
 * @module
 * @pure
 */
import type { Notification, Severity } from "./notification.ts";

/** What marks text that was cut to fit a limit. */
export const CUT_MARKER = "…";

/**
 * The emoji of each severity: a shortcode (ntfy tags, Slack and Mattermost
 * text) and the character itself (Telegram, which has no shortcodes).
 */
export const SEVERITY_EMOJI: Readonly<
  Record<Severity, { shortcode: string; char: string }>
> = {
  critical: { shortcode: "rotating_light", char: "🚨" },
  warning: { shortcode: "warning", char: "⚠️" },
  quality: { shortcode: "zap", char: "⚡" },
  recovery: { shortcode: "white_check_mark", char: "✅" },
  info: { shortcode: "information_source", char: "ℹ️" },
};

/**
 * Length in Unicode code points, what "characters" means in the services'
 * limits (an emoji counts once, not as two UTF-16 units).
 *
 * @param text Any text.
 * @returns The number of code points.
 */
export function charLength(text: string): number {
  let count = 0;
  for (const _ of text) count++;
  return count;
}

/**
 * Shortens text to at most `max` code points, ending with
 * {@linkcode CUT_MARKER} when cut.
 *
 * @param text Any text.
 * @param max Code points kept at most, at least 1.
 * @returns The text, or its head plus the marker.
 */
export function cutChars(text: string, max: number): string {
  const chars = [...text];
  if (chars.length <= max) return text;
  return chars.slice(0, Math.max(0, max - 1)).join("") + CUT_MARKER;
}

/**
 * Size of text in UTF-8 bytes, counted by code point (pure files have no
 * TextEncoder).
 *
 * @param text Any text.
 * @returns The number of bytes.
 */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (const char of text) bytes += codePointBytes(char.codePointAt(0) ?? 0);
  return bytes;
}

/**
 * Shortens text to at most `maxBytes` UTF-8 bytes without splitting a
 * character, ending with {@linkcode CUT_MARKER} (3 bytes) when cut.
 *
 * @param text Any text.
 * @param maxBytes Bytes kept at most, at least 3.
 * @returns The text, or its head plus the marker.
 */
export function cutBytes(text: string, maxBytes: number): string {
  if (utf8Length(text) <= maxBytes) return text;
  const budget = maxBytes - utf8Length(CUT_MARKER);
  let used = 0;
  let head = "";
  for (const char of text) {
    const size = codePointBytes(char.codePointAt(0) ?? 0);
    if (used + size > budget) break;
    used += size;
    head += char;
  }
  return head + CUT_MARKER;
}

/**
 * A notification's fields as `name: value` lines, in order, without empty
 * names or values.
 *
 * @param notification What happened.
 * @returns One line per field.
 */
export function fieldLines(notification: Notification): string[] {
  return Object.entries(notification.fields ?? {})
    .filter(([name, value]) => name !== "" && String(value) !== "")
    .map(([name, value]) => `${name}: ${value}`);
}

/**
 * The `error`/`message`/`description` text of a JSON error body, or the first
 * line of a plain-text one; what a receiver said when it refused a request.
 *
 * @param body The answer's body, possibly cut short or empty.
 * @param keys The JSON members that may hold the text, first match wins.
 * @returns The text, trimmed, or undefined when there is none.
 */
export function bodyErrorText(
  body: string,
  keys: readonly string[],
): string | undefined {
  const trimmed = body.trim();
  if (trimmed === "") return undefined;
  try {
    const parsed: unknown = JSON.parse(trimmed);
    if (typeof parsed !== "object" || parsed === null) return undefined;
    for (const key of keys) {
      const value = (parsed as Record<string, unknown>)[key];
      if (typeof value === "string" && value.trim() !== "") return value.trim();
    }
    return undefined;
  } catch {
    // Not JSON: a plain-text answer such as Slack's "invalid_payload".
    const line = trimmed.split("\n", 1)[0]?.trim() ?? "";
    return line === "" || line.startsWith("<") ? undefined : line;
  }
}

function codePointBytes(codePoint: number): number {
  if (codePoint < 0x80) return 1;
  if (codePoint < 0x800) return 2;
  if (codePoint < 0x10000) return 3;
  return 4;
}
