/**
 * What a step kind is, on its pure side: how it turns the config into
 * planned steps and what it needs from the host (programs, paths, hosts),
 * each need with the config key that asks for it. The shell side (running a
 * planned step) is the table in `../steps/mod.ts`.
 *
 * @module
 * @pure
 */
import type { Config } from "../../config/schema.ts";
import type { STEP_KINDS } from "../../config/schema.ts";

/** A built-in step kind: one section of `shutdown`, one planned step. */
export type BuiltInStepKind = typeof STEP_KINDS[number];

/**
 * The config section of a built-in kind, `shutdown.<kind>`. Also a guard: a
 * kind added to `STEP_KINDS` without its section fails the type check here.
 */
export type KindSection<K extends BuiltInStepKind> = Config["shutdown"][K];

/**
 * A built-in step kind, a custom command step, or a NUT primary's FSD to the
 * other hosts (configured by `ups.role`, not by a `shutdown` section).
 */
export type StepKind = BuiltInStepKind | "custom" | "fleet";

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
  /**
   * Whether an abort can undo it (VMs and containers are started again): the
   * first enabled step that is not is the point of no return.
   */
  reversible: boolean;
}

/**
 * Something a step needs from the host, and the dotted config key that asks
 * for it. The dependency check looks programs up in `PATH`; the permission
 * self-check queries every need.
 */
export type StepNeed =
  | {
    /** A program to run. */
    type: "program";
    /**
     * Programs that can do the job, in the order tried: one of them must be
     * installed, and each may be run (e.g. `docker` and `podman`).
     */
    programs: readonly string[];
    /** Dotted config key, e.g. `shutdown.vms.enabled`. */
    key: string;
    /**
     * What to do when none is installed, naming the package and the exact
     * key that turns the need off, e.g. `install libvirt-clients, or set
     * shutdown.vms.enabled: false`.
     */
    fix: string;
  }
  | {
    /** A file the program itself reads. */
    type: "read";
    /** Absolute path. */
    path: string;
    /** Dotted config key. */
    key: string;
  }
  | {
    /** A host the program itself connects to (none today: ssh dials on its own). */
    type: "net";
    /** `host:port`, as Deno's net permission spells it. */
    host: string;
    /** Dotted config key. */
    key: string;
  };

/** A step as its kind plans it; the plan adds whether it is reversible. */
export type KindStep = Omit<PlannedStep, "reversible">;

/** What a kind adds to the plan. */
export interface KindPlan {
  /** Its steps: one for a built-in kind, one per entry for custom steps. */
  steps: KindStep[];
  /**
   * Problems with its timing, printed before the warning about the total.
   * @default none
   */
  timingWarnings?: string[];
  /** Other problems (a host key not checked), printed after it. @default none */
  warnings?: string[];
}

/** The pure side of a step kind. */
export interface PureStepKind {
  /**
   * Whether an abort can undo the kind's steps; custom steps say so each in
   * `shutdown.custom.N.reversible`.
   */
  reversible: boolean;
  /**
   * Plans the kind's steps with their worst cases.
   *
   * @param config A validated config.
   * @param graceMs What one bounded call may overrun its timeout, ms.
   * @returns The kind's steps and warnings.
   */
  plan(config: Config, graceMs: number): KindPlan;
  /**
   * What the kind's enabled steps need from the host.
   *
   * @param config A validated config.
   * @returns The needs in config order; empty when the kind is disabled.
   */
  needs(config: Config): StepNeed[];
}

/** The parts of a planned step a kind decides. */
export interface StepBody {
  /** Worst case while enabled, ms. */
  worstCaseMs: number;
  /** One line per thing the step will do. */
  details: string[];
  /** Index into `shutdown.custom`. @default none */
  customIndex?: number;
}

/**
 * Builds a planned step: a disabled step, or one with nothing to do
 * (`skipWhenEnabled`), is skipped with the reason and costs no time.
 *
 * @param head Id, kind, title and whether the config enables it.
 * @param body Worst case, details and custom index.
 * @param options `skipWhenEnabled`: why an enabled step has nothing to do.
 * @returns The planned step.
 */
export function plannedStep(
  head: { id: string; kind: StepKind; title: string; enabled: boolean },
  body: StepBody,
  options: { skipWhenEnabled?: string | undefined } = {},
): KindStep {
  const skipReason = !head.enabled ? "disabled" : options.skipWhenEnabled;
  return {
    id: head.id,
    kind: head.kind,
    title: head.title,
    enabled: skipReason === undefined,
    ...(skipReason === undefined ? {} : { skipReason }),
    worstCaseMs: skipReason === undefined ? body.worstCaseMs : 0,
    details: body.details,
    ...(body.customIndex === undefined
      ? {}
      : { customIndex: body.customIndex }),
  };
}

/**
 * A program need with one program.
 *
 * @param program The program name or path.
 * @param about `key`: the config key that asks for it; `fix`: what to do
 *   when it is missing (see {@linkcode StepNeed}).
 * @returns The need.
 */
export function programNeed(
  program: string,
  about: { key: string; fix: string },
): StepNeed {
  return { type: "program", programs: [program], ...about };
}

/**
 * The usual fix for a missing program: install its package, or turn off
 * the key that needs it.
 *
 * @param install What to install (a Debian package name, or "it").
 * @param disableKey The dotted key whose `false` turns the need off.
 * @returns E.g. `install libvirt-clients, or set shutdown.vms.enabled: false`.
 */
export function installOrDisable(install: string, disableKey: string): string {
  return `install ${install}, or set ${disableKey}: false`;
}
