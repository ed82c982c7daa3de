/**
 * The VM step kind, pure side: list, shutdown (all at once), wait, destroy
 * (all at once) with virsh.
 *
 * @module
 * @pure
 */
import { formatDuration } from "../../config/duration.ts";
import { formatWords } from "../../system/shell_words.ts";
import {
  installOrDisable,
  type KindSection,
  plannedStep,
  programNeed,
  type PureStepKind,
} from "./kind.ts";

/** `virsh`, then `-c URI` when a libvirt URI is configured. */
function virshBase(vms: KindSection<"vms">): string[] {
  return vms.libvirt_uri === null
    ? ["virsh"]
    : ["virsh", "-c", vms.libvirt_uri];
}

/** Shuts down libvirt VMs. */
export const vmsKind: PureStepKind = {
  // The VMs it shut down or destroyed are started again.
  reversible: true,
  plan(config, graceMs) {
    const vms = config.shutdown.vms;
    const virsh = formatWords(virshBase(vms));
    const step = plannedStep(
      { id: "vms", kind: "vms", title: "VMs", enabled: vms.enabled },
      {
        // list, shutdown (all at once), wait, destroy (all at once); the last
        // poll of the wait is cut to the time left, so it overruns by a grace.
        worstCaseMs: 3 * (vms.timeout + graceMs) + vms.max_wait + graceMs,
        details: [
          `${virsh} list --name --state-running`,
          `${virsh} shutdown <each running VM>, all at once`,
          `wait up to ${formatDuration(vms.max_wait)} for them to stop`,
          `${virsh} destroy <each VM still running>`,
        ],
      },
    );
    return { steps: [step] };
  },
  needs(config) {
    return config.shutdown.vms.enabled
      ? [
        programNeed("virsh", {
          key: "shutdown.vms.enabled",
          fix: installOrDisable("libvirt-clients", "shutdown.vms.enabled"),
        }),
      ]
      : [];
  },
};
