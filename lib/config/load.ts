/**
 * Reads the YAML config, validates it against the schema and reports every
 * problem at once as `FILE:LINE:COL: key.path: message`. Secret values are
 * never part of a message.
 *
 * @module
 */
import { errorMessage } from "../errors.ts";
import { isMap, isNode, LineCounter, parseDocument } from "yaml";
import type { Document, Node } from "yaml";
import type { z } from "zod";
import {
  type Config,
  configSchema,
  knownKeysAt,
  nutCredentialProblem,
} from "./schema.ts";
import { FileError, READ_LIMITS, readTextBounded } from "../system/files.ts";
import { closest, describeIssue } from "./issue_text.ts";

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
}

/**
 * The issues of the one union option the value has the shape of (`ups`: a
 * mapping or a list): "expected a mapping" from the list option says
 * nothing about a mapping with a bad key.
 *
 * @returns Those issues, or null when the issue is no such union's.
 */
function matchingBranch(issue: z.core.$ZodIssue): z.core.$ZodIssue[] | null {
  if (issue.code !== "invalid_union") return null;
  const shaped = issue.errors.filter((errors) =>
    !errors.some((inner) =>
      inner.path.length === 0 && inner.code === "invalid_type"
    )
  );
  return shaped.length === 1 ? shaped[0]! : null;
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
  const nutPassword = config.ups.password_file === null
    ? config.ups.password
    : await readPasswordFile(
      config.ups.password_file,
      ["ups", "password_file"],
      place,
    );
  const cycle = config.shutdown.power_cycle;
  // Read only for an enabled step: a disabled one's file may not exist yet.
  const powerCyclePassword = cycle.enabled && cycle.password_file !== null
    ? await readPasswordFile(
      cycle.password_file,
      ["shutdown", "power_cycle", "password_file"],
      place,
    )
    : cycle.password;
  let caCerts: string[] | null = null;
  const caFile = config.ups.ca_file;
  if (caFile !== null) {
    try {
      caCerts = [await readTextBounded(caFile, READ_LIMITS.caFile)];
    } catch (error) {
      throw new ConfigError([{
        file: path,
        ...placeOf(text, ["ups", "ca_file"]),
        key: "ups.ca_file",
        message: `cannot read "${caFile}": ${reason(error)}`,
      }], { cause: error });
    }
  }
  if (options.checkKeyFiles) {
    const keyIssues = await identityFileIssues(config, path, text);
    if (keyIssues.length > 0) throw new ConfigError(keyIssues);
  }
  return { path, config, nutPassword, powerCyclePassword, text, caCerts };
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
  key: readonly string[],
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

function toIssues(
  issue: z.core.$ZodIssue,
  doc: Document,
  lineCounter: LineCounter,
  file: string,
): ConfigIssue[] {
  const branch = matchingBranch(issue);
  if (branch !== null) {
    return branch.flatMap((inner) =>
      toIssues(
        { ...inner, path: [...issue.path, ...inner.path] },
        doc,
        lineCounter,
        file,
      )
    );
  }
  if (issue.code === "unrecognized_keys") {
    return issue.keys.map((key) => {
      const path = [...issue.path, key];
      const known = knownKeysAt(issue.path);
      const hint = closest(key, known);
      return {
        file,
        ...locate(doc, lineCounter, path, true),
        key: dotted(path),
        message: hint
          ? `unknown key (did you mean "${hint}"?)`
          : `unknown key${
            known.length > 0
              ? ` (known: ${known.map((k) => `"${k}"`).join(", ")})`
              : ""
          }`,
      };
    });
  }
  return [{
    file,
    ...locate(doc, lineCounter, issue.path, false),
    ...(issue.path.length > 0 ? { key: dotted(issue.path) } : {}),
    message: describeIssue(issue, doc),
  }];
}

function dotted(path: readonly PropertyKey[]): string {
  return path.map(String).join(".");
}

/** Line and column of the node at `path`, or of its nearest existing ancestor. */
function locate(
  doc: Document,
  lineCounter: LineCounter,
  path: readonly PropertyKey[],
  atKey: boolean,
): { line?: number; column?: number } {
  for (let depth = path.length; depth >= 1; depth--) {
    const here = path.slice(0, depth) as unknown[];
    const node = depth === 0 ? doc.contents : doc.getIn(here, true);
    let target: unknown = node;
    if (depth > 0 && (atKey || depth < path.length)) {
      // Point at the key itself when the value is missing or the key is unknown.
      const parent = depth === 1
        ? doc.contents
        : doc.getIn(here.slice(0, -1), true);
      if (isMap(parent)) {
        const pair = parent.items.find((p) =>
          isNode(p.key) && String(p.key.toJSON()) === here.at(-1)
        );
        if (pair && isNode(pair.key)) target = pair.key;
      }
    }
    if (isNode(target) && (target as Node).range) {
      const { line, col } = lineCounter.linePos((target as Node).range![0]);
      return { line, column: col };
    }
  }
  return {};
}

/** Line and column of a key in config text, for problems found after validation. */
function placeOf(
  text: string,
  path: readonly (string | number)[],
): { line?: number; column?: number } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter });
  return locate(doc, lineCounter, path, true);
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
