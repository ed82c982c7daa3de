/**
 * One scenario, end to end: its own upsd, fake Discord, stand-ins and
 * rig-owned side effects, the real program in its own mount namespace, the
 * timeline played through the real upsd protocol, then the verdict and the
 * data for the report.
 *
 * @module
 */
import { serializeDurations } from "../lib/shutdown/durations.ts";
import { errorMessage } from "../lib/errors.ts";
import { join } from "node:path";
import { startRecordingServer } from "../lib/testing/http_server.ts";
import type { Engine } from "./engine.ts";
import { judge, type TimedEvent, type Verdict } from "./expect.ts";
import { sequencePending } from "./expect_abort.ts";
import {
  discordEmbeds,
  discordIncidents,
  discordProblems,
  discordResponder,
  webhookBodies,
  webhookKinds,
} from "./fake_discord.ts";
import type { RigImages } from "./image.ts";
import { type Fault, NAS_FAULTS, type Profile } from "./profile.ts";
import { type ProgramEvent, startSandboxed } from "./sandbox.ts";
import {
  baseConfig,
  configYaml,
  mergeProfileConfig,
  rehearsalConfig,
} from "./scenario_config.ts";
import { programName, startRigUpses } from "./scenario_upses.ts";
import { prepareSideEffects, type SideEffectFacts } from "./side_effects.ts";
import type { FleetFacts } from "./expect_fleet.ts";
import { prepareFleet } from "./scenario_fleet.ts";
import { applyFault } from "./faults.ts";
import {
  expandTimeline,
  type Played,
  playTimeline,
  type Point,
  seriesOf,
  sleep,
} from "./timeline.ts";

/** The UPS name the rig serves. */
export { RIG_UPS } from "./profile_upses.ts";

/** What every scenario of a run shares. */
export interface RunContext {
  /** The engine of the servers. */
  engine: Engine;
  /** Its images; null on the native engine. */
  images: RigImages | null;
  /** The run's private directory under `/run`. */
  runDir: string;
  /** The compiled binary; without it `deno run`. */
  binary?: string;
  /** Leave containers and directories behind. */
  keep: boolean;
  /** A user's config (parsed YAML) to rehearse instead of the rig's. */
  userConfig?: Record<string, unknown>;
  /** Progress lines for people. */
  progress(line: string): void;
}

/** What one scenario produced. */
export interface ScenarioResult {
  /** Scenario name. */
  name: string;
  /** The profile's description. */
  description: string;
  /** The verdict; a setup failure is a failed verdict. */
  verdict: Verdict;
  /** Wall time of the whole scenario, setup included, ms. */
  wallMs: number;
  /** Length of the timeline as run, ms. */
  spanMs: number;
  /** Values served, for the chart. */
  series: { charge: Point[]; runtime: Point[]; voltage: Point[] };
  /** The program's events, times relative to the start. */
  events: TimedEvent[];
  /** Marks of the timeline. */
  marks: Record<string, number>;
  /** Faults as played; `ups` when aimed at a UPS other than the first. */
  faults: { t: number; fault: Fault; ups?: string }[];
  /** The side effects read back, if checked. */
  facts: SideEffectFacts | null;
  /** The fleet of stock upsmon hosts, read back, if the profile has one. */
  fleet?: FleetFacts | null;
}

/**
 * Runs one scenario; never throws for a scenario's own failure.
 *
 * @param profile The scenario.
 * @param context What the run shares.
 * @returns The result.
 */
export async function runScenario(
  profile: Profile,
  context: RunContext,
): Promise<ScenarioResult> {
  const began = performance.now();
  const empty = {
    name: profile.name,
    description: profile.description,
    spanMs: profile.duration,
    series: { charge: [], runtime: [], voltage: [] },
    events: [],
    marks: { start: 0 },
    faults: [],
    facts: null,
  };
  try {
    return await run(profile, context, began);
  } catch (error) {
    const text = `The scenario could not run: ${errorMessage(error)}`;
    return {
      ...empty,
      wallMs: performance.now() - began,
      verdict: {
        passed: false,
        checks: [{ ok: false, text }],
        firstFailure: text,
        trigger: null,
        steps: [],
      },
    };
  }
}

async function run(
  profile: Profile,
  context: RunContext,
  began: number,
): Promise<ScenarioResult> {
  const { engine, keep } = context;
  const rehearsal = context.userConfig !== undefined;
  const id = `${profile.name}-${crypto.randomUUID().slice(0, 6)}`;
  const dir = join(context.runDir, profile.name);
  const configDir = join(dir, "etc");
  const logDir = join(dir, "log");
  for (const sub of [configDir, logDir, join(dir, "run"), join(dir, "mnt")]) {
    await Deno.mkdir(sub, { recursive: true });
  }
  await using _dir = {
    async [Symbol.asyncDispose]() {
      if (!keep) await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
  await using upses = await startRigUpses(profile, {
    engine,
    images: context.images,
    keep,
  });
  const { server } = upses.first;
  await using fleet = await prepareFleet(profile, {
    engine,
    images: context.images,
    server,
    ups: upses.first.name,
    keep,
  });
  await using discord = startRecordingServer(discordResponder());
  const full = profile.expect.side_effects && !rehearsal;
  const withNas = profile.nas && !rehearsal;
  if (withNas && !engine.containers) {
    throw new Error(
      `the NAS (nas: true) needs podman or docker, not the "${engine.name}" engine`,
    );
  }
  await using effects = await prepareSideEffects({
    dir,
    configDir,
    id,
    engine,
    images: context.images,
    full,
    nas: withNas,
    keep,
  });
  const targets = {
    dir,
    ups: fleet?.upsName ?? programName(upses.first),
    otherUpses: upses.others.map(programName),
    username: server.monitor.username,
    password: server.monitor.password,
    discordUrl: discord.url,
    powerOff: await fleet?.probePowerOff(dir, effects.tools.path("shutdown")) ??
      effects.tools.path("shutdown"),
    containerEngine: effects.containerEngine,
    containerLabel: effects.label,
    mounts: effects.mounts,
    nasPort: effects.nas?.port ?? null,
  };
  const config = context.userConfig
    ? rehearsalConfig(context.userConfig, targets)
    : mergeProfileConfig(baseConfig(targets), profile.config);
  await Deno.writeTextFile(join(configDir, "config.yaml"), configYaml(config));
  if (!rehearsal) await seedDurations(dir, profile);

  await using program = startSandboxed({
    configDir,
    logDir,
    tmpfs: effects.mounts,
    ...(context.binary ? { binary: context.binary } : {}),
    args: ["run", "--log-format", "json"],
  }, { PATH: `${effects.tools.bin}:/usr/sbin:/usr/bin:/sbin:/bin` });
  const connected = await program.waitFor(
    (e) => e.event === "nut.connected",
    { timeoutMs: 20_000 },
  );
  if (!connected) {
    throw new Error(
      `the program did not connect to upsd within 20 s: ${
        [...program.other, ...program.events.map((e) => e.msg)].slice(-5)
          .join(" | ")
      }`,
    );
  }
  await fleet?.ready(20_000);
  // One poll on the initial values before the timeline starts.
  await sleep(500);
  const startMs = performance.now();
  const startEpochMs = Date.now();
  context.progress(`${profile.name}: started (upsd on port ${server.port})`);
  const stopTimeline = new AbortController();
  const timeline = playTimeline(expandTimeline(profile.timeline), {
    set: async (values, ups) => {
      const { admin } = upses.get(ups);
      for (const [name, value] of Object.entries(values)) {
        // After upsd restarted, the first request finds the old link closed.
        await admin.setVar(name, value).catch(() => admin.setVar(name, value));
      }
    },
    // A rehearsal's remotes are the user's, not the rig's NAS.
    fault: (fault, ups) =>
      rehearsal && NAS_FAULTS.includes(fault)
        ? Promise.resolve()
        : applyFault(fault, { ...upses.get(ups), nas: effects.nas, fleet }),
  }, { startMs, signal: stopTimeline.signal });

  // The program may exit after its local shutdown, taking its namespace
  // along: read its mount table as soon as the unmount step has ended.
  const unmounted = (e: ProgramEvent) =>
    e.event === "shutdown.step" && e["step"] === "filesystems" &&
    !["start", "skipped"].includes(String(e["phase"]));
  const mountsAfterUnmount = program.waitFor(unmounted, {
    timeoutMs: profile.duration + 60_000,
  }).then((step) => step ? program.mountPoints() : null);
  // What an abort restored, read before a next outage stops it again.
  const afterRollback = program.waitFor(
    (e) => e.event === "shutdown.rolled_back",
    { timeoutMs: profile.duration + 60_000 },
  ).then(async (event) => {
    if (event === null) return null;
    const facts = await effects.rollbackFacts();
    return { t: performance.now() - startMs, facts };
  }).catch(() => null); // judged as "could not read back"
  await waitForEnd(program, startMs + profile.duration);
  const fleetFacts = await fleet?.finish(
    { startMs, startEpochMs },
    program.events.some((e) => e.event === "shutdown.triggered"),
  ) ?? null;
  const facts = full
    ? await effects.facts(
      // Without an unmount step (an aborted sequence), the table at the end.
      program.events.some(unmounted)
        ? await mountsAfterUnmount
        : await program.mountPoints(),
      // The rig's own containers, which must survive the container step.
      engine.containers
        ? [server.name, effects.nas?.name ?? ""].filter((n) => n !== "")
        : [],
    )
    : null;
  stopTimeline.abort();
  await timeline.done;
  const spanMs = performance.now() - startMs;
  await program.stop("SIGTERM");
  await mountsAfterUnmount;
  const rollback = await afterRollback;
  const events = program.events.map((e) => {
    const { at, event, msg, ts, level: _level, ...fields } = e;
    // The program's own time stamp (ms): the fleet checks compare it with
    // other clocks' stamps, arrival being a few ms late.
    const logged = Date.parse(String(ts)) - startEpochMs;
    return {
      t: at - startMs,
      event,
      msg,
      fields,
      ...(Number.isFinite(logged) ? { loggedT: logged } : {}),
    };
  });
  const played = timeline.result.played;
  const upsdLog = profile.expect.upsd_log.length === 0
    ? ""
    : await server.logs().catch((error: unknown) =>
      `(cannot read upsd's output: ${errorMessage(error)})`
    );
  const verdict = judge(profile.expect, {
    upsdLog,
    events,
    marks: timeline.result.marks,
    notifications: webhookKinds(discord.requests),
    webhookBodies: webhookBodies(discord.requests),
    discordProblems: discordProblems(discord.requests),
    discordEmbeds: discordEmbeds(discord.requests),
    discordIncidents: discordIncidents(discord.requests),
    timelineErrors: played.filter((p) => p.error).map((p) =>
      `${describeAction(p)} at ${Math.round(p.doneMs)} ms: ${p.error}`
    ),
    facts,
    rollback,
    containersAvailable: engine.containers,
    rehearsal,
    fleet: fleetFacts,
  });
  return {
    name: profile.name,
    description: profile.description,
    verdict,
    wallMs: performance.now() - began,
    spanMs,
    series: {
      charge: seriesOf("battery.charge", profile.ups, played),
      runtime: seriesOf("battery.runtime", profile.ups, played),
      voltage: seriesOf("input.voltage", profile.ups, played),
    },
    events,
    marks: timeline.result.marks,
    faults: played.flatMap((p) =>
      p.action.kind === "fault"
        ? [{
          t: p.doneMs,
          fault: p.action.fault,
          ...(p.action.ups && p.action.ups !== upses.first.name
            ? { ups: p.action.ups }
            : {}),
        }]
        : []
    ),
    facts,
    fleet: fleetFacts,
  };
}

/**
 * Waits until the timeline's end, or, once a shutdown was triggered, until
 * the sequence is complete or rolled back (bounded), or until the program
 * exits.
 */
async function waitForEnd(
  program: ReturnType<typeof startSandboxed>,
  endMs: number,
): Promise<void> {
  const complete = await program.waitFor(
    (e) => e.event === "shutdown.complete" || e.event === "monitor.stopped",
    { timeoutMs: Math.max(0, endMs - performance.now()) },
  );
  const triggered = program.events.some((e) =>
    e.event === "shutdown.triggered"
  );
  if (!complete && sequencePending(program.events)) {
    await program.waitFor(
      (e) =>
        e.event === "shutdown.complete" || e.event === "shutdown.rolled_back",
      { from: program.events.length, timeoutMs: 45_000 },
    );
  }
  // Notifications of the last step arrive just after it.
  if (triggered) await sleep(700);
}

function describeAction({ action }: Played): string {
  switch (action.kind) {
    case "set":
      return `SET ${
        Object.entries(action.values).map(([k, v]) => `${k}="${v}"`).join(" ")
      }`;
    case "fault":
      return `fault "${action.fault}"`;
    case "mark":
      return `mark "${action.name}"`;
  }
}

/** Writes the profile's learned step durations where the program reads them. */
async function seedDurations(dir: string, profile: Profile): Promise<void> {
  const steps = Object.entries(profile.durations);
  if (steps.length === 0) return;
  const history = Object.fromEntries(
    steps.map(([id, runs]) => [
      id,
      runs.map((ms) => ({ ms, dryRun: false, wallMs: 0 })),
    ]),
  );
  await Deno.writeTextFile(
    join(dir, "run", "ups-monitor.durations"),
    serializeDurations(history),
  );
}
