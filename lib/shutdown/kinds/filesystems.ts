/**
 * The unmount step kind, pure side: read the mount table, then unmount each
 * configured mount in order, each bounded.
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
} from "./kind.ts";

/**
 * The mount table, read to skip mounts that are not mounted. Deno 2.9 grants
 * files under /proc only with --allow-all, so `cat` reads it.
 */
export const MOUNT_TABLE_PATH = "/proc/self/mountinfo";

/** Unmounts file systems. */
export const filesystemsKind: PureStepKind = {
  // An unmounted file system may have lost its server: not undone.
  reversible: false,
  plan(config, graceMs) {
    const fs = config.shutdown.filesystems;
    const call = fs.timeout + graceMs;
    const step = plannedStep(
      {
        id: "filesystems",
        kind: "filesystems",
        title: "File systems",
        enabled: fs.enabled,
      },
      {
        // Reading the mount table is one short query.
        worstCaseMs: fs.mounts.length === 0
          ? 0
          : call + fs.mounts.length * call,
        details: fs.mounts.map((mount) =>
          formatWords([
            "umount",
            ...(mount.lazy ? ["-l"] : []),
            ...(mount.force ? ["-f"] : []),
            mount.path,
          ])
        ),
      },
      {
        skipWhenEnabled: fs.mounts.length === 0
          ? "no mounts configured"
          : undefined,
      },
    );
    return { steps: [step] };
  },
  needs(config) {
    const fs = config.shutdown.filesystems;
    if (!fs.enabled || fs.mounts.length === 0) return [];
    return [
      programNeed("umount", {
        key: "shutdown.filesystems.mounts",
        fix: installOrDisable("util-linux", "shutdown.filesystems.enabled"),
      }),
      programNeed("cat", {
        key: "shutdown.filesystems.mounts",
        fix: installOrDisable("coreutils", "shutdown.filesystems.enabled"),
      }),
    ];
  },
};
