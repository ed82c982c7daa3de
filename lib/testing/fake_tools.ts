/**
 * Recording stand-ins for `virsh`, `docker`/`podman`, `umount`, `ssh`,
 * `sync` and `shutdown`: executable scripts in a temp dir that honour the
 * real tools' command lines and output formats, record every call, and can
 * misbehave on cue (a VM that ignores the shutdown request, an unmount that
 * hangs, an ssh that fails). Put `env.PATH` first on the runner's PATH.
 * Test support only.
 *
 * @module
 */
import { makeTempDir, type TempDir } from "./temp_dir.ts";

/** A fake libvirt domain. */
export interface FakeVm {
  /** Domain name. */
  name: string;
  /** Running at start. @default true */
  running?: boolean;
  /** Never reacts to `virsh shutdown` (no ACPI). @default false */
  ignoresShutdown?: boolean;
  /** Milliseconds from the shutdown request until it is off. @default 0 */
  shutdownDelayMs?: number;
}

/** A fake running container. */
export interface FakeContainer {
  /** Container id. */
  id: string;
  /** Container name. */
  name: string;
  /** Labels. @default {} */
  labels?: Record<string, string>;
}

/** Options of {@linkcode makeFakeTools}. */
export interface FakeToolsOptions {
  /** Domains of the fake virsh. @default none */
  vms?: FakeVm[];
  /** Running containers of the fake engines. @default none */
  containers?: FakeContainer[];
  /** Label output of `ps`: docker's `"k=v,…"` or podman's JSON object. @default "docker" */
  engineStyle?: "docker" | "podman";
  /** Which engines exist. @default ["docker"] */
  engines?: ("docker" | "podman")[];
  /** What `umount` does. @default "ok" */
  umount?: "ok" | "hang" | "fail";
  /** What `ssh` does. @default "fail" (connection refused) */
  ssh?: "ok" | "fail";
  /** What `sync` does. @default "ok" */
  sync?: "ok" | "hang";
}

/** The stand-ins, in a temp dir removed on disposal. */
export interface FakeTools extends AsyncDisposable {
  /** The directory with the scripts. */
  readonly bin: string;
  /** `{ PATH }` with the stand-ins first, for the runner's `env`. */
  readonly env: { PATH: string };
  /** Absolute path of a stand-in, e.g. `path("shutdown")`. */
  path(tool: string): string;
  /**
   * Every call so far, oldest first: the tool's name then its arguments.
   *
   * @returns The recorded calls.
   */
  calls(): Promise<string[][]>;
  /** Current state of each fake VM: `running` or `shut off`. */
  vmStates(): Promise<Record<string, string>>;
}

const RECORD = String.raw`
printf '%s' "$(basename "$0")" >> "$STATE/calls"
for arg in "$@"; do printf '\037%s' "$arg" >> "$STATE/calls"; done
printf '\n' >> "$STATE/calls"
`;

const VIRSH = String.raw`
if [ "$1" = "-c" ] || [ "$1" = "--connect" ]; then shift 2; fi
now() { date +%s%3N; }
running() { # running NAME: whether the domain still runs
  [ "$(cat "$STATE/vms/$1/state")" = running ] || return 1
  if [ -e "$STATE/vms/$1/requested" ] && [ ! -e "$STATE/vms/$1/ignores" ]; then
    due=$(( $(cat "$STATE/vms/$1/requested") + $(cat "$STATE/vms/$1/delay") ))
    if [ "$(now)" -ge "$due" ]; then echo "shut off" > "$STATE/vms/$1/state"; return 1; fi
  fi
  return 0
}
known() {
  [ -d "$STATE/vms/$1" ] && return 0
  echo "error: failed to get domain '$1'" >&2; exit 1
}
command=$1; shift
case "$command" in
  list)
    for dir in "$STATE"/vms/*/; do
      [ -d "$dir" ] || continue
      name=$(basename "$dir")
      if running "$name"; then echo "$name"; fi
    done
    echo ;;
  domstate)
    known "$1"
    if running "$1"; then echo running; else echo "shut off"; fi
    echo ;;
  shutdown)
    known "$1"
    if ! running "$1"; then
      echo "error: Failed to shutdown domain '$1'" >&2
      echo "error: Requested operation is not valid: domain is not running" >&2
      exit 1
    fi
    [ -e "$STATE/vms/$1/requested" ] || now > "$STATE/vms/$1/requested"
    echo "Domain '$1' is being shutdown"; echo ;;
  destroy)
    known "$1"
    if ! running "$1"; then
      echo "error: Failed to destroy domain '$1'" >&2
      echo "error: Requested operation is not valid: domain is not running" >&2
      exit 1
    fi
    echo "shut off" > "$STATE/vms/$1/state"
    echo "Domain '$1' destroyed"; echo ;;
  *) echo "error: unknown command: '$command'" >&2; exit 1 ;;
esac
`;

const ENGINE = String.raw`
case "$1" in
  ps) cat "$STATE/containers" ;;
  stop)
    shift
    [ "$1" = "-t" ] || [ "$1" = "--time" ] || { echo "stop: expected -t" >&2; exit 125; }
    shift 2
    for id in "$@"; do echo "$id"; done ;;
  *) echo "unknown command: $1" >&2; exit 125 ;;
esac
`;

/**
 * Writes the stand-ins into a new temp dir.
 *
 * @param options How each tool behaves.
 * @returns The stand-ins; dispose to remove them.
 */
export async function makeFakeTools(
  options: FakeToolsOptions = {},
): Promise<FakeTools> {
  // Under /run, so the program can find them under the daemon's permissions.
  const dir: TempDir = await makeTempDir({
    prefix: "ups-monitor-fakes-",
    ...(Deno.uid() === 0 ? { dir: "/run" } : {}),
  });
  const bin = dir.join("bin");
  const state = dir.join("state");
  await Deno.mkdir(bin);
  await Deno.mkdir(`${state}/vms`, { recursive: true });
  await Deno.writeTextFile(`${state}/calls`, "");
  const write = async (tool: string, body: string) => {
    const script = `#!/bin/bash\nSTATE='${state}'\n${RECORD}\n${body}\n`;
    await Deno.writeTextFile(`${bin}/${tool}`, script, { mode: 0o755 });
    await Deno.chmod(`${bin}/${tool}`, 0o755);
  };
  for (const vm of options.vms ?? []) {
    const vmDir = `${state}/vms/${vm.name}`;
    await Deno.mkdir(vmDir);
    await Deno.writeTextFile(
      `${vmDir}/state`,
      vm.running === false ? "shut off\n" : "running\n",
    );
    await Deno.writeTextFile(`${vmDir}/delay`, `${vm.shutdownDelayMs ?? 0}\n`);
    if (vm.ignoresShutdown) await Deno.writeTextFile(`${vmDir}/ignores`, "");
  }
  const style = options.engineStyle ?? "docker";
  await Deno.writeTextFile(
    `${state}/containers`,
    (options.containers ?? []).map((c) => {
      const labels = c.labels ?? {};
      const text = style === "docker"
        ? JSON.stringify(
          Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(","),
        )
        : JSON.stringify(labels);
      return `${c.id}\t${c.name}\t${text}\n`;
    }).join(""),
  );
  await write("virsh", VIRSH);
  for (const engine of options.engines ?? ["docker"]) {
    await write(engine, ENGINE);
  }
  await write(
    "umount",
    {
      ok: "exit 0",
      hang: "exec sleep 3600",
      fail: 'echo "umount: ${@: -1}: target is busy." >&2; exit 32',
    }[options.umount ?? "ok"],
  );
  await write(
    "ssh",
    options.ssh === "ok" ? "exit 0" : String.raw`
port=22; host=""
while [ $# -gt 0 ]; do
  case "$1" in
    -p) port=$2; shift 2 ;;
    -o|-i) shift 2 ;;
    --) break ;;
    *) host=${"${1#*@}"}; shift ;;
  esac
done
echo "ssh: connect to host $host port $port: Connection refused" >&2
exit 255`,
  );
  await write("sync", options.sync === "hang" ? "exec sleep 3600" : "exit 0");
  await write("shutdown", "exit 0");
  const systemPath = Deno.env.get("PATH") ?? "/usr/sbin:/usr/bin:/sbin:/bin";
  return {
    bin,
    env: { PATH: `${bin}:${systemPath}` },
    path: (tool) => `${bin}/${tool}`,
    async calls() {
      const text = await Deno.readTextFile(`${state}/calls`);
      return text.split("\n").filter((l) => l !== "").map((l) =>
        l.split("\x1f")
      );
    },
    async vmStates() {
      const states: Record<string, string> = {};
      for await (const entry of Deno.readDir(`${state}/vms`)) {
        states[entry.name] =
          (await Deno.readTextFile(`${state}/vms/${entry.name}/state`)).trim();
      }
      return states;
    },
    [Symbol.asyncDispose]: () => dir[Symbol.asyncDispose](),
  };
}
