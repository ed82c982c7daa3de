/**
 * The pure table of step kinds: how each kind is planned and what it needs.
 * Adding a kind to `STEP_KINDS` without an entry here (and in
 * `../steps/mod.ts`) fails the type check.
 *
 * @module
 * @pure
 */
import type { Config } from "../../config/schema.ts";
import { STEP_KINDS } from "../../config/schema.ts";
import { containersKind } from "./containers.ts";
import { customKind } from "./custom.ts";
import { filesystemsKind } from "./filesystems.ts";
import { fleetKind } from "./fleet.ts";
import type { PureStepKind, StepKind, StepNeed } from "./kind.ts";
import { localKind } from "./local.ts";
import { powerCycleKind } from "./power_cycle.ts";
import { remotesKind } from "./remotes.ts";
import { syncKind } from "./sync.ts";
import { vmsKind } from "./vms.ts";

/** The plan and the needs of every step kind. */
export const PURE_STEP_KINDS: Readonly<Record<StepKind, PureStepKind>> = {
  fleet: fleetKind,
  vms: vmsKind,
  containers: containersKind,
  sync: syncKind,
  filesystems: filesystemsKind,
  remotes: remotesKind,
  "power_cycle": powerCycleKind,
  local: localKind,
  custom: customKind,
};

/**
 * Every kind in the order the needs are reported: the primary's FSD, the
 * built-in kinds, the custom steps, then the local shutdown.
 */
export const NEEDS_ORDER: readonly StepKind[] = [
  "fleet",
  ...STEP_KINDS.filter((kind) => kind !== "local"),
  "custom",
  "local",
];

/**
 * What the enabled steps need from the host: programs, paths, hosts, each
 * with the config key that asks.
 *
 * @param config A validated config.
 * @returns The needs, in {@linkcode NEEDS_ORDER}.
 */
export function stepNeeds(config: Config): StepNeed[] {
  return NEEDS_ORDER.flatMap((kind) => PURE_STEP_KINDS[kind].needs(config));
}

export type {
  BuiltInStepKind,
  KindPlan,
  KindStep,
  PlannedStep,
  PureStepKind,
  StepKind,
  StepNeed,
} from "./kind.ts";
export { MOUNT_TABLE_PATH } from "./filesystems.ts";
