/**
 * The dependency check: every program an enabled step needs is looked up in
 * the search path before an outage needs it. An error in `check`, a loud
 * warning (and a notification) in `run`. Both this and the permission
 * self-check read the needs each step kind declares (`kinds/`).
 *
 * @module
 */
import type { Config } from "../config/schema.ts";
import {
  netNeed,
  type PermissionNeed,
  readNeed,
  runNeed,
} from "../system/permissions.ts";
import { stepNeeds } from "./kinds/mod.ts";

/**
 * Where programs are looked up when no `PATH` is given: systemd's default
 * `PATH` for system services. The daemon's permission set does not read the
 * environment's `PATH`.
 */
export const DEFAULT_SEARCH_PATH =
  "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** A program an enabled step needs that is not installed. */
export interface MissingDependency {
  /** The program, e.g. `virsh`; for containers `docker or podman`. */
  program: string;
  /** Dotted config key that asks for it, e.g. `shutdown.vms.enabled`. */
  key: string;
  /** What to do, e.g. `install libvirt-clients, or set shutdown.vms.enabled: false`. */
  fix: string;
  /**
   * Full message, e.g. `Cannot find "virsh" (needed by shutdown.vms.enabled)
   * in PATH: install libvirt-clients, or set shutdown.vms.enabled: false`.
   */
  message: string;
  /**
   * The same for a config issue placed at `key`, e.g. `"virsh" is not
   * installed: install libvirt-clients, or set shutdown.vms.enabled: false`.
   */
  issue: string;
}

/**
 * Finds a program: a path containing `/` is checked as it is, a bare name is
 * looked up in each directory of `searchPath`.
 *
 * @param program Program name or path.
 * @param searchPath Colon-separated directories. @default DEFAULT_SEARCH_PATH
 * @returns The absolute path of an executable file, or `null`.
 */
export async function findProgram(
  program: string,
  searchPath: string = DEFAULT_SEARCH_PATH,
): Promise<string | null> {
  const candidates = program.includes("/")
    ? [program]
    : searchPath.split(":").filter((dir) => dir !== "").map((dir) =>
      `${dir.replace(/\/$/, "")}/${program}`
    );
  for (const candidate of candidates) {
    try {
      const info = await Deno.stat(candidate);
      if (info.isFile && ((info.mode ?? 0o111) & 0o111) !== 0) return candidate;
    } catch {
      // Not there (or not readable): try the next directory.
      continue;
    }
  }
  return null;
}

/**
 * The container engine `engine: auto` stands for: docker when installed,
 * else podman.
 *
 * @param configured The configured engine.
 * @param searchPath Directories to search.
 * @returns The engines to try in order (auto: each one installed).
 */
export async function resolveEngines(
  configured: Config["shutdown"]["containers"]["engine"],
  searchPath?: string,
): Promise<("docker" | "podman")[]> {
  if (configured !== "auto") return [configured];
  const found: ("docker" | "podman")[] = [];
  for (const engine of ["docker", "podman"] as const) {
    if (await findProgram(engine, searchPath) !== null) found.push(engine);
  }
  return found;
}

/**
 * Looks up every program the enabled steps need.
 *
 * @param config A validated config.
 * @param options `searchPath`: colon-separated directories. @default DEFAULT_SEARCH_PATH
 * @returns The missing programs, in step order; empty when all are there.
 */
export async function missingDependencies(
  config: Config,
  options: { searchPath?: string } = {},
): Promise<MissingDependency[]> {
  const missing: MissingDependency[] = [];
  const seen = new Set<string>();
  for (const need of stepNeeds(config)) {
    if (need.type !== "program") continue;
    // Alternatives (docker or podman): one installed is enough.
    const program = need.programs.join(" or ");
    if (seen.has(program)) continue;
    let found = false;
    for (const candidate of need.programs) {
      if (await findProgram(candidate, options.searchPath) !== null) {
        found = true;
        break;
      }
    }
    if (found) continue;
    seen.add(program);
    const shown = need.programs.map((p) => `"${p}"`).join(" or ");
    const [first, ...others] = need.programs.map((p) => `"${p}"`);
    missing.push({
      program,
      key: need.key,
      fix: need.fix,
      message:
        `Cannot find ${shown} (needed by ${need.key}) in PATH: ${need.fix}`,
      issue: `${
        others.length === 0
          ? `${first} is not installed`
          : `neither ${first} nor ${others.join(" nor ")} is installed`
      }: ${need.fix}`,
    });
  }
  return missing;
}

/**
 * What the enabled steps need as permissions, for the start-up self-check:
 * each program of a need may be run (with `auto`, docker and podman both),
 * each path read, each host reached.
 *
 * @param config A validated config.
 * @returns The needs, in step order, each with its config key.
 */
export function stepPermissionNeeds(config: Config): PermissionNeed[] {
  return stepNeeds(config).flatMap((need) => {
    switch (need.type) {
      case "program":
        return need.programs.map((program) => runNeed(program, need.key));
      case "read":
        return [readNeed(need.path, need.key)];
      case "net":
        return [netNeed(need.host, need.key)];
    }
  });
}
