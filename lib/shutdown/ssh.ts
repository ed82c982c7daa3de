/**
 * SSH to the remote machines: the argument list (key auth, batch mode,
 * connect timeout, host key policy), the remote command line built from
 * configured words only, and the start-up check that each remote has a
 * known_hosts entry.
 *
 * @module
 */
import { errorMessage } from "../errors.ts";
import type { Config, RemoteConfig } from "../config/schema.ts";
import { sshNameProblem } from "../config/ssh_name.ts";
import { formatCommand, type Runner } from "../system/exec.ts";
import type { Logger } from "../system/log.ts";

/** The name a remote goes by in logs: its `name`, else its host. */
export function remoteLabel(remote: RemoteConfig): string {
  return remote.name ?? remote.host;
}

/**
 * Why a remote cannot be dialled safely, or `null`. A host or user starting
 * with `-` would be read by ssh as an option. The config refuses these
 * already; this guards a config built some other way.
 *
 * @param remote A remote of the config.
 * @returns A message, or `null` when the remote is fine.
 */
export function remoteProblem(remote: RemoteConfig): string | null {
  const names = [["host", remote.host], ["user", remote.user]] as const;
  for (const [key, value] of names) {
    if (sshNameProblem(value) !== null) {
      return `Cannot use remote "${
        remoteLabel(remote)
      }": ${key} "${value}" is not a valid ${key} name`;
    }
  }
  return null;
}

/**
 * The remote shell's command line: each configured word quoted for a POSIX
 * shell, so no word is split or expanded on the remote side.
 *
 * @param words The configured command, one word per item.
 * @returns One line of text.
 * @throws {RangeError} When `words` is empty.
 */
export function remoteCommandLine(words: readonly string[]): string {
  const [program, ...args] = words;
  if (program === undefined) {
    throw new RangeError("Cannot build a remote command: it has no words");
  }
  return formatCommand(program, args);
}

/**
 * The arguments of `ssh` that run `words` on `remote`: `BatchMode=yes`, a
 * connect timeout, the host key policy against the remote's known_hosts,
 * the identity file when set, the port, then `--` and the command line.
 *
 * @param remote A remote of the config.
 * @param words The remote command, one word per item.
 * @returns Arguments for `ssh`.
 */
export function sshArgs(
  remote: RemoteConfig,
  words: readonly string[],
): string[] {
  // ssh takes several files separated by spaces (the schema refuses
  // whitespace inside a path) and accepts a key found in any of them.
  const knownHosts = `UserKnownHostsFile=${remote.known_hosts.join(" ")}`;
  const policy = {
    strict: ["StrictHostKeyChecking=yes", knownHosts],
    "accept-new": ["StrictHostKeyChecking=accept-new", knownHosts],
    off: ["StrictHostKeyChecking=no", "UserKnownHostsFile=/dev/null"],
  }[remote.host_key_policy];
  const options = [
    "BatchMode=yes",
    `ConnectTimeout=${Math.max(1, Math.ceil(remote.connect_timeout / 1000))}`,
    ...policy,
    ...(remote.identity_file === null ? [] : ["IdentitiesOnly=yes"]),
  ];
  return [
    ...options.flatMap((option) => ["-o", option]),
    ...(remote.identity_file === null ? [] : ["-i", remote.identity_file]),
    "-p",
    String(remote.port),
    `${remote.user}@${remote.host}`,
    "--",
    remoteCommandLine(words),
  ];
}

/**
 * The host as known_hosts spells it: `host`, or `[host]:port` off port 22.
 *
 * @param remote A remote of the config.
 * @returns The name to look up with `ssh-keygen -F`.
 */
export function knownHostsName(remote: RemoteConfig): string {
  return remote.port === 22 ? remote.host : `[${remote.host}]:${remote.port}`;
}

/** A remote whose host key will not be checked or is not known. */
export interface HostKeyWarning {
  /** The remote's label. */
  remote: string;
  /** What is wrong and what follows from it. */
  message: string;
  /** A command that adds the host key, or `null` when none helps. */
  fix: string | null;
}

/** Options of {@linkcode checkKnownHosts}. */
export interface KnownHostsOptions {
  /** Runs `ssh-keygen -F` (a query). */
  runner: Runner;
  /** Receives a warning per problem (`shutdown.host_key`). */
  logger: Logger;
  /** Environment added to each call. @default none */
  env?: Record<string, string>;
  /** Bound of each lookup, ms. @default 5000 */
  timeoutMs?: number;
}

/**
 * The known_hosts files of a remote as a message lists them:
 * `"/a" or "/b"`.
 *
 * @param remote A remote of the config.
 * @returns The quoted paths joined by "or".
 */
export function knownHostsList(remote: RemoteConfig): string {
  return remote.known_hosts.map((file) => `"${file}"`).join(" or ");
}

/** Where a remote's host key was found, or why it was not. */
interface KnownHostsLookup {
  /** The first file with an entry for the host, or `null`. */
  file: string | null;
  /** Errors of the lookups other than a missing file, `: …` or empty. */
  detail: string;
}

/** `ssh-keygen -F host -f file` for each of the remote's files, in order. */
async function lookUpHostKey(
  remote: RemoteConfig,
  options: KnownHostsOptions,
): Promise<KnownHostsLookup> {
  const details: string[] = [];
  for (const file of remote.known_hosts) {
    try {
      const result = await options.runner.run("ssh-keygen", [
        "-F",
        knownHostsName(remote),
        "-f",
        file,
      ], {
        kind: "query",
        timeoutMs: options.timeoutMs ?? 5000,
        ...(options.env === undefined ? {} : { env: options.env }),
      });
      if (result.code === 0 && result.stdout.trim() !== "") {
        return { file, detail: "" };
      }
      // A missing file is as empty as ssh takes it; other errors are told.
      const stderr = result.stderr.trim();
      if (result.code === 255 && !/no such file/i.test(stderr)) {
        details.push(stderr);
      }
    } catch (error) {
      details.push(errorMessage(error));
    }
  }
  return {
    file: null,
    detail: details.length === 0 ? "" : `: ${details.join("; ")}`,
  };
}

/**
 * Checks that each enabled remote has an entry in one of its known_hosts
 * files (`ssh-keygen -F host -f file` for each), as `run` does at start.
 * Logs each problem loudly; the caller notifies.
 *
 * @param config A validated config.
 * @param options Runner, logger and bound.
 * @returns One warning per remote without a usable entry; empty when all are fine.
 */
export async function checkKnownHosts(
  config: Config,
  options: KnownHostsOptions,
): Promise<HostKeyWarning[]> {
  const warnings: HostKeyWarning[] = [];
  for (const remote of config.shutdown.remotes) {
    if (!remote.enabled) continue;
    const label = remoteLabel(remote);
    // accept-new and ssh-keyscan users write to the first file.
    const first = remote.known_hosts[0] ?? "";
    const fix = `ssh-keyscan -p ${remote.port} ${remote.host} >> ${
      formatCommand(first, [])
    }  (then compare "ssh-keygen -lf ${first}" with the key shown on the machine)`;
    if (remote.host_key_policy === "off") {
      warnings.push({
        remote: label,
        message:
          `Remote "${label}" is dialled without host key checking (host_key_policy "off"): anyone on the network path can pose as it`,
        fix: null,
      });
      continue;
    }
    const { file, detail } = await lookUpHostKey(remote, options);
    if (file !== null) continue;
    const consequence = remote.host_key_policy === "strict"
      ? "the shutdown command would be refused"
      : "the first connection will trust whatever key it is shown";
    warnings.push({
      remote: label,
      message: `Remote "${label}" has no key for "${
        knownHostsName(remote)
      }" in ${knownHostsList(remote)}${detail}; ${consequence}`,
      fix,
    });
  }
  for (const warning of warnings) {
    options.logger.warning("shutdown.host_key", warning.message, {
      remote: warning.remote,
      ...(warning.fix === null ? {} : { fix: warning.fix }),
    });
  }
  return warnings;
}
