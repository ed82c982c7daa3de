/**
 * A logger for tests that keeps every entry in memory, so a test can assert
 * on event names and fields instead of parsing console lines.
 *
 * @module
 */

import type { Fields, Level, Logger } from "../system/log.ts";

/** One recorded log call. */
export interface LogEntry {
  /** Severity of the call. */
  level: Level;
  /** Stable event name, e.g. `exec.dry_run`. */
  event: string;
  /** Human message. */
  msg: string;
  /** Extra fields; `{}` when none were given. */
  fields: Fields;
}

/** A {@linkcode Logger} that records entries instead of writing them. */
export class MemoryLogger implements Logger {
  /** Every entry so far, oldest first. */
  readonly entries: LogEntry[] = [];

  debug(event: string, msg: string, fields: Fields = {}): void {
    this.entries.push({ level: "debug", event, msg, fields });
  }

  info(event: string, msg: string, fields: Fields = {}): void {
    this.entries.push({ level: "info", event, msg, fields });
  }

  warning(event: string, msg: string, fields: Fields = {}): void {
    this.entries.push({ level: "warning", event, msg, fields });
  }

  error(event: string, msg: string, fields: Fields = {}): void {
    this.entries.push({ level: "error", event, msg, fields });
  }

  /**
   * The entries with the given event name.
   *
   * @param event Event name to look for.
   * @returns The matching entries, oldest first.
   */
  events(event: string): LogEntry[] {
    return this.entries.filter((entry) => entry.event === event);
  }
}
