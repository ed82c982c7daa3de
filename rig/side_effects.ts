/**
 * What a scenario's shutdown sequence acts on, all rig-owned: the recording
 * stand-ins (virsh with one VM that ignores shutdown, the power-off), an
 * `umount` stand-in that hangs on one mount and hands every other one to the
 * real umount, real containers selected by a per-scenario label, and the
 * NAS container. After the run it reads back what really happened.
 *
 * @module
 */
import { dirname, join } from "node:path";
import { type FakeTools, makeFakeTools } from "../lib/testing/fake_tools.ts";
import { type Engine, RIG_LABEL } from "./engine.ts";
import type { RigImages } from "./image.ts";
import { type Nas, type ShutdownCall, startNas } from "./nas.ts";

/** The label key that ties a container to one scenario. */
export const SCENARIO_LABEL = "ups-monitor-rig.scenario";

/** VMs of the virsh stand-in; the last one ignores the shutdown request. */
export const VMS = ["web", "db", "legacy"] as const;

/** What the sequence acted on, as found after the run. */
export interface SideEffectFacts {
  /** Each rig container of the scenario and whether it still runs. */
  containers: { name: string; running: boolean }[];
  /** The rig's own containers (NUT, NAS) that must still run. */
  untouched: { name: string; running: boolean }[];
  /** Mounts that should be gone but are still mounted (null: unknown). */
  stillMounted: string[] | null;
  /** The mount the umount stand-in hangs on. */
  hangMount: string;
  /** Runs of `synoshutdown` on the NAS (null: no NAS). */
  nasCalls: ShutdownCall[] | null;
  /** Whether the power-off stand-in ran. */
  powerOffCalled: boolean;
  /** The VM states after the run. */
  vmStates: Record<string, string>;
  /** virsh calls, as argument lists without the program name. */
  virshCalls: string[][];
}

/** What the rig reads back as soon as the rollback of an abort has ended. */
export interface RollbackFacts {
  /** The VM states then. */
  vmStates: Record<string, string>;
  /** virsh calls until then, as argument lists without the program name. */
  virshCalls: string[][];
  /**
   * Each rig container of the scenario: whether it runs, and whether it was
   * started again since the rig started it (its start time changed).
   */
  containers: { name: string; running: boolean; restarted: boolean }[];
}

/** Options of {@linkcode prepareSideEffects}. */
export interface SideEffectOptions {
  /** The scenario's private directory. */
  dir: string;
  /** Private config directory (known_hosts and the NAS key go there). */
  configDir: string;
  /** Unique id of the scenario in this run, for names and labels. */
  id: string;
  /** The engine; native means no containers and no NAS. */
  engine: Engine;
  /** Images of the engine (the NUT image runs the victims). */
  images: RigImages | null;
  /** Start the victim containers and the NAS. */
  full: boolean;
  /** Start the NAS (and select containers by label) without victims. */
  nas: boolean;
  /** Leave containers behind. */
  keep: boolean;
}

/** The prepared side effects; dispose to remove them. */
export interface SideEffects extends AsyncDisposable {
  /** The stand-ins. */
  readonly tools: FakeTools;
  /** Mount points to unmount, the hanging one last. */
  readonly mounts: string[];
  /** `key=value` selecting this scenario's containers. */
  readonly label: string;
  /** The NAS, when started. */
  readonly nas: Nas | null;
  /** Container engine the step should use, or null for none. */
  readonly containerEngine: "docker" | "podman" | null;
  /**
   * Reads back what happened.
   *
   * @param mountPoints The program's mount table, null when unknown.
   * @param rigContainers Names of the rig's own containers.
   */
  facts(
    mountPoints: string[] | null,
    rigContainers: string[],
  ): Promise<SideEffectFacts>;
  /** Reads back the VMs and the scenario's containers after a rollback. */
  rollbackFacts(): Promise<RollbackFacts>;
}

type Cleanups = (() => PromiseLike<void>)[];

/**
 * Writes the stand-ins and starts the containers and the NAS.
 *
 * @param options Directory, engine and what to start.
 * @returns The side effects.
 * @throws {RigCommandError} When a container or the NAS does not start.
 */
export async function prepareSideEffects(
  options: SideEffectOptions,
): Promise<SideEffects> {
  const { engine, id, full } = options;
  const tools = await makeFakeTools({
    vms: [
      { name: "web" },
      { name: "db", shutdownDelayMs: 500 },
      { name: "legacy", ignoresShutdown: true },
    ],
    engines: [],
  });
  const cleanups: Cleanups = [() => tools[Symbol.asyncDispose]()];
  const dispose = async () => {
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch {
        // Best effort: the other cleanups still run.
      }
    }
  };
  try {
    // The real ssh and sync, not the stand-ins.
    await Deno.remove(tools.path("ssh"));
    await Deno.remove(tools.path("sync"));
    const mounts = ["a", "b", "hang"].map((name) =>
      join(options.dir, "mnt", name)
    );
    const hangMount = mounts[2]!;
    await writeUmount(tools, hangMount);
    const label = `${SCENARIO_LABEL}=${id}`;
    const containers = (full || options.nas) && engine.containers &&
      options.images !== null;
    const victims = containers && full
      ? await startVictims(options, label, cleanups)
      : [];
    // A container started again has a new start time.
    const firstStarts = await containerStates(engine, victims);
    const nas = containers ? await startNasInto(options, cleanups) : null;
    return {
      tools,
      mounts,
      label,
      nas,
      containerEngine: containers ? engine.name as "docker" | "podman" : null,
      async facts(mountPoints, rigContainers) {
        const calls = await tools.calls();
        return {
          containers: await runningStates(engine, victims),
          untouched: await runningStates(engine, rigContainers),
          stillMounted: mountPoints === null
            ? null
            : mounts.slice(0, 2).filter((m) => mountPoints.includes(m)),
          hangMount,
          nasCalls: nas ? await nas.shutdownCalls().catch(() => []) : null,
          powerOffCalled: calls.some((call) => call[0] === "shutdown"),
          vmStates: await tools.vmStates(),
          virshCalls: calls.filter((call) => call[0] === "virsh").map((
            call,
          ) => call.slice(1)),
        };
      },
      async rollbackFacts() {
        const calls = await tools.calls();
        const states = await containerStates(engine, victims);
        return {
          vmStates: await tools.vmStates(),
          virshCalls: calls.filter((call) => call[0] === "virsh").map((
            call,
          ) => call.slice(1)),
          containers: states.map((state, index) => ({
            name: state.name,
            running: state.running,
            restarted: state.startedAt !== firstStarts[index]?.startedAt,
          })),
        };
      },
      [Symbol.asyncDispose]: dispose,
    };
  } catch (error) {
    await dispose();
    throw error;
  }
}

/** Two `sleep infinity` containers with the scenario's label. */
async function startVictims(
  options: SideEffectOptions,
  label: string,
  cleanups: Cleanups,
): Promise<string[]> {
  const { engine, id } = options;
  const victims: string[] = [];
  for (const n of [1, 2]) {
    const name = `ups-monitor-rig-victim-${id}-${n}`;
    cleanups.push(() =>
      options.keep ? Promise.resolve() : engine.removeContainer(name)
    );
    await engine.cli(`start the container "${name}"`, [
      "run",
      "--detach",
      "--name",
      name,
      "--label",
      `${RIG_LABEL}=victim`,
      "--label",
      label,
      ...engine.runFlags,
      "--entrypoint",
      "/bin/sleep",
      options.images!.nut,
      "infinity",
    ], { timeoutMs: 120_000 });
    victims.push(name);
  }
  return victims;
}

/** The NAS, its key and known_hosts copied into the config directory. */
async function startNasInto(
  options: SideEffectOptions,
  cleanups: Cleanups,
): Promise<Nas> {
  const nas = await startNas({
    engine: options.engine,
    images: options.images!,
    keep: options.keep,
  });
  cleanups.push(() => nas[Symbol.asyncDispose]());
  const key = join(options.configDir, "nas_key");
  await Deno.copyFile(nas.identityFile, key);
  await Deno.chmod(key, 0o600);
  await Deno.copyFile(
    nas.knownHostsFile,
    join(options.configDir, "known_hosts"),
  );
  return nas;
}

/** Replaces the `umount` stand-in: hang on one path, else the real umount. */
async function writeUmount(tools: FakeTools, hangMount: string) {
  const real = ["/usr/bin/umount", "/bin/umount"].find((path) => {
    try {
      return Deno.statSync(path).isFile;
    } catch {
      return false; // not there: try the next
    }
  }) ?? "/usr/bin/umount";
  const state = join(dirname(tools.bin), "state");
  const script = `#!/bin/bash
# The rig's umount: records the call like every stand-in, hangs on
# "${hangMount}" (a dead NFS server), hands every other path to the real
# umount.
line=umount
for arg in "$@"; do line+=$'\\037'"$arg"; done
printf '%s\\n' "$line" >> '${state}/calls'
last=
for arg in "$@"; do last=$arg; done
if [ "$last" = '${hangMount}' ]; then exec sleep 3600; fi
exec ${real} "$@"
`;
  await Deno.writeTextFile(tools.path("umount"), script, { mode: 0o755 });
  await Deno.chmod(tools.path("umount"), 0o755);
}

/** Whether each container runs; a missing one does not. */
async function runningStates(
  engine: Engine,
  names: readonly string[],
): Promise<{ name: string; running: boolean }[]> {
  return (await containerStates(engine, names)).map(({ name, running }) => ({
    name,
    running,
  }));
}

/** Whether each container runs, and when it was last started. */
async function containerStates(
  engine: Engine,
  names: readonly string[],
): Promise<{ name: string; running: boolean; startedAt: string }[]> {
  const states = [];
  for (const name of names) {
    const result = await engine.cliResult([
      "inspect",
      "--format",
      "{{.State.Running}} {{.State.StartedAt}}",
      name,
    ], { timeoutMs: 30_000 });
    const [running = "", ...startedAt] = result.stdout.trim().split(" ");
    states.push({
      name,
      running: running === "true",
      startedAt: startedAt.join(" "),
    });
  }
  return states;
}
