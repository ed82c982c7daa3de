/**
 * The `shutdown` section of the config: the step kinds in their fixed order
 * and each step's settings, remotes and custom steps. Pure.
 *
 * @pure
 * @module
 */
import { z } from "../schema/mod.ts";
import { formatDuration } from "./duration.ts";
import {
  absolutePath,
  duration,
  finiteNumber,
  nutCredential,
  optionalPath,
} from "./schema_fields.ts";
import { sshNameProblem } from "./ssh_name.ts";

/** Step kinds of the shutdown sequence, in their fixed order. */
export const STEP_KINDS = [
  "vms",
  "containers",
  "sync",
  "filesystems",
  "remotes",
  "power_cycle",
  "local",
] as const;

const labelsAndNames = z.strictObject({
  names: z.array(z.string().min(1)).default([]).describe(
    'Container names; "*" matches any characters.',
  ),
  labels: z.array(z.string().min(1)).default([]).describe(
    "Labels as key or key=value.",
  ),
}).prefault({});

const mountSchema = z.strictObject({
  path: absolutePath("Mount point to unmount."),
  lazy: z.boolean().default(false).describe(
    "Detach now, clean up later (umount -l). Default false.",
  ),
  force: z.boolean().default(false).describe(
    "Force, for unreachable NFS (umount -f). Default false.",
  ),
});

/**
 * Where a remote's host key is looked up unless `known_hosts` says otherwise:
 * this program's own file, then root's, where users of the old script (whose
 * ssh recorded keys on first contact) already have it.
 */
export const DEFAULT_KNOWN_HOSTS = [
  "/etc/ups-monitor/known_hosts",
  "/root/.ssh/known_hosts",
] as const;

/** One known_hosts path: ssh separates the files of its list by whitespace. */
function knownHostsPath() {
  return absolutePath("A known_hosts file.").refine((p) => !/\s/.test(p), {
    message:
      "expected a path without whitespace (ssh separates known_hosts files by spaces)",
  });
}

/** A host or user for ssh: refused at load time, not first in an outage. */
function sshName() {
  return z.string().min(1).superRefine((value, ctx) => {
    const problem = sshNameProblem(value);
    if (problem !== null) ctx.addIssue({ code: "custom", message: problem });
  });
}

const remoteSchema = z.strictObject({
  name: z.string().min(1).optional().describe(
    "Label in logs. Default: the host.",
  ),
  enabled: z.boolean().default(true).describe("Default true."),
  host: sshName().describe(
    "Host name or address of the machine to shut down.",
  ),
  user: sshName().describe("SSH user (key authentication only)."),
  port: finiteNumber().int().min(1).max(65535).default(22).describe(
    "SSH port. Default 22.",
  ),
  "identity_file": optionalPath(
    "Private key for this host. Default: ssh's own.",
  ),
  "known_hosts": z.union([knownHostsPath(), z.array(knownHostsPath()).min(1)], {
    error: "expected a path or a list of paths",
  }).default([...DEFAULT_KNOWN_HOSTS])
    .transform((value) => typeof value === "string" ? [value] : value)
    .describe(
      `known_hosts file, or list of files, holding this host's key; ssh accepts a key found in any of them, and accept-new records a first key in the first. Default ${
        DEFAULT_KNOWN_HOSTS.join(" and ")
      } (where ssh of the old script recorded it).`,
    ),
  "host_key_policy": z.enum(["strict", "accept-new", "off"]).default("strict")
    .describe(
      "strict: the key must be in known_hosts; accept-new: trust a first key; off: no checking (logged loudly). Default strict.",
    ),
  command: z.array(z.string().min(1)).min(1)
    .default(["sudo", "-n", "/usr/syno/sbin/synoshutdown", "-s"])
    .describe(
      "Command run on the remote host, one word per item. Default the Synology shutdown.",
    ),
  "connect_timeout": duration("SSH connect timeout.", "10s"),
  timeout: duration("Bound of the whole SSH call.", "30s"),
});

const customStepSchema = z.strictObject({
  name: z.string().min(1).describe("Label in logs and notifications."),
  enabled: z.boolean().default(true).describe("Default true."),
  after: z.enum(["start", ...STEP_KINDS.filter((k) => k !== "local")]).describe(
    "Run after this step (start: before all others); custom steps always run before the local shutdown.",
  ),
  command: z.array(z.string().min(1)).min(1).describe(
    "Program and arguments, one word per item.",
  ),
  timeout: duration("Bound of the command.", "30s"),
  reversible: z.boolean().default(false).describe(
    "Whether the step may be undone when the power returns before the point of no return (run `undo` then). Default false: the first irreversible step is the point of no return.",
  ),
  undo: z.array(z.string().min(1)).min(1).nullable().default(null).describe(
    "Program and arguments that undo the step after an abort; null for none. Default null.",
  ),
  "undo_timeout": duration("Bound of the undo command.", "30s"),
});

/**
 * An instant command name as NUT spells them (`shutdown.return`,
 * `load.off.delay`): sent as one plain word, so nothing upsd could read
 * otherwise.
 */
const INSTCMD_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

const powerCycleSchema = z.strictObject({
  enabled: z.boolean().default(false).describe(
    "As the last step before the local shutdown, ask the UPS over upsd (INSTCMD) to cut its output after delay and restore it when mains returns, so this host boots again after an outage that ended while it was off (the NUT power race). On a shared UPS this cuts the power of every host on it, whatever those hosts are doing. Default false.",
  ),
  command: z.string().regex(INSTCMD_NAME, {
    message: "expected an instant command name such as shutdown.return",
  }).default("shutdown.return").describe(
    "Instant command sent to the UPS; `upscmd -l UPS` (LIST CMD) shows those it supports. Some UPSes honour only shutdown.reboot. Default shutdown.return.",
  ),
  delay: duration(
    "Time from the command to the cut of the UPS's output: written to ups.delay.shutdown when the UPS has it and it differs. Must exceed the local shutdown's worst case (shutdown.local.timeout plus 3s).",
    "120s",
  ),
  username: nutCredential().nullable().default(null).describe(
    "NUT user (upsd.users) with instcmds rights for the command, and actions = SET when ups.delay.shutdown must change; separate from the monitor user ups.username. Printable ASCII. Required when enabled.",
  ),
  password: nutCredential().nullable().default(null).describe(
    "Password of that user: printable ASCII. Secret: never printed. Prefer password_file.",
  ),
  "password_file": optionalPath(
    "File whose first line is that user's password. Default none.",
  ),
  timeout: duration(
    "Bound of the whole step: connect, set the delay, send the command and watch ups.timer.shutdown count down.",
    "30s",
  ),
}).superRefine((cycle, ctx) => {
  if (cycle.password !== null && cycle.password_file !== null) {
    ctx.addIssue({
      code: "custom",
      path: ["password_file"],
      message: "set either password or password_file, not both",
    });
  }
  const hasPassword = cycle.password !== null || cycle.password_file !== null;
  if (hasPassword && cycle.username === null) {
    ctx.addIssue({
      code: "custom",
      path: ["username"],
      message: "a NUT password needs a username",
    });
  }
  if (cycle.enabled && cycle.username === null) {
    ctx.addIssue({
      code: "custom",
      path: ["username"],
      message:
        "the power cycle needs a NUT user with instcmds rights in upsd.users",
    });
  } else if (cycle.username !== null && !hasPassword) {
    ctx.addIssue({
      code: "custom",
      path: ["username"],
      message: "a NUT username needs a password or password_file",
    });
  }
});

/**
 * What the local shutdown may take at worst beyond its timeout: the same
 * grace as `CALL_GRACE_MS` in `lib/shutdown/plan.ts`, which imports this
 * schema and so cannot be imported here (a test keeps the two equal).
 */
export const LOCAL_GRACE_MS = 3000;

/**
 * Why `shutdown.power_cycle.delay` is too short: the UPS would cut the
 * power before the local shutdown's worst case has passed.
 *
 * @param shutdown The validated `shutdown` section.
 * @returns The problem, or null when the delay is long enough or the power
 *   cycle is off.
 */
export function powerCycleDelayProblem(
  shutdown: { "power_cycle": { enabled: boolean; delay: number } } & {
    local: { enabled: boolean; timeout: number };
  },
): string | null {
  const { power_cycle: cycle, local } = shutdown;
  if (!cycle.enabled || !local.enabled) return null;
  const worstMs = local.timeout + LOCAL_GRACE_MS;
  if (cycle.delay > worstMs) return null;
  return `"${
    formatDuration(cycle.delay)
  }" does not exceed the local shutdown's worst case "${
    formatDuration(worstMs)
  }": the UPS would cut the power before the host has halted; lengthen the delay or shorten shutdown.local.timeout`;
}

/** The `shutdown` section. */
export const shutdownSchema = z.strictObject({
  "dry_run": z.boolean().default(false).describe(
    "Rehearse: log every action with [DRY-RUN] instead of running it. Default false.",
  ),
  "rearm_after": duration(
    "After a dry-run sequence, time back on line power before the monitor re-arms.",
    "60s",
    { zero: true },
  ),
  abort: z.strictObject({
    enabled: z.boolean().default(true).describe(
      "Abort a sequence before its point of no return when the power is back for `hold`, and roll back what it stopped. Never for FSD or the fail-safe. Default true.",
    ),
    hold: duration(
      "How long line power must last, without OB, FSD or LB, before an abort.",
      "60s",
    ),
    timeout: duration("Bound of each rollback action.", "60s"),
  }).prefault({}).describe("Abort before the point of no return."),
  vms: z.strictObject({
    enabled: z.boolean().default(true).describe("Default true."),
    "max_wait": duration(
      "Time VMs get to shut down before they are destroyed.",
      "30s",
      { zero: true },
    ),
    "libvirt_uri": z.string().min(1).nullable().default(null).describe(
      "libvirt connection URI (virsh -c). Default: virsh's own.",
    ),
    timeout: duration("Bound of each virsh call.", "10s"),
  }).prefault({}).describe("Shut down libvirt VMs."),
  containers: z.strictObject({
    enabled: z.boolean().default(true).describe("Default true."),
    engine: z.enum(["auto", "docker", "podman"]).default("auto").describe(
      "Container engine; auto uses docker, else podman. Default auto.",
    ),
    "stop_timeout": duration(
      "Time containers get to stop before they are killed.",
      "10s",
    ),
    timeout: duration("Bound of each engine call.", "60s"),
    include: labelsAndNames.describe(
      "Stop only containers matching these names or labels. Default: all running containers.",
    ),
    exclude: labelsAndNames.describe(
      "Never stop these (e.g. the NUT server or this monitor). Wins over include.",
    ),
  }).prefault({}).describe("Stop docker or podman containers."),
  sync: z.strictObject({
    enabled: z.boolean().default(true).describe("Default true."),
    timeout: duration(
      "Bound of sync; a sync stuck on a dead mount is abandoned.",
      "30s",
    ),
  }).prefault({}).describe("Flush file system buffers."),
  filesystems: z.strictObject({
    enabled: z.boolean().default(true).describe("Default true."),
    timeout: duration("Bound of each unmount.", "15s"),
    mounts: z.array(mountSchema).default([]).describe(
      "Mounts to unmount, in order. Default none.",
    ),
  }).prefault({}).describe("Unmount file systems."),
  remotes: z.array(remoteSchema).default([]).describe(
    "Machines (e.g. a Synology NAS) shut down over SSH, in parallel. Default none.",
  ),
  "power_cycle": powerCycleSchema.prefault({}).describe(
    "Power-cycle the UPS (killpower over the network) after everything else, before the local shutdown. Off by default: on a shared UPS it cuts the power of every host on it.",
  ),
  local: z.strictObject({
    enabled: z.boolean().default(true).describe("Default true."),
    command: z.array(z.string().min(1)).min(1).default([
      "shutdown",
      "-h",
      "now",
    ])
      .describe("Command that powers this host off. Default shutdown -h now."),
    timeout: duration("Bound of the command.", "30s"),
  }).prefault({}).describe("Shut down this host, always last."),
  custom: z.array(customStepSchema).default([]).describe(
    "Extra command steps, placed with after. Default none.",
  ),
}).prefault({}).describe(
  "The shutdown sequence: VMs, containers, sync, unmounts, remotes, the UPS power cycle, this host.",
);
