/**
 * The remote step: the configured command on every enabled remote machine
 * over SSH, all in parallel, each bounded by its own timeout.
 *
 * @module
 */
import type { RemoteConfig } from "../../config/schema.ts";
import type { PlannedStep } from "../plan.ts";
import { remoteLabel, remoteProblem, sshArgs } from "../ssh.ts";
import {
  call,
  failureText,
  lastLine,
  type StepContext,
  type StepOutcome,
  succeeded,
  worst,
} from "../step.ts";

/**
 * Sends the shutdown command to each enabled remote.
 *
 * @param context Collaborators; `config.shutdown.remotes` is used.
 * @param _step The planned step.
 * @returns Done when every remote accepted its command.
 */
export async function remotesStep(
  context: StepContext,
  _step: PlannedStep,
): Promise<StepOutcome> {
  const remotes = context.config.shutdown.remotes.filter((r) => r.enabled);
  const outcomes = await Promise.all(
    remotes.map((remote) => shutdownRemote(context, remote)),
  );
  const ok = outcomes.filter((o) => o.status === "done").length;
  return {
    status: worst(outcomes.map((o) => o.status)),
    summary: `${ok} of ${remotes.length} remotes accepted the command`,
    details: outcomes.map((o) => o.detail),
  };
}

async function shutdownRemote(
  context: StepContext,
  remote: RemoteConfig,
): Promise<{ status: StepOutcome["status"]; detail: string }> {
  const label = remoteLabel(remote);
  const problem = remoteProblem(remote);
  if (problem !== null) return { status: "failed", detail: problem };
  if (remote.host_key_policy === "off") {
    context.logger.warning(
      "shutdown.host_key",
      `Remote "${label}" is dialled without host key checking (host_key_policy "off")`,
      { remote: label },
    );
  }
  context.action(`Sending the shutdown command to ${label}`, {
    remote: label,
    command: remote.command.join(" "),
  });
  const result = await call(context, "ssh", sshArgs(remote, remote.command), {
    kind: "action",
    timeoutMs: remote.timeout,
  });
  if (succeeded(result)) {
    context.action(`${label} command sent`, { remote: label });
    return {
      status: "done",
      detail: `${label}: ${
        result.dryRun ? "command logged (dry-run)" : "command accepted"
      }`,
    };
  }
  const what = result.code === 255
    ? `ssh failed: ${lastLine(result.stderr) || "exit code 255"}`
    : result.code === null
    ? failureText(result)
    : `the remote command exited with code ${result.code}${
      lastLine(result.stderr) ? `: ${lastLine(result.stderr)}` : ""
    }`;
  return {
    status: result.timedOut ? "timeout" : "failed",
    detail: `${label}: ${what}`,
  };
}
