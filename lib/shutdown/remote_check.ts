/**
 * `check --remote`: connects to each remote with the sequence's own ssh
 * options and proves that the exact configured privileged command would be
 * allowed (`sudo -n -l` with the same flags and arguments) without running
 * it, reporting key, host key and sudoers problems before an outage does.
 *
 * @module
 */
import { errorMessage } from "../errors.ts";
import type { Config, RemoteConfig } from "../config/schema.ts";
import type { Runner } from "../system/exec.ts";
import type { Logger } from "../system/log.ts";
import { knownHostsList, remoteLabel, remoteProblem, sshArgs } from "./ssh.ts";
import { lastLine } from "./step.ts";

/** The outcome of checking one remote. */
export interface RemoteCheckResult {
  /** The remote's label. */
  remote: string;
  /** Whether the configured command is proven to be allowed. */
  ok: boolean;
  /** What was checked, or what is wrong and how to fix it. */
  message: string;
}

/** Options of {@linkcode checkRemotes}. */
export interface RemoteCheckOptions {
  /** Runs ssh; the calls are queries, so they also run in dry-run. */
  runner: Runner;
  /** Receives `check.remote` per remote. */
  logger: Logger;
  /** Environment added to each call. @default none */
  env?: Record<string, string>;
}

/** sudo options that take a value (`-u root`), as sudo 1.9 parses them. */
const SUDO_VALUE_OPTIONS = new Set([
  "-u",
  "-g",
  "-h",
  "-p",
  "-C",
  "-D",
  "-R",
  "-T",
  "-U",
  "-r",
  "-t",
]);

/** A sudo command line split into sudo's options and the command it runs. */
export interface SudoCommand {
  /** `sudo` or a path to it. */
  sudo: string;
  /** sudo's options with their values, without `-n`. */
  options: string[];
  /** The privileged command and its arguments. */
  command: string[];
}

/**
 * Splits a configured command that starts with sudo.
 *
 * @param words The configured remote command.
 * @returns The parts, or `null` when the command does not use sudo.
 */
export function parseSudo(words: readonly string[]): SudoCommand | null {
  const [first, ...rest] = words;
  if (first === undefined || (first !== "sudo" && !first.endsWith("/sudo"))) {
    return null;
  }
  const options: string[] = [];
  let i = 0;
  for (; i < rest.length; i++) {
    const word = rest[i] ?? "";
    if (word === "--") {
      i++;
      break;
    }
    if (!word.startsWith("-")) break;
    if (word !== "-n" && word !== "--non-interactive") options.push(word);
    if (SUDO_VALUE_OPTIONS.has(word) && i + 1 < rest.length) {
      options.push(rest[++i] ?? "");
    }
  }
  return { sudo: first, options, command: rest.slice(i) };
}

/** Options that make sudo run the command through a shell (not with `-l`). */
const SHELL_OPTIONS = new Set(["-i", "-s", "--login", "--shell"]);

/** Whether a sudo command runs through a shell (`-i`, `-s`). */
function usesShell(sudo: SudoCommand): boolean {
  return sudo.options.some((o) =>
    SHELL_OPTIONS.has(o) || /^-[a-zA-Z]*[is][a-zA-Z]*$/.test(o)
  );
}

/**
 * The command that proves `words` without running it: for `sudo [opts] cmd
 * args`, `sudo -n -l [-u user] [-g group] cmd args`. Only the options that
 * pick the rule are kept; the others (`-i`, `-E`…) do not combine with `-l`.
 *
 * @param words The configured remote command.
 * @returns The probe's words, or `null` when the command does not use sudo.
 */
export function sudoProbe(words: readonly string[]): string[] | null {
  const parsed = parseSudo(words);
  if (parsed === null) return null;
  const kept: string[] = [];
  parsed.options.forEach((option, i) => {
    const value = parsed.options[i + 1];
    if ((option === "-u" || option === "-g") && value !== undefined) {
      kept.push(option, value);
    }
  });
  return [parsed.sudo, "-n", "-l", ...kept, ...parsed.command];
}

/** ssh's own log lines at `-v`, as opposed to what the remote side wrote. */
const SSH_LOG_LINE =
  /^(debug\d: |OpenSSH_|Authenticated to |Transferred: sent |Bytes per second: )/;

/** What `ssh -v` wrote, split into the remote's stderr and ssh's log. */
export interface SshVerboseOutput {
  /** Standard error without ssh's log lines. */
  stderr: string;
  /** The known_hosts file whose entry matched the host key, or `null`. */
  hostKeyFile: string | null;
}

/**
 * Splits the standard error of `ssh -v`: ssh logs the file whose entry
 * matched as `debug1: Found key in FILE:LINE`, the one place that tells which
 * of several known_hosts files vouched for the host.
 *
 * @param stderr Standard error of `ssh -v`.
 * @returns The rest of the output and the matching file.
 */
export function splitSshVerbose(stderr: string): SshVerboseOutput {
  const lines = stderr.split(/\r?\n/);
  let hostKeyFile: string | null = null;
  for (const line of lines) {
    const found = /^debug1: Found key in (.+):\d+$/.exec(line);
    if (found) hostKeyFile ??= found[1] ?? null;
  }
  return {
    stderr: lines.filter((line) => !SSH_LOG_LINE.test(line)).join("\n"),
    hostKeyFile,
  };
}

/**
 * Checks every enabled remote: ssh connects with key auth and the host key
 * policy, and sudo would allow the configured command without a password.
 * A passing result names the known_hosts file that held the host key.
 *
 * @param config A validated config.
 * @param options Runner, logger and environment.
 * @returns One result per enabled remote, in config order.
 */
export async function checkRemotes(
  config: Config,
  options: RemoteCheckOptions,
): Promise<RemoteCheckResult[]> {
  const remotes = config.shutdown.remotes.filter((remote) => remote.enabled);
  const results = await Promise.all(
    remotes.map((remote) => checkRemote(remote, options)),
  );
  for (const result of results) {
    options.logger[result.ok ? "info" : "error"](
      "check.remote",
      result.message,
      {
        remote: result.remote,
      },
    );
  }
  return results;
}

/**
 * Checks one remote as {@linkcode checkRemotes} does, without logging: the
 * readiness checks run it per remote on a schedule.
 *
 * @param remote A remote of the config.
 * @param options Runner and environment (the logger is not used).
 * @returns Whether the configured command is proven to be allowed, and why.
 */
export async function checkRemote(
  remote: RemoteConfig,
  options: RemoteCheckOptions,
): Promise<RemoteCheckResult> {
  const label = remoteLabel(remote);
  const fail = (message: string) => ({ remote: label, ok: false, message });
  const problem = remoteProblem(remote);
  if (problem !== null) return fail(problem);
  const probe = sudoProbe(remote.command);
  // Without sudo there is nothing to ask; `true` proves login and shell.
  const words = probe ?? ["true"];
  let result;
  try {
    // -v: ssh logs which known_hosts file held the key (see splitSshVerbose).
    result = await options.runner.run(
      "ssh",
      ["-v", ...sshArgs(remote, words)],
      {
        kind: "query",
        timeoutMs: remote.timeout,
        ...(options.env === undefined ? {} : { env: options.env }),
      },
    );
  } catch (error) {
    return fail(
      `Cannot check remote "${label}": ${errorMessage(error)}`,
    );
  }
  const { stderr, hostKeyFile } = splitSshVerbose(result.stderr);
  const hostKey = hostKeyFile === null
    ? ""
    : `; host key found in "${hostKeyFile}"`;
  const where = `${remote.user}@${remote.host}:${remote.port}`;
  if (result.timedOut) {
    return fail(`Cannot check remote "${label}": ssh to "${where}" timed out`);
  }
  if (result.code === 255) {
    if (
      /host key verification failed|host identification has changed/i.test(
        stderr,
      )
    ) {
      return fail(
        `Remote "${label}": the host key of "${where}" is not in ${
          knownHostsList(remote)
        } or does not match it (${lastLine(stderr)})`,
      );
    }
    if (/permission denied/i.test(stderr)) {
      return fail(
        `Remote "${label}": "${where}" refused the key${
          remote.identity_file ? ` "${remote.identity_file}"` : ""
        } (${lastLine(stderr)})`,
      );
    }
    return fail(
      `Cannot connect to remote "${label}" at "${where}": ${
        lastLine(stderr) || "ssh exit code 255"
      }`,
    );
  }
  const command = remote.command.join(" ");
  if (probe === null) {
    return result.code === 0
      ? {
        remote: label,
        ok: true,
        message:
          `Remote "${label}": ssh works; "${command}" does not use sudo, so it cannot be proven without running it${hostKey}`,
      }
      : fail(
        `Remote "${label}": a test command failed with exit code ${result.code}: ${
          lastLine(stderr)
        }`,
      );
  }
  const sudo = parseSudo(remote.command);
  if (sudo !== null && usesShell(sudo)) {
    // sudo -i and -s run "<shell> -c <command>": a rule for the command
    // itself never matches that, whatever the probe of the bare command says.
    return fail(
      `Remote "${label}": "${command}" would be refused: sudo -i and -s run the command through a shell, which a command-specific sudoers rule does not cover (and without -n sudo waits for a password that never comes); use "sudo -n" with the absolute path the rule names, e.g. "sudo -n /usr/syno/sbin/synoshutdown -s"`,
    );
  }
  if (result.code === 0) {
    return {
      remote: label,
      ok: true,
      message:
        `Remote "${label}": sudo allows "${command}" without a password (${
          lastLine(result.stdout)
        })${hostKey}`,
    };
  }
  const why = /password is required/i.test(stderr)
    ? "sudo asks for a password (no NOPASSWD rule covers it)"
    : `no sudoers rule allows it${
      lastLine(stderr) ? ` (${lastLine(stderr)})` : ""
    }`;
  return fail(
    `Remote "${label}": "${command}" would be refused: ${why}; use "sudo -n" with the absolute path the sudoers rule names, e.g. "sudo -n ${
      sudo?.command.join(" ") ?? ""
    }" for the rule "${remote.user} ALL=(ALL) NOPASSWD: ${
      sudo?.command.join(" ") ?? ""
    }"`,
  );
}
