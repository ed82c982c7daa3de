/**
 * Custom command steps, pure side: one step per entry of `shutdown.custom`,
 * placed by the plan after the step its `after` names.
 *
 * @module
 * @pure
 */
import { formatWords } from "../../system/shell_words.ts";
import {
  installOrDisable,
  plannedStep,
  programNeed,
  type PureStepKind,
  type StepNeed,
} from "./kind.ts";

/** Runs the configured extra commands. */
export const customKind: PureStepKind = {
  // Each custom step says so itself (`reversible`).
  reversible: false,
  plan(config, graceMs) {
    const steps = config.shutdown.custom.map((custom, index) =>
      plannedStep(
        {
          id: `custom.${index}`,
          kind: "custom",
          title: custom.name,
          enabled: custom.enabled,
        },
        {
          worstCaseMs: custom.timeout + graceMs,
          details: [formatWords(custom.command)],
          customIndex: index,
        },
      )
    );
    return { steps };
  },
  needs(config) {
    return config.shutdown.custom.flatMap((custom, i): StepNeed[] =>
      custom.enabled && custom.command[0]
        ? [
          programNeed(custom.command[0], {
            key: `shutdown.custom.${i}.command`,
            fix: installOrDisable("it", `shutdown.custom.${i}.enabled`),
          }),
        ]
        : []
    );
  },
};
