/**
 * The readiness checks of each step kind, as a table keyed by
 * {@linkcode StepKind}: a kind added to the plan without an entry here fails
 * the type check. Every check is read-only (runner queries, program
 * look-ups); each not-ready detail names the problem and the fix.
 *
 * @module
 */
import type { Config } from "../config/schema.ts";
import { resolveEngines } from "../shutdown/dependencies.ts";
import { MOUNT_TABLE_PATH } from "../shutdown/kinds/filesystems.ts";
import type { PlannedStep, StepKind } from "../shutdown/kinds/kind.ts";
import { parseMountInfo } from "../shutdown/steps/filesystems.ts";
import { counted, locate, programCheck, query } from "./_probe.ts";
import type { CheckResult, ReadinessCheck } from "./check.ts";
import type { ReadinessContext } from "./checks.ts";
import { powerCycleCheck } from "./power_cycle.ts";
import { remoteChecks } from "./remotes.ts";

/**
 * The checks of one enabled planned step.
 *
 * @param config A validated config.
 * @param step The planned step (a custom step carries its index).
 * @returns Its checks, in config order.
 */
export type StepReadiness = (
  config: Config,
  step: PlannedStep,
) => ReadinessCheck<ReadinessContext>[];

/** The readiness checks of every step kind. */
export const STEP_READINESS: Readonly<Record<StepKind, StepReadiness>> = {
  // The session's NUT login check covers it: LOGIN, then PRIMARY.
  fleet: () => [],
  vms: (config) => [vmsCheck(config)],
  containers: (config) => [containersCheck(config)],
  sync: () => [
    programCheck(
      { id: "sync", title: "Sync" },
      "sync",
      "install coreutils, or set shutdown.sync.enabled to false",
    ),
  ],
  filesystems: (config) => mountChecks(config),
  remotes: (config) => remoteChecks(config),
  "power_cycle": (config) => [powerCycleCheck(config)],
  local: (config) => [
    programCheck(
      { id: "local", title: "Local shutdown" },
      config.shutdown.local.command[0],
      "set shutdown.local.command to the program that powers this host off",
    ),
  ],
  custom: (config, step) => {
    const index = step.customIndex ?? -1;
    const custom = config.shutdown.custom[index];
    if (custom === undefined) return [];
    return [
      programCheck(
        { id: `custom.${index}`, title: `Custom step "${custom.name}"` },
        custom.command[0],
        `install it, or fix shutdown.custom.${index}.command`,
      ),
    ];
  },
};

const VMS_FIX =
  "check that libvirtd runs and that shutdown.vms.libvirt_uri names it, or set shutdown.vms.enabled to false";

/** `virsh [-c URI] version`, then `virsh [-c URI] list --name`. */
function vmsCheck(config: Config): ReadinessCheck<ReadinessContext> {
  const uri = config.shutdown.vms.libvirt_uri;
  const virsh: [string, ...string[]] = uri === null
    ? ["virsh"]
    : ["virsh", "-c", uri];
  return {
    id: "vms",
    title: "VMs",
    async run(context): Promise<CheckResult> {
      if (await locate(context, "virsh") === null) {
        return {
          ready: false,
          detail:
            '"virsh" is not installed or not in PATH: install libvirt-clients, or set shutdown.vms.enabled to false',
        };
      }
      // version connects to libvirtd: it fails when the daemon or socket is gone.
      const version = await query(context, [...virsh, "version"]);
      if (!version.ok) {
        return { ready: false, detail: `${version.why}; ${VMS_FIX}` };
      }
      const list = await query(context, [...virsh, "list", "--name"]);
      if (!list.ok) return { ready: false, detail: `${list.why}; ${VMS_FIX}` };
      const running =
        list.result.stdout.split("\n").filter((line) => line.trim() !== "")
          .length;
      return {
        ready: true,
        detail: `virsh answers, ${counted(running, "VM")} running`,
      };
    },
  };
}

/** The engine answers `ps -q` (auto: the first installed that does). */
function containersCheck(config: Config): ReadinessCheck<ReadinessContext> {
  const { engine } = config.shutdown.containers;
  return {
    id: "containers",
    title: "Containers",
    async run(context): Promise<CheckResult> {
      const engines = await resolveEngines(
        engine,
        context.searchPath ?? context.env?.["PATH"],
      );
      if (engines.length === 0) {
        return {
          ready: false,
          detail:
            'neither "docker" nor "podman" is installed: install one, or set shutdown.containers.enabled to false',
        };
      }
      const failures: string[] = [];
      // As the step does: with auto, a docker client without a daemon must
      // not hide a podman that answers.
      for (const candidate of engines) {
        const ps = await query(context, [candidate, "ps", "-q"]);
        if (ps.ok) {
          const running = ps.result.stdout.split("\n").filter((line) =>
            line.trim() !== ""
          ).length;
          return {
            ready: true,
            detail: `${candidate} answers, ${
              counted(running, "container")
            } running`,
          };
        }
        failures.push(ps.why);
      }
      return {
        ready: false,
        detail: `${
          failures.join("; ")
        }; start the engine, set shutdown.containers.engine to the one in use, or set shutdown.containers.enabled to false`,
      };
    },
  };
}

/**
 * One check per configured mount, so each mount that goes away is reported
 * on its own (one check for all would not report a second one while the
 * first is still gone) and `status` says which. Each reads the mount table
 * through `cat`, as the step does: Deno reads /proc only with --allow-all.
 */
function mountChecks(config: Config): ReadinessCheck<ReadinessContext>[] {
  return config.shutdown.filesystems.mounts.map((mount, index) => {
    const path = mount.path.length > 1
      ? mount.path.replace(/\/+$/, "")
      : mount.path;
    return {
      id: `filesystems.${index}`,
      title: `Mount "${path}"`,
      async run(context): Promise<CheckResult> {
        const table = await query(context, ["cat", MOUNT_TABLE_PATH]);
        if (!table.ok) {
          return {
            ready: false,
            detail: `cannot read the mount table: ${table.why}`,
          };
        }
        return parseMountInfo(table.result.stdout).includes(path)
          ? { ready: true, detail: `"${path}" is mounted` }
          : {
            ready: false,
            detail:
              `"${path}" is not a mount point now: mount it, or remove it from shutdown.filesystems.mounts`,
          };
      },
    };
  });
}
