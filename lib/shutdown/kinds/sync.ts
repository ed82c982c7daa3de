/**
 * The sync step kind, pure side: flush file system buffers, bounded.
 *
 * @module
 * @pure
 */
import { formatDuration } from "../../config/duration.ts";
import {
  installOrDisable,
  plannedStep,
  programNeed,
  type PureStepKind,
} from "./kind.ts";

/** Flushes file system buffers. */
export const syncKind: PureStepKind = {
  // Flushing caches needs no undoing.
  reversible: true,
  plan(config, graceMs) {
    const sync = config.shutdown.sync;
    const step = plannedStep(
      { id: "sync", kind: "sync", title: "Sync", enabled: sync.enabled },
      {
        worstCaseMs: sync.timeout + graceMs,
        details: [`sync, abandoned after ${formatDuration(sync.timeout)}`],
      },
    );
    return { steps: [step] };
  },
  needs(config) {
    return config.shutdown.sync.enabled
      ? [
        programNeed("sync", {
          key: "shutdown.sync.enabled",
          fix: installOrDisable("coreutils", "shutdown.sync.enabled"),
        }),
      ]
      : [];
  },
};
