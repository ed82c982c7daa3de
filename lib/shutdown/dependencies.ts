/**
 * The dependency check: every program an enabled step needs is looked up in
 * the search path before an outage needs it. An error in `check`, a loud
 * warning (and a notification) in `run`.
 *
 * @module
 */
import type { Config } from "../config/schema.ts";

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
  /** Full message, e.g. `Cannot find "virsh" (needed by shutdown.vms.enabled) in PATH`. */
  message: string;
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
  const { shutdown } = config;
  // "engine" stands for the container engine, resolved below.
  const needs: { program: string; key: string }[] = [];
  if (shutdown.vms.enabled) {
    needs.push({ program: "virsh", key: "shutdown.vms.enabled" });
  }
  if (shutdown.containers.enabled) {
    needs.push({ program: "engine", key: "shutdown.containers.engine" });
  }
  if (shutdown.sync.enabled) {
    needs.push({ program: "sync", key: "shutdown.sync.enabled" });
  }
  if (shutdown.filesystems.enabled && shutdown.filesystems.mounts.length > 0) {
    needs.push(
      { program: "umount", key: "shutdown.filesystems.mounts" },
      { program: "cat", key: "shutdown.filesystems.mounts" },
    );
  }
  shutdown.remotes.forEach((remote, i) => {
    if (remote.enabled) {
      needs.push(
        { program: "ssh", key: `shutdown.remotes.${i}.host` },
        { program: "ssh-keygen", key: `shutdown.remotes.${i}.known_hosts` },
      );
    }
  });
  shutdown.custom.forEach((custom, i) => {
    if (custom.enabled && custom.command[0]) {
      needs.push({
        program: custom.command[0],
        key: `shutdown.custom.${i}.command`,
      });
    }
  });
  if (shutdown.local.enabled && shutdown.local.command[0]) {
    needs.push({
      program: shutdown.local.command[0],
      key: "shutdown.local.command",
    });
  }

  const missing: MissingDependency[] = [];
  const seen = new Set<string>();
  const report = (program: string, key: string, shown = `"${program}"`) => {
    if (seen.has(program)) return;
    seen.add(program);
    missing.push({
      program,
      key,
      message: `Cannot find ${shown} (needed by ${key}) in PATH`,
    });
  };
  for (const need of needs) {
    if (need.program === "engine") {
      const engine = shutdown.containers.engine;
      const found = engine === "auto"
        ? (await resolveEngines(engine, options.searchPath)).length > 0
        : await findProgram(engine, options.searchPath) !== null;
      if (found) continue;
      if (engine === "auto") {
        report("docker or podman", need.key, `"docker" or "podman"`);
      } else {
        report(engine, need.key);
      }
    } else if (await findProgram(need.program, options.searchPath) === null) {
      report(need.program, need.key);
    }
  }
  return missing;
}
