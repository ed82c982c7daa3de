/**
 * The rollback after an abort: in reverse order, what each reversible step
 * stopped is started again — the VMs that ran before (`virsh start`), the
 * containers it stopped (`docker|podman start`), the `undo` command of a
 * reversible custom step. Each action is bounded by `shutdown.abort.timeout`,
 * logged and notified; a failed one is reported and the rest go on.
 *
 * @module
 */
import type { CrisisFlag, Undo } from "./crisis_machine.ts";
import type { SequenceOptions } from "./sequence.ts";
import { notify } from "./sequence_notify.ts";
import { call, failureText, succeeded } from "./step.ts";

/**
 * Undoes the flag's reversible steps, last first.
 *
 * @param options The sequence's collaborators.
 * @param flag The aborted sequence's flag, with each step's undo.
 * @returns One line per action, for the summary and the flag.
 */
export async function rollBack(
  options: SequenceOptions,
  flag: CrisisFlag,
): Promise<string[]> {
  const lines: string[] = [];
  for (const result of [...flag.results].reverse()) {
    if (result.undo === undefined) continue;
    for (const line of await undo(options, result.undo)) {
      const dry = options.runner.dryRun ? "[DRY-RUN] " : "";
      options.logger.info("shutdown.rollback", `${dry}${line}`, {
        step: result.id,
      });
      notify(options, {
        event: "shutdown.rollback",
        severity: "recovery",
        title: `${dry}Restoring ${result.title}`,
        message: line,
      });
      lines.push(line);
    }
  }
  return lines;
}

/** Runs the actions of one undo; one line each. */
async function undo(options: SequenceOptions, what: Undo): Promise<string[]> {
  const timeoutMs = options.config.shutdown.abort.timeout;
  const run = (program: string, args: string[], ms = timeoutMs) =>
    call(options, program, args, { kind: "action", timeoutMs: ms });
  switch (what.kind) {
    case "vms": {
      const base = what.uri === null ? [] : ["-c", what.uri];
      return await Promise.all(what.names.map(async (name) => {
        const result = await run("virsh", [...base, "start", "--domain", name]);
        // A VM that never stopped (the abort came during the wait) is running.
        return succeeded(result) || /already active/.test(result.stderr)
          ? `VM ${name} started`
          : `VM ${name}: cannot start (${failureText(result)})`;
      }));
    }
    case "containers": {
      const result = await run(what.engine, ["start", "--", ...what.ids]);
      const names = what.names.join(", ");
      return [
        succeeded(result)
          ? `Containers ${names} started`
          : `Containers ${names}: cannot start (${failureText(result)})`,
      ];
    }
    case "command": {
      const [program, ...args] = what.command;
      if (program === undefined) return [];
      const result = await run(program, args, what.timeoutMs);
      const shown = what.command.join(" ");
      return [
        succeeded(result)
          ? `Undo "${shown}" done`
          : `Undo "${shown}" failed (${failureText(result)})`,
      ];
    }
  }
}
