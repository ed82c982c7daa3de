/**
 * The local shutdown kind, pure side: the configured command that powers
 * this host off, always the last step.
 *
 * @module
 * @pure
 */
import { formatWords } from "../../system/shell_words.ts";
import { plannedStep, programNeed, type PureStepKind } from "./kind.ts";

/** Shuts down this host. */
export const localKind: PureStepKind = {
  // The last step: the host powers off.
  reversible: false,
  plan(config, graceMs) {
    const { local } = config.shutdown;
    const step = plannedStep(
      {
        id: "local",
        kind: "local",
        title: "Local shutdown",
        enabled: local.enabled,
      },
      {
        worstCaseMs: local.timeout + graceMs,
        details: [
          `${formatWords(local.command)}${
            config.shutdown.dry_run ? " (dry-run: logged, not run)" : ""
          }`,
        ],
      },
    );
    return { steps: [step] };
  },
  needs(config) {
    const { enabled, command } = config.shutdown.local;
    return enabled && command[0]
      ? [
        programNeed(command[0], {
          key: "shutdown.local.command",
          fix:
            "install it, or set shutdown.local.command to the command that powers this host off",
        }),
      ]
      : [];
  },
};
