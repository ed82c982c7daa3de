// deno-lint-ignore-file no-console
/**
 * The one module that writes diagnostics. Human lines (journald-friendly) or
 * JSON lines on stderr, plus an optional log file with timestamps that can be
 * reopened on SIGHUP for logrotate. Secrets registered with the logger are
 * masked in every line, whatever field they hide in.
 *
 * @module
 */

/** Severity of a log line, lowest first. */
export type Level = "debug" | "info" | "warning" | "error";

/** Output format of the console lines. */
export type LogFormat = "text" | "json";

/** Extra data of a log line; values are printed as `key=value` or JSON. */
export type Fields = Record<string, unknown>;

/** What every shell module receives to report what it does. */
export interface Logger {
  /** Details for troubleshooting. */
  debug(event: string, msg: string, fields?: Fields): void;
  /** Normal operation. */
  info(event: string, msg: string, fields?: Fields): void;
  /** Something is wrong but the monitor goes on. */
  warning(event: string, msg: string, fields?: Fields): void;
  /** Something failed. */
  error(event: string, msg: string, fields?: Fields): void;
}

const LEVEL_ORDER: Record<Level, number> = {
  debug: 0,
  info: 1,
  warning: 2,
  error: 3,
};

/** sd-daemon(3) priority prefixes: journald strips them into the priority. */
const SYSLOG_PRIORITY: Record<Level, number> = {
  debug: 7,
  info: 6,
  warning: 4,
  error: 3,
};

/** A logger that drops everything: for internal queries whose failures the caller reports. */
export const SILENT_LOGGER: Logger = {
  debug() {},
  info() {},
  warning() {},
  error() {},
};

/** Text shown in place of a secret. */
export const MASK = "***";

/** Discord webhook URLs carry their token in the path: mask them wherever they appear. */
const WEBHOOK_URL = /https?:\/\/[^\s"']*\/api\/webhooks\/[^\s"']*/gi;

/** Options of {@linkcode ConsoleLogger}. */
export interface LoggerOptions {
  /** Console format. @default "text" */
  format?: LogFormat;
  /** Lowest level written. @default "info" */
  level?: Level;
  /**
   * Omit timestamps and prefix `<N>` priorities on console lines, for journald.
   * @default false
   */
  journald?: boolean;
  /** Writes one console line; tests capture it. @default console.error */
  write?: (line: string) => void;
  /** Current time; tests pin it. @default () => new Date() */
  now?: () => Date;
}

/**
 * Replaces every registered secret and every webhook URL in `text` with
 * {@linkcode MASK}.
 *
 * @param text Any text about to leave the process.
 * @param secrets Literal secret values (passwords, URLs, header values).
 * @returns The text with secrets masked.
 */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text.replace(WEBHOOK_URL, MASK);
  for (const secret of secrets) {
    if (secret.length > 0) out = out.replaceAll(secret, MASK);
  }
  return out;
}

function formatValue(value: unknown): string {
  if (typeof value === "string") {
    return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  }
  if (value instanceof Error) return JSON.stringify(value.message);
  return JSON.stringify(value) ?? String(value);
}

/** Logger that writes to stderr and, optionally, a log file. */
export class ConsoleLogger implements Logger {
  #format: LogFormat;
  #level: Level;
  #journald: boolean;
  #write: (line: string) => void;
  #now: () => Date;
  #secrets: string[] = [];
  #filePath: string | null = null;
  #file: Deno.FsFile | null = null;
  #encoder = new TextEncoder();

  /** @param options How and where to write. */
  constructor(options: LoggerOptions = {}) {
    this.#format = options.format ?? "text";
    this.#level = options.level ?? "info";
    this.#journald = options.journald ?? false;
    this.#write = options.write ?? ((line) => console.error(line));
    this.#now = options.now ?? (() => new Date());
  }

  /**
   * Changes format and level, e.g. once the config is loaded.
   *
   * @param options The settings to change.
   */
  configure(options: { format?: LogFormat; level?: Level }): void {
    if (options.format) this.#format = options.format;
    if (options.level) this.#level = options.level;
  }

  /**
   * Registers values that must never be printed (passwords, webhook URLs).
   *
   * @param secrets Literal values to mask from now on.
   */
  addSecrets(secrets: readonly string[]): void {
    for (const secret of secrets) {
      if (secret.length > 0 && !this.#secrets.includes(secret)) {
        this.#secrets.push(secret);
      }
    }
  }

  /**
   * Opens (or reopens, after logrotate moved it) the detailed log file; `null`
   * closes it.
   *
   * @param path Absolute path of the log file, or `null` for none.
   * @throws {Deno.errors.PermissionDenied} When the file cannot be opened.
   */
  openFile(path: string | null): void {
    this.#file?.close();
    this.#file = null;
    this.#filePath = path;
    if (path === null) return;
    this.#file = Deno.openSync(path, {
      append: true,
      create: true,
      mode: 0o640,
    });
  }

  /** Reopens the log file at its configured path (SIGHUP, logrotate). */
  reopenFile(): void {
    this.openFile(this.#filePath);
  }

  /** Closes the log file. */
  close(): void {
    this.openFile(null);
  }

  debug(event: string, msg: string, fields?: Fields): void {
    this.#log("debug", event, msg, fields);
  }

  info(event: string, msg: string, fields?: Fields): void {
    this.#log("info", event, msg, fields);
  }

  warning(event: string, msg: string, fields?: Fields): void {
    this.#log("warning", event, msg, fields);
  }

  error(event: string, msg: string, fields?: Fields): void {
    this.#log("error", event, msg, fields);
  }

  #log(level: Level, event: string, msg: string, fields: Fields = {}): void {
    if (LEVEL_ORDER[level] < LEVEL_ORDER[this.#level]) return;
    const ts = this.#now().toISOString();
    const text = this.#text(level, event, msg, fields);
    const json = redact(
      JSON.stringify({ ts, level, event, msg, ...fields }, jsonReplacer),
      this.#secrets,
    );
    if (this.#format === "json") {
      this.#write(json);
    } else if (this.#journald) {
      this.#write(`<${SYSLOG_PRIORITY[level]}>${text}`);
    } else {
      this.#write(`${ts} ${level.toUpperCase().padEnd(7)} ${text}`);
    }
    if (this.#file) {
      const line = this.#format === "json"
        ? json
        : `${ts} ${level.toUpperCase().padEnd(7)} ${text}`;
      try {
        this.#file.writeSync(this.#encoder.encode(line + "\n"));
      } catch (error) {
        // A full disk must not stop the monitor: report once on the console.
        this.#file = null;
        this.#write(
          redact(`Cannot write the log file: ${String(error)}`, this.#secrets),
        );
      }
    }
  }

  #text(_level: Level, event: string, msg: string, fields: Fields): string {
    const parts = [msg, `event=${event}`];
    for (const [key, value] of Object.entries(fields)) {
      if (value !== undefined) parts.push(`${key}=${formatValue(value)}`);
    }
    return redact(parts.join(" "), this.#secrets);
  }
}

function jsonReplacer(_key: string, value: unknown): unknown {
  return value instanceof Error ? value.message : value;
}

/**
 * Whether stderr goes to journald, going by the variable systemd sets
 * (`JOURNAL_STREAM`, see systemd.exec(5)).
 *
 * @returns `true` under a systemd service with journal output.
 */
export function underJournald(): boolean {
  try {
    return Deno.env.get("JOURNAL_STREAM") !== undefined;
  } catch {
    // Without env permission the daemon cannot tell; plain lines are the safe choice.
    return false;
  }
}
