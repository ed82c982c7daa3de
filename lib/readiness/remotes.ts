/**
 * The readiness check of each enabled remote: the identity file exists,
 * then what `check --remote` proves (ssh logs in with the configured key and
 * host key, `sudo -n -l` allows the exact command), without running it.
 *
 * @module
 */
import type { Config, RemoteConfig } from "../config/schema.ts";
import { checkRemote } from "../shutdown/remote_check.ts";
import { knownHostsName, remoteLabel } from "../shutdown/ssh.ts";
import { formatWords } from "../system/shell_words.ts";
import type { CheckResult, ReadinessCheck } from "./check.ts";
import type { ReadinessContext } from "./checks.ts";

/**
 * One check per enabled remote, id `remotes.<index in the config>`.
 *
 * @param config A validated config.
 * @returns The checks, in config order.
 */
export function remoteChecks(
  config: Config,
): ReadinessCheck<ReadinessContext>[] {
  return config.shutdown.remotes.flatMap((remote, index) =>
    remote.enabled ? [remoteCheck(remote, index)] : []
  );
}

function remoteCheck(
  remote: RemoteConfig,
  index: number,
): ReadinessCheck<ReadinessContext> {
  const label = remoteLabel(remote);
  return {
    id: `remotes.${index}`,
    title: `Remote "${label}"`,
    async run(context): Promise<CheckResult> {
      const missingKey = await missingIdentity(remote, index);
      if (missingKey !== null) return { ready: false, detail: missingKey };
      // ssh ends with the check's bound, not the step's longer timeout.
      const bounded = {
        ...remote,
        timeout: Math.min(remote.timeout, context.timeoutMs),
      };
      const result = await checkRemote(bounded, {
        runner: context.runner,
        logger: context.logger,
        ...(context.env === undefined ? {} : { env: context.env }),
      });
      const detail = withoutLabel(result.message, label);
      return {
        ready: result.ok,
        detail: !result.ok && /host key/.test(detail)
          ? `${detail}; ${hostKeyFix(remote)}`
          : detail,
      };
    },
  };
}

/**
 * Why the identity file cannot be offered: ssh would only warn and then
 * report the server's refusal, which reads as a key problem on the remote.
 */
async function missingIdentity(
  remote: RemoteConfig,
  index: number,
): Promise<string | null> {
  const file = remote.identity_file;
  if (file === null) return null;
  try {
    if ((await Deno.stat(file)).isFile) return null;
  } catch (error) {
    // Only a missing file is certain; anything else ssh reports itself.
    if (!(error instanceof Deno.errors.NotFound)) return null;
  }
  return `the identity file "${file}" does not exist: create the key with "${
    formatWords(["ssh-keygen", "-t", "ed25519", "-N", "", "-f", file])
  }" and add "${file}.pub" to the authorized keys of "${remote.user}" on "${remote.host}", or fix shutdown.remotes.${index}.identity_file`;
}

/** The message of `check --remote` without the `Remote "nas": ` it opens with. */
function withoutLabel(message: string, label: string): string {
  const prefix = `Remote "${label}": `;
  if (message.startsWith(prefix)) return message.slice(prefix.length);
  return message.charAt(0).toLowerCase() + message.slice(1);
}

/** How to replace a host key that changed on purpose (a reinstalled NAS). */
function hostKeyFix(remote: RemoteConfig): string {
  const name = knownHostsName(remote);
  // The first file of the list is this program's own.
  const file = remote.known_hosts[0] ?? "";
  return `if the machine's key changed on purpose, replace the entry: "${
    formatWords(["ssh-keygen", "-R", name, "-f", file])
  }", then "${
    formatWords(["ssh-keyscan", "-p", String(remote.port), remote.host])
  } >> ${formatWords([file])}" and compare "ssh-keygen -lf ${
    formatWords([file])
  }" with the fingerprint shown on the machine`;
}
