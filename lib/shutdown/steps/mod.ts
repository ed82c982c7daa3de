/**
 * The table of step kinds, shell side: which function carries out each kind
 * of planned step. The sequence looks a step up here by its kind; how a kind
 * is planned and what it needs is the pure table in `../kinds/mod.ts`. A
 * kind missing from either table fails the type check.
 *
 * @module
 */
import type { StepKind } from "../plan.ts";
import type { StepFunction } from "../step.ts";
import { commandStep } from "./command.ts";
import { containersStep } from "./containers.ts";
import { filesystemsStep } from "./filesystems.ts";
import { fleetStep } from "./fleet.ts";
import { localStep } from "./local.ts";
import { powerCycleStep } from "./power_cycle.ts";
import { remotesStep } from "./remotes.ts";
import { syncStep } from "./sync.ts";
import { vmsStep } from "./vms.ts";

/** The implementation of every step kind. */
export const STEP_FUNCTIONS: Readonly<Record<StepKind, StepFunction>> = {
  fleet: fleetStep,
  vms: vmsStep,
  containers: containersStep,
  sync: syncStep,
  filesystems: filesystemsStep,
  remotes: remotesStep,
  "power_cycle": powerCycleStep,
  local: localStep,
  custom: commandStep,
};

export { parseContainers, selectContainers } from "./containers.ts";
export type { Container } from "./containers.ts";
export { parseMountInfo } from "./filesystems.ts";
