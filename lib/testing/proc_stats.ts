/**
 * Readers of `/proc/<pid>/stat` and `/proc/<pid>/status` for the system
 * benchmark: CPU time, context switches and memory of a process tree, and
 * the CPU time of this process's reaped children. Linux only. Test support.
 *
 * @module
 */

/** Clock ticks per second of `/proc` times (USER_HZ, 100 on every Linux ABI). */
export const TICKS_PER_S = 100;

/** The fields of `/proc/<pid>/stat` the benchmark uses; times in ticks. */
export interface ProcStat {
  /** Process id. */
  pid: number;
  /** Parent's process id. */
  ppid: number;
  /** User CPU time of all threads, live and exited. */
  utime: number;
  /** System CPU time of all threads, live and exited. */
  stime: number;
  /** User CPU time of waited-for children. */
  cutime: number;
  /** System CPU time of waited-for children. */
  cstime: number;
}

/**
 * Parses one `/proc/<pid>/stat` line. The command name sits in parentheses
 * and may hold spaces and ")" itself, so the fields are counted from the
 * last ")".
 *
 * @param text The file's contents.
 * @returns The fields.
 * @throws {SyntaxError} When the line is not a stat line.
 */
export function parseStat(text: string): ProcStat {
  const close = text.lastIndexOf(")");
  const pid = Number.parseInt(text, 10);
  // After ")": state ppid pgrp session tty tpgid flags minflt cminflt majflt
  // cmajflt utime stime cutime cstime … (fields 3 onwards of proc(5)).
  const rest = text.slice(close + 2).trim().split(" ").map(Number);
  if (close < 0 || Number.isNaN(pid) || rest.length < 13) {
    throw new SyntaxError(`Cannot parse a stat line: "${text.slice(0, 80)}"`);
  }
  const at = (field: number) => rest[field - 3]!;
  return {
    pid,
    ppid: at(4),
    utime: at(14),
    stime: at(15),
    cutime: at(16),
    cstime: at(17),
  };
}

/** The fields of `/proc/<pid>/status` the benchmark uses. */
export interface ProcStatus {
  /** Resident set size, KiB (0 for a zombie). */
  vmRssKb: number;
  /** Peak resident set size, KiB. */
  vmHwmKb: number;
  /** Anonymous part of the resident set (heap, stacks; not the mapped executable), KiB. */
  rssAnonKb: number;
  /** Voluntary context switches (this task only). */
  voluntary: number;
  /** Involuntary context switches (this task only). */
  nonvoluntary: number;
}

/**
 * Parses `/proc/<pid>/status` or `/proc/<pid>/task/<tid>/status`.
 *
 * @param text The file's contents.
 * @returns The fields; an absent one reads 0 (a zombie has no Vm lines).
 */
export function parseStatus(text: string): ProcStatus {
  const field = (name: string) => {
    const match = new RegExp(`^${name}:\\s+(\\d+)`, "m").exec(text);
    return match ? Number(match[1]) : 0;
  };
  return {
    vmRssKb: field("VmRSS"),
    vmHwmKb: field("VmHWM"),
    rssAnonKb: field("RssAnon"),
    voluntary: field("voluntary_ctxt_switches"),
    nonvoluntary: field("nonvoluntary_ctxt_switches"),
  };
}

/** One look at a process tree. */
export interface TreeSample {
  /** When it was taken, `performance.now()` ms. */
  atMs: number;
  /** Pids in the tree, root first. */
  pids: number[];
  /** Σ utime+stime+cutime+cstime over the tree, ticks. */
  cpuTicks: number;
  /** Context switches (voluntary + involuntary) per `pid/tid`. */
  switches: Map<string, number>;
  /** Time on a CPU per `pid/tid`, ns (`/proc/<pid>/task/<tid>/schedstat`). */
  taskCpuNs: Map<string, number>;
  /** Σ VmRSS, KiB. */
  rssKb: number;
  /** Σ VmHWM, KiB. */
  hwmKb: number;
  /** Σ RssAnon, KiB. */
  anonKb: number;
}

function readOrNull(path: string): string | null {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return null; // the process or thread exited meanwhile
  }
}

/** Every live process's parent, from `/proc/*\/stat`. */
function parents(): Map<number, number> {
  const map = new Map<number, number>();
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    const text = readOrNull(`/proc/${entry.name}/stat`);
    if (text !== null) map.set(Number(entry.name), parseStat(text).ppid);
  }
  return map;
}

/**
 * Whether a process runs: it exists and is not a zombie (in a container
 * whose init does not reap, an orphan stays a zombie for good).
 *
 * @param pid The process.
 * @returns True while it runs.
 */
export function isRunning(pid: number): boolean {
  const text = readOrNull(`/proc/${pid}/stat`);
  if (text === null) return false;
  const state = text.slice(
    text.lastIndexOf(")") + 2,
    text.lastIndexOf(")") + 3,
  );
  return state !== "Z" && state !== "X";
}

/**
 * The pids of a process and all its live descendants.
 *
 * @param root The root's pid.
 * @returns Root first; empty when the root is gone.
 */
export function processTree(root: number): number[] {
  const ppids = parents();
  if (!ppids.has(root)) return [];
  const tree = [root];
  for (let i = 0; i < tree.length; i++) {
    for (const [pid, ppid] of ppids) if (ppid === tree[i]) tree.push(pid);
  }
  return tree;
}

/**
 * Samples a process tree: CPU from `stat` (ticks; exited threads and reaped
 * children included) and per thread from `schedstat` (ns), context switches
 * summed over every thread's `status` (a process's own `status` counts its
 * main thread only), memory from `status`.
 *
 * @param root The root's pid.
 * @returns The sample.
 * @throws {Error} When the root process is gone.
 */
export function sampleTree(root: number): TreeSample {
  const atMs = performance.now();
  const pids = processTree(root);
  if (pids.length === 0) {
    throw new Error(`Cannot sample process ${root}: it is not running`);
  }
  const sample: TreeSample = {
    atMs,
    pids,
    cpuTicks: 0,
    switches: new Map(),
    taskCpuNs: new Map(),
    rssKb: 0,
    hwmKb: 0,
    anonKb: 0,
  };
  for (const pid of pids) {
    const stat = readOrNull(`/proc/${pid}/stat`);
    const status = readOrNull(`/proc/${pid}/status`);
    if (stat === null || status === null) continue;
    const { utime, stime, cutime, cstime } = parseStat(stat);
    sample.cpuTicks += utime + stime + cutime + cstime;
    const memory = parseStatus(status);
    sample.rssKb += memory.vmRssKb;
    sample.hwmKb += memory.vmHwmKb;
    sample.anonKb += memory.rssAnonKb;
    readTasks(pid, sample);
  }
  return sample;
}

/** Reads every thread's context switches and on-CPU time into `into`. */
function readTasks(pid: number, into: TaskCounters): void {
  let tasks: string[];
  try {
    tasks = [...Deno.readDirSync(`/proc/${pid}/task`)].map((t) => t.name);
  } catch {
    return; // the process exited meanwhile
  }
  for (const tid of tasks) {
    const dir = `/proc/${pid}/task/${tid}`;
    const text = readOrNull(`${dir}/status`);
    const schedstat = readOrNull(`${dir}/schedstat`);
    if (text === null || schedstat === null) continue;
    const { voluntary, nonvoluntary } = parseStatus(text);
    into.switches.set(`${pid}/${tid}`, voluntary + nonvoluntary);
    into.taskCpuNs.set(`${pid}/${tid}`, Number.parseInt(schedstat, 10));
  }
}

/** Per-thread counters, keyed `pid/tid`. */
export type TaskCounters = Pick<TreeSample, "switches" | "taskCpuNs">;

/**
 * Adds to a sample the threads seen earlier that it lacks, with their last
 * seen counters.
 *
 * @param end The sample, changed in place.
 * @param seen The last seen counters of every thread.
 * @returns How many threads were added (ended since seen).
 */
export function addEndedThreads(end: TreeSample, seen: TaskCounters): number {
  let ended = 0;
  for (const [task, switches] of seen.switches) {
    if (end.switches.has(task)) continue;
    ended++;
    end.switches.set(task, switches);
    end.taskCpuNs.set(task, seen.taskCpuNs.get(task) ?? 0);
  }
  return ended;
}

/**
 * Measures a process tree over a window. Threads come and go (Deno's
 * blocking-pool threads end after 10 s idle), and an ended thread's
 * counters leave `/proc` with it: {@linkcode observe} during the window
 * keeps each thread's last values, so one that ends is counted up to its
 * last observation.
 */
export class TreeMeter {
  #root: number;
  #start: TreeSample;
  #seen: TaskCounters;

  /**
   * Takes the first sample.
   *
   * @param root The root's pid.
   * @throws {Error} When the root process is gone.
   */
  constructor(root: number) {
    this.#root = root;
    this.#start = sampleTree(root);
    this.#seen = {
      switches: new Map(this.#start.switches),
      taskCpuNs: new Map(this.#start.taskCpuNs),
    };
  }

  /** Reads the threads of the tree's processes again (not the whole /proc). */
  observe(): void {
    for (const pid of this.#start.pids) readTasks(pid, this.#seen);
  }

  /**
   * Takes the last sample.
   *
   * @returns The usage since the first; ended threads count up to their last observation.
   * @throws {Error} When the root process is gone.
   */
  finish(): TreeUsage {
    const end = sampleTree(this.#root);
    const threads = end.switches.size;
    const ended = addEndedThreads(end, this.#seen);
    return { ...usageBetween(this.#start, end), threads, endedThreads: ended };
  }
}

/** What a tree did between two samples. */
export interface TreeUsage {
  /** Seconds between the samples. */
  seconds: number;
  /** CPU time from the threads' `schedstat`, ms (ns-exact; only threads seen in the end sample). */
  cpuMs: number;
  /** CPU, % of one core, from `cpuMs`. */
  cpuPercent: number;
  /** CPU time from `stat`, ms (10 ms steps; counts exited threads and children). */
  statCpuMs: number;
  /** Threads (tasks) in the tree at the end. */
  threads: number;
  /** Threads that ended between the samples (see {@linkcode TreeMeter} for how they count). */
  endedThreads: number;
  /** Context switches per second over all threads. */
  wakeupsPerS: number;
  /** VmRSS at the end, MiB. */
  rssMib: number;
  /** VmHWM (peak RSS) at the end, MiB. */
  hwmMib: number;
  /** RssAnon at the end, MiB: the private part of the RSS. */
  anonMib: number;
}

/**
 * The usage between two samples of one tree. A thread born in between
 * counts from zero; one that ended in between is lost (its switches and
 * schedstat leave `/proc` with it), which undercounts, never overcounts;
 * `endedThreads` says when, and `statCpuMs` still has the whole CPU time.
 *
 * @param start The earlier sample.
 * @param end The later sample.
 * @returns The usage.
 */
export function usageBetween(start: TreeSample, end: TreeSample): TreeUsage {
  const seconds = (end.atMs - start.atMs) / 1000;
  const statCpuMs = (end.cpuTicks - start.cpuTicks) * 1000 / TICKS_PER_S;
  const growth = (a: Map<string, number>, b: Map<string, number>) => {
    let sum = 0;
    for (const [task, value] of b) sum += value - (a.get(task) ?? 0);
    return sum;
  };
  const cpuMs = growth(start.taskCpuNs, end.taskCpuNs) / 1e6;
  const switches = growth(start.switches, end.switches);
  return {
    seconds,
    cpuMs,
    cpuPercent: cpuMs / 10 / seconds,
    statCpuMs,
    threads: end.switches.size,
    endedThreads:
      [...start.switches.keys()].filter((t) => !end.switches.has(t)).length,
    wakeupsPerS: switches / seconds,
    rssMib: end.rssKb / 1024,
    hwmMib: end.hwmKb / 1024,
    anonMib: end.anonKb / 1024,
  };
}

/**
 * CPU time of this process's waited-for children (`cutime + cstime` of
 * `/proc/self/stat`): a child's time arrives once it has exited and been reaped.
 *
 * @returns Milliseconds.
 */
export function reapedChildrenCpuMs(): number {
  const { cutime, cstime } = parseStat(
    Deno.readTextFileSync("/proc/self/stat"),
  );
  return (cutime + cstime) * 1000 / TICKS_PER_S;
}

/**
 * The load average over 1, 5 and 15 minutes, as `/proc/loadavg` says it.
 *
 * @returns E.g. `0.85 1.14 1.29`.
 */
export function loadAverage(): string {
  return Deno.readTextFileSync("/proc/loadavg").split(" ").slice(0, 3).join(
    " ",
  );
}
