/**
 * The container step kind, pure side: list the running docker or podman
 * containers, stop the selected ones in one call.
 *
 * @module
 * @pure
 */
import { formatDuration } from "../../config/duration.ts";
import {
  installOrDisable,
  type KindSection,
  plannedStep,
  type PureStepKind,
} from "./kind.ts";

/** Stops docker or podman containers. */
export const containersKind: PureStepKind = {
  // The containers it stopped are started again.
  reversible: true,
  plan(config, graceMs) {
    const ct = config.shutdown.containers;
    const engine = ct.engine === "auto" ? "docker or podman" : ct.engine;
    const step = plannedStep(
      {
        id: "containers",
        kind: "containers",
        title: "Containers",
        enabled: ct.enabled,
      },
      {
        worstCaseMs: 2 * (ct.timeout + graceMs),
        details: [
          `${engine}: list running containers${filterText(ct)}`,
          `stop them in one call, ${
            formatDuration(ct.stop_timeout)
          } each before they are killed`,
        ],
      },
    );
    const timingWarnings = ct.enabled && ct.stop_timeout >= ct.timeout
      ? [
        `shutdown.containers.stop_timeout "${
          formatDuration(ct.stop_timeout)
        }" is not below shutdown.containers.timeout "${
          formatDuration(ct.timeout)
        }": the stop call may be killed before the engine kills the containers`,
      ]
      : [];
    return { steps: [step], timingWarnings };
  },
  needs(config) {
    const { enabled, engine } = config.shutdown.containers;
    if (!enabled) return [];
    return [{
      type: "program",
      // auto tries docker, then podman: either will do, both may run.
      programs: engine === "auto" ? ["docker", "podman"] : [engine],
      key: "shutdown.containers.engine",
      fix: installOrDisable(
        engine === "auto" ? "docker or podman" : engine,
        "shutdown.containers.enabled",
      ),
    }];
  },
};

function filterText(ct: KindSection<"containers">): string {
  const parts: string[] = [];
  const { include, exclude } = ct;
  if (include.names.length + include.labels.length > 0) {
    parts.push(
      `only ${
        [...include.names, ...include.labels.map((l) => `label ${l}`)]
          .join(", ")
      }`,
    );
  }
  if (exclude.names.length + exclude.labels.length > 0) {
    parts.push(
      `except ${
        [...exclude.names, ...exclude.labels.map((l) => `label ${l}`)]
          .join(", ")
      }`,
    );
  }
  return parts.length === 0 ? "" : ` (${parts.join("; ")})`;
}
