// deno-lint-ignore-file no-console
/**
 * The one module that writes diagnostics. Human lines (journald-friendly) or
 * JSON lines on stderr, plus an optional log file with timestamps that can be
 * reopened on SIGHUP for logrotate. Secrets registered with the logger are
 * masked in every line, whatever field they hide in and however JSON escaped
 * them; control characters are escaped, so no value can forge a line. A log
 * file that cannot be opened or written never stops the program: it is
 * reported once and tried again later.
 *
 * @module
 */
import { describeFileError, openAppendNoFollow } from "./files.ts";

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
export { SECRET_MASK as MASK } from "../config/secret.ts";
import { SECRET_MASK as MASK } from "../config/secret.ts";

/**
 * How often a log file that failed is tried again, besides on SIGHUP: at the
 * first line to write after this long.
 */
export const LOG_FILE_RETRY_MS = 5 * 60_000;

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
  /** See {@linkcode LOG_FILE_RETRY_MS}. @default LOG_FILE_RETRY_MS */
  fileRetryMs?: number;
}

/**
 * The forms a secret can take in a line: as is, JSON-escaped up to three
 * times (JSON inside JSON in a field, whose value the line escapes once
 * more), and with non-ASCII characters as `\uXXXX` escapes, as ASCII-only
 * JSON writers print them. Longest first, so a longer form is masked whole
 * before a shorter one could match inside it.
 *
 * @param secret A literal secret value.
 * @returns The distinct non-empty forms.
 */
export function secretForms(secret: string): string[] {
  const forms = new Set<string>([secret]);
  for (let depth = 0; depth < 3; depth++) {
    for (const form of [...forms]) {
      const escaped = JSON.stringify(form).slice(1, -1);
      forms.add(escaped);
      forms.add(escapeNonAscii(escaped, false));
      forms.add(escapeNonAscii(escaped, true));
    }
  }
  return [...forms].filter((form) => form.length > 0)
    .sort((a, b) => b.length - a.length);
}

function escapeNonAscii(text: string, upperCase: boolean): string {
  // Per UTF-16 code unit, as JSON writers do (an emoji is two escapes).
  return text.replace(/[\u0080-\uffff]/g, (char) => {
    const hex = char.charCodeAt(0).toString(16).padStart(4, "0");
    return `\\u${upperCase ? hex.toUpperCase() : hex}`;
  });
}

/**
 * C0 controls (line feed, carriage return, escape, …), DEL, C1 controls and
 * the Unicode line and paragraph separators: what could end a log line early
 * or drive a terminal.
 */
// deno-lint-ignore no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

/**
 * Escapes control characters JSON-style (`\n`, `\r`, `\t`, `\u001b`), so a
 * value from the UPS or a VM name cannot start a forged log line or send
 * terminal escape sequences. The result is still valid inside a JSON string.
 *
 * @param text Text about to be written as (part of) one line.
 * @returns The text without raw control characters.
 */
export function escapeControls(text: string): string {
  return text.replace(CONTROL_CHARS, (char) => {
    if (char === "\n") return "\\n";
    if (char === "\r") return "\\r";
    if (char === "\t") return "\\t";
    return `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`;
  });
}

/**
 * Replaces every registered secret, in each of its {@linkcode secretForms},
 * and every webhook URL in `text` with {@linkcode MASK}.
 *
 * @param text Any text about to leave the process.
 * @param secrets Literal secret values (passwords, URLs, header values).
 * @returns The text with secrets masked.
 */
export function redact(text: string, secrets: readonly string[]): string {
  return maskForms(text, secrets.flatMap(secretForms));
}

function maskForms(text: string, forms: readonly string[]): string {
  let out = text.replace(WEBHOOK_URL, MASK);
  for (const form of forms) out = out.replaceAll(form, MASK);
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
  /** Every form of every registered secret, longest first. */
  #secretForms: string[] = [];
  #secrets: string[] = [];
  #filePath: string | null = null;
  #file: Deno.FsFile | null = null;
  /** The log file failed and was reported; cleared when it works again. */
  #fileFailed = false;
  #fileRetryAt = 0;
  #fileRetryMs: number;
  #encoder = new TextEncoder();

  /** @param options How and where to write. */
  constructor(options: LoggerOptions = {}) {
    this.#format = options.format ?? "text";
    this.#level = options.level ?? "info";
    this.#journald = options.journald ?? false;
    this.#write = options.write ?? ((line) => console.error(line));
    this.#now = options.now ?? (() => new Date());
    this.#fileRetryMs = options.fileRetryMs ?? LOG_FILE_RETRY_MS;
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
    this.#secretForms = [...new Set(this.#secrets.flatMap(secretForms))]
      .sort((a, b) => b.length - a.length);
  }

  /**
   * Opens (or reopens, after logrotate moved it) the detailed log file; `null`
   * closes it. Never throws: a file that cannot be opened (a directory, a
   * symlink, a read-only file system) is reported once as `log.file_failed`,
   * lines go to the console only, and the file is tried again on the next
   * call and at the first line after `fileRetryMs`.
   *
   * @param path Absolute path of the log file, or `null` for none.
   * @returns Whether the file is open (always `true` for `null`).
   */
  openFile(path: string | null): boolean {
    this.#closeFile();
    // Another file is another problem: it gets its own report.
    if (path !== this.#filePath) this.#fileFailed = false;
    this.#filePath = path;
    return path === null || this.#tryOpenFile(path);
  }

  /**
   * Reopens the log file at its configured path (SIGHUP, logrotate).
   *
   * @returns Whether the file is open, as {@linkcode ConsoleLogger.openFile}.
   */
  reopenFile(): boolean {
    return this.openFile(this.#filePath);
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

  #tryOpenFile(path: string): boolean {
    try {
      this.#file = openAppendNoFollow(path, 0o640);
    } catch (error) {
      this.#fileFailure("open", path, error);
      return false;
    }
    if (this.#fileFailed) {
      this.#fileFailed = false;
      this.info(
        "log.file_restored",
        `Writing the log file "${path}" works again`,
      );
    }
    return true;
  }

  #fileFailure(action: "open" | "write", path: string, error: unknown): void {
    this.#closeFile();
    this.#fileRetryAt = this.#now().getTime() + this.#fileRetryMs;
    if (this.#fileFailed) return;
    this.#fileFailed = true;
    const minutes = Math.round(this.#fileRetryMs / 60_000);
    this.warning(
      "log.file_failed",
      `Cannot ${action} the log file "${path}": ${
        describeFileError(error)
      }; logging to the console only, retrying on SIGHUP and every ${minutes} minutes`,
      { file: path },
    );
  }

  #closeFile(): void {
    try {
      this.#file?.close();
    } catch {
      // Closed already (a failed write): nothing left to release.
    }
    this.#file = null;
  }

  /**
   * Writes a line to the console. A console that is gone (journald
   * restarted, the parent that read stderr died: EPIPE) must not stop the
   * monitor: the line is dropped, the log file still gets it.
   */
  #console(line: string): void {
    try {
      this.#write(line);
    } catch {
      // Nowhere left to say so but the log file, which gets every line.
    }
  }

  #log(level: Level, event: string, msg: string, fields: Fields = {}): void {
    if (LEVEL_ORDER[level] < LEVEL_ORDER[this.#level]) return;
    const path = this.#filePath;
    if (
      path !== null && this.#file === null && this.#fileFailed &&
      this.#now().getTime() >= this.#fileRetryAt
    ) {
      this.#tryOpenFile(path);
    }
    const ts = this.#now().toISOString();
    const text = this.#text(level, event, msg, fields);
    const json = escapeControls(maskForms(
      JSON.stringify({ ts, level, event, msg, ...fields }, jsonReplacer),
      this.#secretForms,
    ));
    this.#console(
      this.#format === "json"
        ? json
        : this.#journald
        ? `<${SYSLOG_PRIORITY[level]}>${text}`
        : `${ts} ${level.toUpperCase().padEnd(7)} ${text}`,
    );
    if (this.#file && path !== null) {
      const line = this.#format === "json"
        ? json
        : `${ts} ${level.toUpperCase().padEnd(7)} ${text}`;
      try {
        const bytes = this.#encoder.encode(line + "\n");
        for (let done = 0; done < bytes.length;) {
          done += this.#file.writeSync(bytes.subarray(done));
        }
      } catch (error) {
        // A full disk must not stop the monitor: report once, retry later.
        this.#fileFailure("write", path, error);
      }
    }
  }

  #text(_level: Level, event: string, msg: string, fields: Fields): string {
    const parts = [msg, `event=${event}`];
    for (const [key, value] of Object.entries(fields)) {
      if (value !== undefined) parts.push(`${key}=${formatValue(value)}`);
    }
    return escapeControls(maskForms(parts.join(" "), this.#secretForms));
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
