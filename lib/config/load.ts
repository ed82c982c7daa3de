/**
 * Reads the YAML config, validates it against the schema and reports every
 * problem at once as `FILE:LINE:COL: key.path: message`. Secret values are
 * never part of a message.
 *
 * @module
 */
import { configForUps } from "./ups_view.ts";
import { errorMessage } from "../errors.ts";
import { LineCounter, parseDocument } from "./yaml.ts";
import { type Config, configSchema, nutCredentialProblem } from "./schema.ts";
import { FileError, READ_LIMITS, readTextBounded } from "../system/files.ts";
import { placeOf, toIssues } from "./issue_place.ts";

export {
  ConfigError,
  type ConfigIssue,
  DEFAULT_CONFIG_PATH,
  formatIssue,
} from "./errors.ts";
import { ConfigError, type ConfigIssue } from "./errors.ts";

/** A loaded config with the secrets it refers to. */
export interface LoadedConfig {
  /** Path the config was read from. */
  path: string;
  /** The validated config. */
  config: Config;
  /** The NUT password, from `ups.password` or the first line of `ups.password_file`. */
  nutPassword: string | null;
  /**
   * The power cycle's NUT password, from `shutdown.power_cycle.password`, or
   * the first line of its `password_file` when the step is enabled.
   */
  powerCyclePassword: string | null;
  /** The YAML text, to place problems found after validation. */
  text: string;
  /** PEM text of `ups.ca_file`, read with the config so a bad path is a config error. */
  caCerts: string[] | null;
  /**
   * The password and CA of every UPS, in `config.upses` order (the first
   * is `nutPassword` and `caCerts`).
   */
  upsSecrets: UpsSecrets[];
}

/** What a UPS's files hold: its NUT password and its CA. */
export interface UpsSecrets {
  nutPassword: string | null;
  caCerts: string[] | null;
}

/**
 * A loaded config as one of its UPSes sees it: the config view of
 * {@linkcode configForUps} with that UPS's password and CA.
 *
 * @param loaded The loaded config.
 * @param index The UPS's index in `config.upses`.
 * @returns The view; `loaded` itself with one UPS.
 */
export function loadedForUps(
  loaded: LoadedConfig,
  index: number,
): LoadedConfig {
  if (loaded.config.upses.length === 1) return loaded;
  const secrets = loaded.upsSecrets[index];
  if (secrets === undefined) throw new RangeError(`No UPS at index ${index}`);
  return {
    ...loaded,
    config: configForUps(loaded.config, index),
    nutPassword: secrets.nutPassword,
    caCerts: secrets.caCerts,
  };
}

/** Reads a CA file named at `key`; a failure is a config error there. */
async function readCaFile(
  caFile: string,
  key: (string | number)[],
  place: { file: string; text: string },
): Promise<string> {
  try {
    return await readTextBounded(caFile, READ_LIMITS.caFile);
  } catch (error) {
    throw new ConfigError([{
      file: place.file,
      ...placeOf(place.text, key),
      key: key.join("."),
      message: `cannot read "${caFile}": ${reason(error)}`,
    }], { cause: error });
  }
}

/**
 * An issue about a key of a loaded config, placed at that key's line.
 *
 * @param loaded The loaded config.
 * @param key Dotted key path (`shutdown.remotes.0.host`), or undefined for the file.
 * @param message What is wrong.
 * @returns The issue.
 */
export function issueAt(
  loaded: LoadedConfig,
  key: string | undefined,
  message: string,
): ConfigIssue {
  if (key === undefined) return { file: loaded.path, message };
  const path = key.split(".").map((part) =>
    /^\d+$/.test(part) ? Number(part) : part
  );
  return { file: loaded.path, ...placeOf(loaded.text, path), key, message };
}

/** Options of {@linkcode loadConfig}. */
export interface LoadOptions {
  /**
   * Also refuse an enabled remote's `identity_file` that does not exist, as
   * `check` and `run` do; other commands never use the keys.
   * @default false
   */
  checkKeyFiles?: boolean;
}

/**
 * Reads and validates a config file.
 *
 * @param path Path of the YAML file.
 * @param options What else to check.
 * @returns The validated config.
 * @throws {ConfigError} When the file is missing, unreadable or invalid.
 */
export async function loadConfig(
  path: string,
  options: LoadOptions = {},
): Promise<LoadedConfig> {
  let text: string;
  try {
    text = await readTextBounded(path, READ_LIMITS.config);
  } catch (error) {
    throw new ConfigError([{
      file: path,
      message: `cannot read the config: ${reason(error)}`,
    }], {
      cause: error,
    });
  }
  const config = parseConfig(text, path);
  const place = { file: path, text };
  const several = config.upses.length > 1;
  const upsSecrets: UpsSecrets[] = [];
  for (const [index, ups] of config.upses.entries()) {
    const at = several ? ["ups", index] : ["ups"];
    upsSecrets.push({
      nutPassword: ups.password_file === null
        ? ups.password
        : await readPasswordFile(
          ups.password_file,
          [...at, "password_file"],
          place,
        ),
      caCerts: ups.ca_file === null
        ? null
        : [await readCaFile(ups.ca_file, [...at, "ca_file"], place)],
    });
  }
  const cycle = config.shutdown.power_cycle;
  // Read only for an enabled step: a disabled one's file may not exist yet.
  const powerCyclePassword = cycle.enabled && cycle.password_file !== null
    ? await readPasswordFile(
      cycle.password_file,
      ["shutdown", "power_cycle", "password_file"],
      place,
    )
    : cycle.password;
  const { nutPassword, caCerts } = upsSecrets[0]!;
  if (options.checkKeyFiles) {
    const keyIssues = await identityFileIssues(config, path, text);
    if (keyIssues.length > 0) throw new ConfigError(keyIssues);
  }
  return {
    path,
    config,
    nutPassword,
    powerCyclePassword,
    text,
    caCerts,
    upsSecrets,
  };
}

/**
 * The first line of a password file, checked as upsd would take it.
 *
 * @param passwordFile The file.
 * @param key Where the config names it.
 * @param place The config file and its text, to place the issue.
 * @returns The password.
 * @throws {ConfigError} When the file is unreadable, empty or the password
 *   has characters upsd would drop (the value is never in the message).
 */
export async function readPasswordFile(
  passwordFile: string,
  key: readonly (string | number)[],
  place: { file: string; text: string },
): Promise<string> {
  const issue = (message: string): ConfigIssue => ({
    file: place.file,
    ...placeOf(place.text, key),
    key: key.join("."),
    message,
  });
  let password: string;
  try {
    password = (await readTextBounded(passwordFile, READ_LIMITS.secret))
      .split(/\r?\n/)[0] ?? "";
  } catch (error) {
    throw new ConfigError([
      issue(`cannot read "${passwordFile}": ${reason(error)}`),
    ], { cause: error });
  }
  if (password === "") {
    throw new ConfigError([
      issue(`"${passwordFile}" is empty: its first line must be the password`),
    ]);
  }
  const problem = nutCredentialProblem(password);
  if (problem !== null) {
    throw new ConfigError([
      issue(`the password in "${passwordFile}": ${problem}`),
    ]);
  }
  return password;
}

/**
 * An identity file that does not exist makes ssh fall back to its default
 * keys, which the remote refuses: found here, not in the first outage. One
 * issue per enabled remote whose file is missing or not a file.
 */
async function identityFileIssues(
  config: Config,
  path: string,
  text: string,
): Promise<ConfigIssue[]> {
  const issues: ConfigIssue[] = [];
  for (const [i, remote] of config.shutdown.remotes.entries()) {
    const file = remote.identity_file;
    if (!remote.enabled || file === null) continue;
    const label = remote.name ?? remote.host;
    let problem: string | null = null;
    try {
      if (!(await Deno.stat(file)).isFile) {
        problem = `the SSH key "${file}" of remote "${label}" is not a file`;
      }
    } catch (error) {
      // Outside this program's read permission: the permission self-check
      // reports it with the config line, in the words it uses for all paths.
      if (error instanceof Deno.errors.NotCapable) continue;
      problem = error instanceof Deno.errors.NotFound
        ? `the SSH key "${file}" of remote "${label}" does not exist: create it with "ssh-keygen -t ed25519 -f ${file}" and copy it to the remote with "ssh-copy-id -i ${file}.pub ${remote.user}@${remote.host}", or set identity_file to the key the remote accepts`
        : `cannot read the SSH key "${file}" of remote "${label}": ${
          reason(error)
        }`;
    }
    if (problem === null) continue;
    const key = ["shutdown", "remotes", i, "identity_file"];
    issues.push({
      file: path,
      ...placeOf(text, key),
      key: key.join("."),
      message: problem,
    });
  }
  return issues;
}

/**
 * Parses and validates config text.
 *
 * @param text The YAML text.
 * @param file The name used in messages.
 * @returns The validated config.
 * @throws {ConfigError} With every problem of the text.
 */
export function parseConfig(text: string, file: string): Config {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, {
    lineCounter,
    prettyErrors: false,
    uniqueKeys: true,
  });
  if (doc.errors.length > 0) {
    throw new ConfigError(doc.errors.map((error) => {
      const [start] = error.pos;
      const { line, col } = lineCounter.linePos(start);
      // The first line only: later lines quote the source, which may hold a secret.
      const message = (error.message.split("\n")[0] ?? "").replace(
        / at line \d+, column \d+:?$/,
        "",
      );
      return {
        file,
        line,
        column: col,
        message: `invalid YAML: ${lowerFirst(message)}`,
      };
    }));
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    // An alias bomb ("Excessive alias count"): refused like any invalid YAML.
    throw new ConfigError([{
      file,
      message: `invalid YAML: ${lowerFirst(errorMessage(error))}`,
    }], {
      cause: error,
    });
  }
  if (data === null || data === undefined) {
    throw new ConfigError([{
      file,
      message: "the config is empty: set at least ups.name",
    }]);
  }
  const result = configSchema.safeParse(data);
  if (result.success) return result.data;
  const issues = result.error.issues.flatMap((issue) =>
    toIssues(issue, doc, lineCounter, file)
  );
  issues.sort((a, b) =>
    (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0)
  );
  throw new ConfigError(issues);
}

function reason(error: unknown): string {
  if (error instanceof FileError) {
    return error.cause === undefined ? error.detail : reason(error.cause);
  }
  if (error instanceof Deno.errors.NotFound) return "no such file";
  if (
    error instanceof Deno.errors.PermissionDenied ||
    error instanceof Deno.errors.NotCapable
  ) {
    return "permission denied";
  }
  if (error instanceof Deno.errors.IsADirectory) return "it is a directory";
  if (
    error instanceof TypeError &&
    /invalid utf-8|stream did not contain valid UTF-8/i.test(error.message)
  ) {
    return "not UTF-8 text";
  }
  return error instanceof Error ? lowerFirst(error.message) : String(error);
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}
