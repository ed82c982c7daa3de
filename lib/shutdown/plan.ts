/**
 * The shutdown plan: the config turned into the ordered list of steps the
 * sequence runs, each with its worst-case duration, and the text that
 * `ups-monitor plan` prints. Pure: data in, data out.
 *
 * @pure
 * @module
 */
import { formatDuration } from "../config/duration.ts";
import type { Config } from "../config/schema.ts";
import { STEP_KINDS } from "../config/schema.ts";

/** A built-in step kind, or a custom command step. */
export type StepKind = typeof STEP_KINDS[number] | "custom";

/**
 * Milliseconds a bounded call may overrun its timeout: the runner's grace
 * between SIGTERM and SIGKILL (2 s) plus the wait before it abandons a child
 * that does not die (1 s), as in `lib/system/exec.ts`.
 */
export const CALL_GRACE_MS = 3000;

/** One step of the plan. */
export interface PlannedStep {
  /** Stable id recorded in the flag file: the kind, or `custom.<index>`. */
  id: string;
  /** Kind of step; selects the implementation in `steps/mod.ts`. */
  kind: StepKind;
  /** Human name, e.g. "VMs" or a custom step's name. */
  title: string;
  /** Whether the sequence runs it; a skipped step says why in `skipReason`. */
  enabled: boolean;
  /** Why the step is skipped; absent when enabled. */
  skipReason?: string;
  /** Worst-case duration in milliseconds; 0 when skipped. */
  worstCaseMs: number;
  /** What the step will do, one line each, e.g. `umount -l /mnt/nas`. */
  details: string[];
  /** Index into `shutdown.custom` for a custom step. */
  customIndex?: number;
}

/** The whole plan. */
export interface Plan {
  /** Steps in execution order; the local shutdown is always last. */
  steps: PlannedStep[];
  /** Wait for notifications before the local shutdown (the crisis budget), ms. */
  notifyFlushMs: number;
  /** Sum of the enabled steps' worst cases plus the notification wait, ms. */
  totalMs: number;
  /** `triggers.critical_runtime`, ms: the runtime left when the sequence may start. */
  criticalRuntimeMs: number;
  /** Whether actions are only logged (`shutdown.dry_run`). */
  dryRun: boolean;
  /** Problems with the plan, e.g. a total above the critical runtime. */
  warnings: string[];
}

/** Options of {@linkcode buildPlan}. */
export interface PlanOptions {
  /** Overrun allowed per bounded call, ms. @default CALL_GRACE_MS */
  callGraceMs?: number;
}

/**
 * Turns the config into the ordered steps of the shutdown sequence with
 * their worst-case durations. Custom steps follow the step they name (in
 * config order); the local shutdown comes last.
 *
 * @param config A validated config.
 * @param options Per-call grace.
 * @returns The plan; never throws.
 */
export function buildPlan(config: Config, options: PlanOptions = {}): Plan {
  const grace = options.callGraceMs ?? CALL_GRACE_MS;
  const call = (timeoutMs: number) => timeoutMs + grace;
  const { shutdown } = config;
  const builtIn: Record<string, PlannedStep> = {};
  const warnings: string[] = [];

  const vms = shutdown.vms;
  const virsh = vms.libvirt_uri === null
    ? "virsh"
    : `virsh -c ${vms.libvirt_uri}`;
  builtIn["vms"] = step("vms", "vms", "VMs", vms.enabled, {
    // list, shutdown (all at once), wait, destroy (all at once); the last
    // poll of the wait is cut to the time left, so it overruns by a grace.
    worstCaseMs: 3 * call(vms.timeout) + vms.max_wait + grace,
    details: [
      `${virsh} list --name --state-running`,
      `${virsh} shutdown <each running VM>, all at once`,
      `wait up to ${formatDuration(vms.max_wait)} for them to stop`,
      `${virsh} destroy <each VM still running>`,
    ],
  });

  const ct = shutdown.containers;
  const engine = ct.engine === "auto" ? "docker or podman" : ct.engine;
  builtIn["containers"] = step(
    "containers",
    "containers",
    "Containers",
    ct.enabled,
    {
      worstCaseMs: 2 * call(ct.timeout),
      details: [
        `${engine}: list running containers${filterText(ct)}`,
        `stop them in one call, ${
          formatDuration(ct.stop_timeout)
        } each before they are killed`,
      ],
    },
  );
  if (ct.enabled && ct.stop_timeout >= ct.timeout) {
    warnings.push(
      `shutdown.containers.stop_timeout "${
        formatDuration(ct.stop_timeout)
      }" is not below shutdown.containers.timeout "${
        formatDuration(ct.timeout)
      }": the stop call may be killed before the engine kills the containers`,
    );
  }

  builtIn["sync"] = step("sync", "sync", "Sync", shutdown.sync.enabled, {
    worstCaseMs: call(shutdown.sync.timeout),
    details: [`sync, abandoned after ${formatDuration(shutdown.sync.timeout)}`],
  });

  const fs = shutdown.filesystems;
  builtIn["filesystems"] = step(
    "filesystems",
    "filesystems",
    "File systems",
    fs.enabled,
    {
      // Reading the mount table is one short query.
      worstCaseMs: fs.mounts.length === 0
        ? 0
        : call(fs.timeout) + fs.mounts.length * call(fs.timeout),
      details: fs.mounts.map((mount) =>
        ["umount", mount.lazy ? "-l" : "", mount.force ? "-f" : "", mount.path]
          .filter((word) => word !== "").join(" ")
      ),
    },
    fs.mounts.length === 0 ? "no mounts configured" : undefined,
  );

  const remotes = shutdown.remotes.filter((remote) => remote.enabled);
  builtIn["remotes"] = step(
    "remotes",
    "remotes",
    "Remote machines",
    true,
    {
      // In parallel: the slowest remote decides.
      worstCaseMs: Math.max(0, ...remotes.map((r) => call(r.timeout))),
      details: remotes.map((remote) =>
        `${remote.name ?? remote.host}: ssh ${remote.user}@${remote.host}${
          remote.port === 22 ? "" : `:${remote.port}`
        } ${remote.command.join(" ")}${
          remote.host_key_policy === "off" ? " (host key NOT checked)" : ""
        }`
      ),
    },
    shutdown.remotes.length === 0
      ? "no remotes configured"
      : remotes.length === 0
      ? "every remote is disabled"
      : undefined,
  );

  const local = shutdown.local;
  const localStep = step("local", "local", "Local shutdown", local.enabled, {
    worstCaseMs: call(local.timeout),
    details: [
      `${local.command.join(" ")}${
        shutdown.dry_run ? " (dry-run: logged, not run)" : ""
      }`,
    ],
  });

  const customAfter = (position: string) =>
    shutdown.custom.flatMap((custom, index) =>
      custom.after === position
        ? [step(`custom.${index}`, "custom", custom.name, custom.enabled, {
          worstCaseMs: call(custom.timeout),
          details: [custom.command.join(" ")],
          customIndex: index,
        })]
        : []
    );

  const steps: PlannedStep[] = [...customAfter("start")];
  for (const kind of STEP_KINDS) {
    if (kind === "local") continue;
    const planned = builtIn[kind];
    if (planned) steps.push(planned);
    steps.push(...customAfter(kind));
  }
  steps.push(localStep);

  const notifyFlushMs = config.notifications.crisis_budget;
  const totalMs = notifyFlushMs +
    steps.reduce((sum, s) => sum + (s.enabled ? s.worstCaseMs : 0), 0);
  const criticalRuntimeMs = config.triggers.critical_runtime;
  if (totalMs > criticalRuntimeMs) {
    warnings.push(
      `The worst case "${formatDuration(totalMs)}" exceeds ` +
        `triggers.critical_runtime "${formatDuration(criticalRuntimeMs)}": ` +
        "the sequence may not finish on the battery it starts with",
    );
  }
  for (const remote of remotes) {
    if (remote.host_key_policy === "off") {
      warnings.push(
        `Remote "${
          remote.name ?? remote.host
        }" does not check the host key (host_key_policy "off")`,
      );
    }
  }
  return {
    steps,
    notifyFlushMs,
    totalMs,
    criticalRuntimeMs,
    dryRun: shutdown.dry_run,
    warnings,
  };
}

function step(
  id: string,
  kind: StepKind,
  title: string,
  enabled: boolean,
  body: { worstCaseMs: number; details: string[]; customIndex?: number },
  skipWhenEnabled?: string,
): PlannedStep {
  const skipReason = !enabled ? "disabled" : skipWhenEnabled;
  return {
    id,
    kind,
    title,
    enabled: skipReason === undefined,
    ...(skipReason === undefined ? {} : { skipReason }),
    worstCaseMs: skipReason === undefined ? body.worstCaseMs : 0,
    details: body.details,
    ...(body.customIndex === undefined
      ? {}
      : { customIndex: body.customIndex }),
  };
}

function filterText(ct: Config["shutdown"]["containers"]): string {
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

/**
 * Formats a plan for `ups-monitor plan`: one numbered line per step with its
 * worst case, its details indented, skipped steps marked, then the total and
 * the warnings.
 *
 * @param plan A plan from {@linkcode buildPlan}.
 * @returns Text ending in a newline.
 */
export function formatPlan(plan: Plan): string {
  const lines: string[] = [
    `Shutdown sequence${
      plan.dryRun ? " (dry-run: actions are logged only)" : ""
    }:`,
  ];
  const width = Math.max(...plan.steps.map((s) => s.title.length));
  plan.steps.forEach((s, i) => {
    const time = s.enabled
      ? `up to ${formatDuration(s.worstCaseMs)}`
      : `skipped: ${s.skipReason}`;
    lines.push(
      `${String(i + 1).padStart(2)}. ${s.title.padEnd(width)}  ${time}`,
    );
    if (s.enabled) {
      for (const detail of s.details) lines.push(`      ${detail}`);
    }
  });
  lines.push(
    `    Notifications before the local shutdown: up to ${
      formatDuration(plan.notifyFlushMs)
    }`,
    `Worst case in total: ${formatDuration(plan.totalMs)} (critical runtime ${
      formatDuration(plan.criticalRuntimeMs)
    })`,
  );
  for (const warning of plan.warnings) lines.push(`Warning: ${warning}`);
  return lines.join("\n") + "\n";
}
