/**
 * The VM step: ask every running libvirt domain to shut down (all at once),
 * wait until they are off or `max_wait` passes, destroy the rest. A domain
 * is always named as `--domain NAME`: virsh takes the word after `--domain`
 * as the name even when it begins with `--`, where a bare `--help` would
 * print the help and "succeed".
 *
 * @module
 */
import type { PlannedStep } from "../plan.ts";
import {
  call,
  failureText,
  type StepContext,
  type StepOutcome,
  succeeded,
} from "../step.ts";

const DEFAULT_POLL_INTERVAL_MS = 500;

/**
 * Shuts down the running VMs; reports each by name.
 *
 * @param context Collaborators; `config.shutdown.vms` is used.
 * @param _step The planned step.
 * @returns Done when every VM is off, failed or timeout otherwise.
 */
export async function vmsStep(
  context: StepContext,
  _step: PlannedStep,
): Promise<StepOutcome> {
  const vms = context.config.shutdown.vms;
  const base = vms.libvirt_uri === null ? [] : ["-c", vms.libvirt_uri];
  const virsh = (
    args: string[],
    kind: "query" | "action",
    timeoutMs?: number,
  ) =>
    call(context, "virsh", [...base, ...args], {
      kind,
      timeoutMs: timeoutMs ?? vms.timeout,
    });
  const listRunning = async (timeoutMs?: number) => {
    const result = await virsh(
      ["list", "--name", "--state-running"],
      "query",
      timeoutMs,
    );
    return {
      result,
      // A name is taken byte for byte: only the empty lines are dropped.
      names: succeeded(result)
        ? result.stdout.split("\n").filter((l) => l !== "")
        : null,
    };
  };

  const listed = await listRunning();
  if (listed.names === null) {
    return {
      status: listed.result.timedOut ? "timeout" : "failed",
      summary: `Cannot list the running VMs: ${failureText(listed.result)}`,
      details: [],
    };
  }
  const running = listed.names;
  if (running.length === 0) {
    return { status: "done", summary: "No VM was running", details: [] };
  }

  const requests = await Promise.all(running.map(async (name) => {
    context.action(`Stopping VM ${name}`, { vm: name });
    return {
      name,
      result: await virsh(["shutdown", "--domain", name], "action"),
    };
  }));
  const details: string[] = [];
  for (const { name, result } of requests) {
    if (!succeeded(result)) {
      details.push(
        `VM ${name}: shutdown request failed (${failureText(result)})`,
      );
    }
  }

  let still = new Set(running);
  const waitStarted = context.clock.monotonic();
  if (context.runner.dryRun) {
    context.logger.info(
      "shutdown.vm_wait",
      `[DRY-RUN] would wait up to ${vms.max_wait} ms for ${running.length} VMs`,
    );
  } else {
    const interval = context.vmPollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
    while (still.size > 0) {
      const left = vms.max_wait - (context.clock.monotonic() - waitStarted);
      if (left <= 0) break;
      await context.clock.sleep(Math.min(interval, left));
      const remaining = vms.max_wait -
        (context.clock.monotonic() - waitStarted);
      // The last poll is cut to the time left, so the wait stays bounded.
      const poll = await listRunning(
        Math.max(200, Math.min(vms.timeout, remaining)),
      );
      if (poll.names === null) continue;
      const now = new Set(poll.names);
      for (const name of still) {
        if (!now.has(name)) {
          details.push(
            `VM ${name}: shut down after ${
              Math.round(context.clock.monotonic() - waitStarted)
            } ms`,
          );
        }
      }
      still = new Set([...still].filter((name) => now.has(name)));
    }
  }

  const statuses: StepOutcome["status"][] = [];
  let destroyed = 0;
  await Promise.all([...still].map(async (name) => {
    context.action(`Destroying VM ${name}`, { vm: name });
    const result = await virsh(["destroy", "--domain", name], "action");
    if (succeeded(result)) {
      destroyed++;
      details.push(
        result.dryRun
          ? `VM ${name}: would be destroyed if still running (dry-run)`
          : `VM ${name}: still running after ${vms.max_wait} ms, destroyed`,
      );
      statuses.push("done");
    } else {
      details.push(`VM ${name}: cannot destroy (${failureText(result)})`);
      statuses.push(result.timedOut ? "timeout" : "failed");
    }
  }));
  const failed = statuses.filter((s) => s !== "done").length;
  const stopped = running.length - still.size;
  const status = statuses.includes("timeout")
    ? "timeout"
    : failed > 0
    ? "failed"
    : "done";
  return {
    status,
    // Every VM that ran is started again after an abort, shut down or not.
    undo: { kind: "vms", uri: vms.libvirt_uri, names: running },
    summary: [
      `${stopped} of ${running.length} VMs shut down`,
      destroyed > 0 ? `${destroyed} destroyed` : "",
      failed > 0 ? `${failed} still running` : "",
    ].filter((p) => p).join(", "),
    details,
  };
}
