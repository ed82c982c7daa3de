/**
 * What a config problem is and how it is told: the issue with its place,
 * the error that carries them, and the default path. Kept apart from the
 * loader so `main.ts` can tell a config error without loading YAML and the schema.
 *
 * @module
 * @pure
 */

/** Where the config lives unless `--config` says otherwise. */
export const DEFAULT_CONFIG_PATH = "/etc/ups-monitor/config.yaml";

/** One problem of a config file. */
export interface ConfigIssue {
  /** Path of the file. */
  file: string;
  /** 1-based line, when the problem has a place in the file. */
  line?: number;
  /** 1-based column, when the problem has a place in the file. */
  column?: number;
  /** Dotted key path, e.g. `ups.check_interval` or `shutdown.remotes.0.host`. */
  key?: string;
  /** What is wrong, in words. */
  message: string;
}

/**
 * Formats an issue as `FILE:LINE:COL: key.path: message`.
 *
 * @param issue The issue.
 * @returns One line of text.
 */
export function formatIssue(issue: ConfigIssue): string {
  const place = issue.line === undefined
    ? issue.file
    : `${issue.file}:${issue.line}:${issue.column ?? 1}`;
  return issue.key
    ? `${place}: ${issue.key}: ${issue.message}`
    : `${place}: ${issue.message}`;
}

/** The config file is missing, unreadable or invalid; `issues` lists every problem. */
export class ConfigError extends Error {
  /** Every problem found, in file order. */
  readonly issues: ConfigIssue[];

  /**
   * @param issues The problems; at least one.
   * @param options Standard error options (`cause`).
   */
  constructor(issues: ConfigIssue[], options?: ErrorOptions) {
    super(issues.map(formatIssue).join("\n"), options);
    this.name = "ConfigError";
    this.issues = issues;
  }
}
