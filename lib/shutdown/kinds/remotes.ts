/**
 * The remote step kind, pure side: the configured command on every enabled
 * remote machine over SSH, all in parallel.
 *
 * @module
 * @pure
 */
import { formatWords, quoteWord } from "../../system/shell_words.ts";
import {
  installOrDisable,
  plannedStep,
  programNeed,
  type PureStepKind,
  type StepNeed,
} from "./kind.ts";

/** Shuts down remote machines over SSH. */
export const remotesKind: PureStepKind = {
  // A NAS that was told to power off cannot be called back.
  reversible: false,
  plan(config, graceMs) {
    const all = config.shutdown.remotes;
    const remotes = all.filter((remote) => remote.enabled);
    const step = plannedStep(
      {
        id: "remotes",
        kind: "remotes",
        title: "Remote machines",
        enabled: true,
      },
      {
        // In parallel: the slowest remote decides.
        worstCaseMs: Math.max(0, ...remotes.map((r) => r.timeout + graceMs)),
        details: remotes.map((remote) =>
          `${remote.name ?? remote.host}: ssh ${
            quoteWord(`${remote.user}@${remote.host}`)
          }${remote.port === 22 ? "" : `:${remote.port}`} ${
            formatWords(remote.command)
          }${remote.host_key_policy === "off" ? " (host key NOT checked)" : ""}`
        ),
      },
      {
        skipWhenEnabled: all.length === 0
          ? "no remotes configured"
          : remotes.length === 0
          ? "every remote is disabled"
          : undefined,
      },
    );
    const warnings = remotes.filter((r) => r.host_key_policy === "off").map(
      (remote) =>
        `Remote "${
          remote.name ?? remote.host
        }" does not check the host key (host_key_policy "off")`,
    );
    return { steps: [step], warnings };
  },
  needs(config) {
    return config.shutdown.remotes.flatMap((remote, i): StepNeed[] => {
      if (!remote.enabled) return [];
      const key = `shutdown.remotes.${i}`;
      const fix = installOrDisable("openssh-client", `${key}.enabled`);
      return [
        programNeed("ssh", { key: `${key}.host`, fix }),
        // ssh-keygen -F looks the host key up at start-up.
        programNeed("ssh-keygen", { key: `${key}.known_hosts`, fix }),
        ...remote.known_hosts.map((path) => ({
          type: "read" as const,
          path,
          key: `${key}.known_hosts`,
        })),
        ...(remote.identity_file === null ? [] : [{
          type: "read" as const,
          path: remote.identity_file,
          key: `${key}.identity_file`,
        }]),
      ];
    });
  },
};
