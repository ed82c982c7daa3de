/**
 * The unmount step: each configured mount in order, with its options, each
 * bounded. A mount that is not mounted is skipped with a note; a hung
 * unmount is killed and reported; the step goes on with the next mount.
 *
 * @module
 */
import { MOUNT_TABLE_PATH } from "../kinds/filesystems.ts";
import type { PlannedStep } from "../plan.ts";
import {
  call,
  failureText,
  type StepContext,
  type StepOutcome,
  succeeded,
  worst,
} from "../step.ts";

/**
 * The mount points of a `/proc/self/mountinfo` text (the fifth field, with
 * the kernel's octal escapes such as `\040` for a space undone).
 *
 * @param text The mount table.
 * @returns Mount points in table order.
 */
export function parseMountInfo(text: string): string[] {
  return text.split("\n").flatMap((line) => {
    const field = line.split(" ")[4];
    return field === undefined ? [] : [
      field.replace(
        /\\([0-7]{3})/g,
        (_, octal: string) => String.fromCharCode(parseInt(octal, 8)),
      ),
    ];
  });
}

function normalise(path: string): string {
  return path.length > 1 ? path.replace(/\/+$/, "") : path;
}

/**
 * Unmounts `shutdown.filesystems.mounts` one after the other.
 *
 * @param context Collaborators; `config.shutdown.filesystems` is used.
 * @param _step The planned step.
 * @returns Done when every mounted path was unmounted (or was not mounted).
 */
export async function filesystemsStep(
  context: StepContext,
  _step: PlannedStep,
): Promise<StepOutcome> {
  const fs = context.config.shutdown.filesystems;
  // Deno reads /proc only with --allow-all, so cat reads the table (a query,
  // which runs in dry-run too).
  const table = await call(context, "cat", [MOUNT_TABLE_PATH], {
    kind: "query",
    timeoutMs: fs.timeout,
  });
  const mounted = succeeded(table)
    ? new Set(parseMountInfo(table.stdout))
    : null;
  const details: string[] = [];
  if (mounted === null) {
    details.push(
      `Cannot read the mount table: ${
        failureText(table)
      }; unmounting every mount`,
    );
  }
  const statuses: StepOutcome["status"][] = [];
  let unmounted = 0;
  let skipped = 0;
  for (const mount of fs.mounts) {
    const path = normalise(mount.path);
    if (mounted !== null && !mounted.has(path)) {
      details.push(`${path}: not mounted, skipped`);
      skipped++;
      continue;
    }
    const args = [
      ...(mount.lazy ? ["-l"] : []),
      ...(mount.force ? ["-f"] : []),
      path,
    ];
    context.action(`Unmounting ${path}`, { path });
    const result = await call(context, "umount", args, {
      kind: "action",
      timeoutMs: fs.timeout,
    });
    if (succeeded(result)) {
      unmounted++;
      details.push(`${path}: ${result.dryRun ? "would unmount" : "unmounted"}`);
      statuses.push("done");
    } else {
      details.push(`${path}: ${failureText(result)}`);
      statuses.push(result.timedOut ? "timeout" : "failed");
    }
  }
  const failed = statuses.filter((s) => s !== "done").length;
  return {
    status: worst(statuses),
    summary: [
      `${unmounted} of ${fs.mounts.length} unmounted`,
      skipped > 0 ? `${skipped} not mounted` : "",
      failed > 0 ? `${failed} failed` : "",
    ].filter((p) => p).join(", "),
    details,
  };
}
