/**
 * Recording stand-ins for `virsh`, `docker`/`podman`, `umount`, `ssh`,
 * `sync` and `shutdown`: executable scripts in a temp dir that honour the
 * real tools' command lines (how virsh and pflag tell options from names,
 * so a name that reads as an option misbehaves as it would for real) and
 * output formats, record every call, and can misbehave on cue (a VM that
 * ignores the shutdown request, an unmount that hangs, an ssh that fails). Put `env.PATH` first on the runner's PATH.
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
  /** Containers stopped so far, as the stop call named them (id or name). */
  stoppedContainers(): Promise<string[]>;
  /** Ids of the containers running now, as `ps` lists them. */
  runningContainers(): Promise<string[]>;
}

// One write per call: calls made at the same time (a rollback starts every
// VM at once) must not tear each other's lines.
const RECORD = String.raw`
line=$(basename "$0")
for arg in "$@"; do line+=$'\037'"$arg"; done
printf '%s\n' "$line" >> "$STATE/calls"
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
  [ -n "$1" ] && [ -d "$STATE/vms/$1" ] && return 0
  echo "error: failed to get domain '$1'" >&2; exit 1
}
# domain COMMAND ARGS...: sets dom as virsh's parser would. After --domain
# the next word is the name whatever it looks like; a bare word beginning
# with "--" and a letter is an option (--help prints the help and exits 0);
# "--" ends the options; anything else (even "-t") is the <domain> data.
domain() {
  cmd=$1; shift; dom=""; seen=""; data_only=""
  while [ $# -gt 0 ]; do
    arg=$1; shift
    if [ -z "$data_only" ]; then
      case "$arg" in
        --) data_only=1; continue ;;
        --domain=*) dom=${"${arg#--domain=}"}; seen=1; continue ;;
        --domain)
          [ $# -gt 0 ] || { echo "error: expected syntax: --domain <string>" >&2; exit 1; }
          dom=$1; seen=1; shift; continue ;;
        --help) echo "  NAME"; echo "    $cmd - (help of the stand-in)"; exit 0 ;;
        --[A-Za-z0-9]*)
          echo "error: command '$cmd' doesn't support option $arg" >&2; exit 1 ;;
      esac
    fi
    if [ -n "$seen" ]; then echo "error: unexpected data '$arg'" >&2; exit 1; fi
    dom=$arg; seen=1
  done
  [ -n "$seen" ] || { echo "error: command '$cmd' requires <domain> option" >&2; exit 1; }
}
command=$1; shift
case "$command" in
  version)
    # As virsh connected to a running libvirtd prints it.
    echo "Compiled against library: libvirt 9.0.0"
    echo "Using library: libvirt 9.0.0"
    echo "Using API: QEMU 9.0.0"
    echo "Running hypervisor: QEMU 7.2.0" ;;
  list)
    for dir in "$STATE"/vms/*/; do
      [ -d "$dir" ] || continue
      name=$(basename "$dir")
      if running "$name"; then printf '%s\n' "$name"; fi
    done
    echo ;;
  domstate)
    domain domstate "$@"; known "$dom"
    if running "$dom"; then echo running; else echo "shut off"; fi
    echo ;;
  shutdown)
    domain shutdown "$@"; known "$dom"
    if ! running "$dom"; then
      echo "error: Failed to shutdown domain '$dom'" >&2
      echo "error: Requested operation is not valid: domain is not running" >&2
      exit 1
    fi
    [ -e "$STATE/vms/$dom/requested" ] || now > "$STATE/vms/$dom/requested"
    echo "Domain '$dom' is being shutdown"; echo ;;
  destroy)
    domain destroy "$@"; known "$dom"
    if ! running "$dom"; then
      echo "error: Failed to destroy domain '$dom'" >&2
      echo "error: Requested operation is not valid: domain is not running" >&2
      exit 1
    fi
    echo "shut off" > "$STATE/vms/$dom/state"
    echo "Domain '$dom' destroyed"; echo ;;
  start)
    domain start "$@"; known "$dom"
    if running "$dom"; then
      echo "error: Failed to start domain '$dom'" >&2
      echo "error: Requested operation is not valid: domain is already active" >&2
      exit 1
    fi
    echo running > "$STATE/vms/$dom/state"; rm -f "$STATE/vms/$dom/requested"
    echo "Domain '$dom' started"; echo ;;
  *) echo "error: unknown command: '$command'" >&2; exit 1 ;;
esac
`;

// stop parses its flags as docker's and podman's (pflag): flags and names
// may mix, "-t"/"--time" take the next word whatever it is, an unknown flag
// is an error (125), and after "--" every word is a name. A stopped
// container leaves the ps list and is recorded in $STATE/stopped.
const ENGINE = String.raw`
seconds() {
  case "$1" in
    ''|*[!0-9]*) echo "Error: invalid argument \"$1\" for \"-t, --time\" flag" >&2; exit 125 ;;
  esac
}
case "$1" in
  ps) cat "$STATE/containers" ;;
  stop)
    shift; names=()
    while [ $# -gt 0 ]; do
      case "$1" in
        --) shift; names+=("$@"); break ;;
        -t|--time)
          [ $# -ge 2 ] || {
            [ "$1" = -t ] && echo "Error: flag needs an argument: 't' in -t" >&2
            [ "$1" = --time ] && echo "Error: flag needs an argument: --time" >&2
            exit 125
          }
          seconds "$2"; shift 2 ;;
        -t=*|--time=*) seconds "${"${1#*=}"}"; shift ;;
        -t?*) seconds "${"${1#-t}"}"; shift ;;
        --*) echo "Error: unknown flag: ${"${1%%=*}"}" >&2; exit 125 ;;
        -?*) echo "Error: unknown shorthand flag: '${"${1:1:1}"}' in $1" >&2; exit 125 ;;
        *) names+=("$1"); shift ;;
      esac
    done
    [ ${"${#names[@]}"} -gt 0 ] || { echo "Error: requires at least 1 argument" >&2; exit 125; }
    status=0
    for ref in "${"${names[@]}"}"; do
      # ENVIRON, not -v: awk would undo backslashes in a -v value.
      if ! ref=$ref awk -F '\t' '$1 == ENVIRON["ref"] || $2 == ENVIRON["ref"] { found = 1 } END { exit !found }' "$STATE/containers"; then
        echo "Error response from daemon: No such container: $ref" >&2; status=1; continue
      fi
      ref=$ref awk -F '\t' '$1 == ENVIRON["ref"] || $2 == ENVIRON["ref"]' "$STATE/containers" >> "$STATE/stopped_lines"
      ref=$ref awk -F '\t' '!($1 == ENVIRON["ref"] || $2 == ENVIRON["ref"])' "$STATE/containers" > "$STATE/containers.new"
      mv "$STATE/containers.new" "$STATE/containers"
      printf '%s\n' "$ref" >> "$STATE/stopped"
      printf '%s\n' "$ref"
    done
    exit $status ;;
  start)
    # start [--] NAME...: a stopped container goes back to the ps list; one
    # that runs already is fine (docker prints its name and exits 0).
    shift; [ "$1" = -- ] && shift
    [ $# -gt 0 ] || { echo "Error: requires at least 1 argument" >&2; exit 125; }
    status=0
    for ref in "$@"; do
      if ref=$ref awk -F '\t' '$1 == ENVIRON["ref"] || $2 == ENVIRON["ref"] { found = 1 } END { exit !found }' "$STATE/containers"; then
        printf '%s\n' "$ref"; continue
      fi
      if ! ref=$ref awk -F '\t' '$1 == ENVIRON["ref"] || $2 == ENVIRON["ref"] { found = 1 } END { exit !found }' "$STATE/stopped_lines" 2>/dev/null; then
        echo "Error response from daemon: No such container: $ref" >&2; status=1; continue
      fi
      ref=$ref awk -F '\t' '$1 == ENVIRON["ref"] || $2 == ENVIRON["ref"]' "$STATE/stopped_lines" | head -1 >> "$STATE/containers"
      ref=$ref awk -F '\t' '!($1 == ENVIRON["ref"] || $2 == ENVIRON["ref"])' "$STATE/stopped_lines" > "$STATE/stopped_lines.new"
      mv "$STATE/stopped_lines.new" "$STATE/stopped_lines"
      printf '%s\n' "$ref"
    done
    exit $status ;;
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
  await Deno.writeTextFile(`${state}/stopped`, "");
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
    async runningContainers() {
      const text = await Deno.readTextFile(`${state}/containers`);
      return text.split("\n").filter((l) => l !== "").map((l) =>
        l.split("\t")[0] ?? ""
      );
    },
    async stoppedContainers() {
      const text = await Deno.readTextFile(`${state}/stopped`);
      return text.split("\n").filter((l) => l !== "");
    },
    [Symbol.asyncDispose]: () => dir[Symbol.asyncDispose](),
  };
}
