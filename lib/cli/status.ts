/**
 * `ups-monitor status`: one reading from upsd, in words or JSON, and what the
 * triggers say about it now. Time on battery and the depletion history come
 * from the running daemon's files when one is live.
 *
 * @module
 */
import { fleetLine, fleetStatus } from "./status_fleet.ts";
import {
  DEFAULT_CONFIG_PATH,
  type LoadedConfig,
  loadedForUps,
} from "../config/load.ts";
import { errorMessage } from "../errors.ts";
import {
  renderSeveral,
  type SeveralReport,
  suppliesOf,
} from "./status_several.ts";
import { loadForCommand } from "./config.ts";
import type { Config } from "../config/schema.ts";
import { parseUpsAddress } from "../config/ups_address.ts";
import { clientForConfig } from "../nut/configured.ts";
import { fmt } from "../power/events.ts";
import { restoreOutage } from "../power/outage.ts";
import {
  type Reading,
  READING_VARIABLES,
  readReading,
} from "../power/reading.ts";
import { snapshot } from "../power/snapshot.ts";
import { budgetLines, budgetNow } from "./status_budget.ts";
import {
  lastingConfig,
  type StatusReport,
  statusReport,
} from "./status_report.ts";
import { readDurations } from "../shutdown/durations_file.ts";
import { buildPlan } from "../shutdown/plan.ts";
import { initialState } from "../power/state.ts";
import { decide, step } from "../power/triggers.ts";
import { readinessLines, readinessOf } from "../readiness/report.ts";
import { timingOf } from "../power/timing.ts";
import { readBootId, UNKNOWN_BOOT_ID } from "../shutdown/crisis.ts";
import { livePid } from "../shutdown/pid_file.ts";
import { systemClock } from "../system/clock.ts";
import { createRunner } from "../system/exec.ts";
import { READ_LIMITS, readTextIfExists } from "../system/files.ts";
import { parseCommandArgs } from "./args.ts";
import type { Command, CommandContext } from "./context.ts";
import { SILENT_LOGGER } from "../system/log.ts";

/** What status polls: the daemon's list, plus the make and model for the heading. */
const STATUS_VARIABLES: readonly string[] = [
  ...READING_VARIABLES,
  "ups.mfr",
  "ups.model",
];

function minutes(seconds: number): string {
  return seconds >= 60
    ? `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`
    : `${Math.round(seconds)} s`;
}

/** Folds one reading (and the daemon's outage, when live) into a decision, as if the reading persisted. */
async function evaluate(
  config: Config,
  reading: Reading,
  daemon: number | null,
) {
  const clock = systemClock;
  const monoMs = clock.monotonic();
  let resumed = null;
  if (daemon !== null) {
    const bootId = await readBootId(
      createRunner({ logger: SILENT_LOGGER, dryRun: true }),
    )
      .catch(() => UNKNOWN_BOOT_ID);
    const text = bootId === UNKNOWN_BOOT_ID
      ? null
      : await readTextIfExists(config.paths.history, READ_LIMITS.history)
        .catch(() => null);
    const restored = text === null ? null : restoreOutage(text, {
      bootId,
      monoMs,
      wallMs: clock.now(),
      windowMs: config.triggers.depletion.window,
    });
    if (restored?.kind === "resumed") resumed = restored.outage;
  }
  // One poll stands for a lasting condition: persistence is the daemon's business.
  const { neededMs } = buildPlan(config, {
    durations: await readDurations(config.paths.durations),
  });
  const once = lastingConfig({ ...config, neededMs });
  const result = step(initialState(resumed), { kind: "reading", reading }, {
    config: once,
    monoMs,
    wallMs: clock.now(),
  });
  return {
    decision: result.decision ?? decide(result.state, once, monoMs),
    snap: snapshot(result.state, monoMs, once),
  };
}

/**
 * A line for a value not every UPS reports: none when the variable is absent,
 * the number when valid, else why it is unknown.
 */
function optionalLine(
  report: StatusReport,
  key: "input_frequency" | "battery_voltage" | "temperature",
  label: string,
  unit: string,
): string[] {
  const value = report[key];
  if (value !== null) return [`  ${label.padEnd(13)}${fmt(value)} ${unit}`];
  const reason = report.unknown[key];
  return reason === undefined
    ? []
    : [`  ${label.padEnd(13)}unknown (${reason})`];
}

function render(report: StatusReport): string {
  const lines = [
    `UPS "${report.ups}" at ${report.endpoint}${
      report.mfr || report.model
        ? ` (${[report.mfr, report.model].filter(Boolean).join(" ")})`
        : ""
    }`,
    `  status       ${report.status ?? "unknown"}${
      report.words.length ? ` (${report.words.join(", ")})` : ""
    }`,
    `  charge       ${
      report.charge === null
        ? `unknown (${report.unknown["charge"]})`
        : `${fmt(report.charge)}%`
    }`,
    `  runtime      ${
      report.runtime_s === null
        ? `unknown (${report.unknown["runtime"]})`
        : minutes(report.runtime_s)
    }`,
    ...optionalLine(report, "battery_voltage", "battery", "V"),
    `  input        ${
      report.input_voltage === null
        ? `unknown (${report.unknown["input_voltage"]})`
        : `${fmt(report.input_voltage)} V`
    }${
      report.nominal_voltage === null
        ? ""
        : ` (nominal ${fmt(report.nominal_voltage)} V)`
    }`,
    ...optionalLine(report, "input_frequency", "frequency", "Hz"),
    `  load         ${
      report.load === null
        ? `unknown (${report.unknown["load"]})`
        : `${fmt(report.load)}%`
    }`,
    ...optionalLine(report, "temperature", "temperature", "°C"),
    fleetLine(report.fleet),
  ];
  if (report.on_battery_s !== null) {
    lines.push(`  on battery   ${minutes(report.on_battery_s)}`);
  }
  if (report.depletion_rate_per_min !== null) {
    lines.push(`  depletion    ${fmt(report.depletion_rate_per_min, 2)} %/min`);
  }
  if (report.budget !== null) lines.push(...budgetLines(report.budget));
  lines.push(
    report.daemon === null
      ? "  daemon       not running"
      : `  daemon       running (pid ${report.daemon})${timingText(report)}`,
    report.trigger
      ? `  trigger      ${report.trigger.trigger}: ${report.trigger.reason}`
      : "  trigger      none: no shutdown trigger matches this reading",
    ...readinessLines(
      report.readiness,
      systemClock.now(),
      report.daemon === null
        ? "no daemon is running"
        : "the daemon has not checked yet",
    ),
  );
  return lines.join("\n") + "\n";
}

/** The daemon's own timings, when it wrote them: ", poll 0.4 ms …". */
function timingText(report: StatusReport): string {
  const t = report.timing;
  return t === null
    ? ""
    : `, poll ${fmt(t.poll_ms.median, 2)} ms median (max ${
      fmt(t.poll_ms.max, 2)
    } ms), reply to decision ${fmt(t.decide_ms.median, 3)} ms${
      t.jitter_ms === null
        ? ""
        : `, poll start ${fmt(t.jitter_ms.median, 2)} ms late median (max ${
          fmt(t.jitter_ms.max, 2)
        } ms)`
    }`;
}

/**
 * What the live daemon wrote into its state file (readiness, timings, the
 * fit at full charge), parsed once; null without one.
 */
async function daemonStateFile(config: Config): Promise<unknown> {
  const text = await readTextIfExists(config.paths.state, READ_LIMITS.state)
    .catch(() => null);
  try {
    return text === null ? null : JSON.parse(text);
  } catch {
    // A state file being replaced is read again at the next status.
    return null;
  }
}

/**
 * Reads one UPS once and reports it.
 *
 * @throws {NutError} And connection errors: when it cannot be read.
 */
async function upsReport(
  loaded: LoadedConfig,
  context: CommandContext,
  daemon: number | null,
): Promise<StatusReport> {
  const { config } = loaded;
  const address = parseUpsAddress(config.ups.name);
  if (!address.ok) throw new TypeError(address.message);
  // One attempt: status reports the first failure instead of backing off.
  await using client = clientForConfig(loaded, {
    clock: systemClock,
    logger: context.logger,
    login: false,
    reconnect: { initialDelayMs: 0, maxDelayMs: 0, factor: 1, jitter: 0 },
  });
  const vars = await client.poll(STATUS_VARIABLES);
  const fleet = await fleetStatus(config, client);
  const reading = readReading(vars, systemClock.monotonic());
  const { decision, snap } = await evaluate(config, reading, daemon);
  const stateFile = daemon === null ? null : await daemonStateFile(config);
  return statusReport({
    address: address.value,
    mfr: vars.get("ups.mfr") ?? null,
    model: vars.get("ups.model") ?? null,
    reading,
    snap,
    budget: budgetNow(snap.budget ?? null, stateFile),
    trigger: decision,
    daemon,
    readiness: readinessOf(stateFile),
    timing: timingOf(stateFile),
    fleet,
  });
}

/** Every UPS of a config with several, and what their supplies say. */
async function severalReports(
  loaded: LoadedConfig,
  context: CommandContext,
  daemon: number | null,
): Promise<SeveralReport> {
  const upses: SeveralReport["upses"] = [];
  for (const index of loaded.config.upses.keys()) {
    const view = loadedForUps(loaded, index);
    upses.push(
      await upsReport(view, context, daemon).catch((error: unknown) => ({
        name: view.config.ups.name,
        error: errorMessage(error),
      })),
    );
  }
  return { upses, supplies: suppliesOf(loaded.config, upses) };
}

/** The `status` subcommand. */
export const statusCommand: Command = {
  summary: "read the UPS once and show what the triggers say",
  usage:
    `Usage: ups-monitor status [--config PATH] [--json] [--log-format text|json]

Connects to upsd, reads the UPS once and prints its status in words, charge,
runtime, input voltage, load and model (battery voltage, input frequency and
temperature too when the UPS reports them), and which shutdown trigger (if
any) this reading would fire if it lasted. With a daemon running, time on battery
and the depletion rate come from its files. The budget: time left on battery
(the pessimistic of the UPS's runtime and the projected discharge down to
triggers.low_battery), the time the shutdown plan needs (learned step
durations, else worst cases, see ups-monitor plan), the margin, the trigger
nearest to firing, and whether the runtime at full charge covers the plan. Exit 1 when the server or the UPS
cannot be read.

Options:
  --config PATH   config file (default ${DEFAULT_CONFIG_PATH})
  --json          print one JSON object instead of text
  -h, --help      show this help`,
  async run(context) {
    const { values } = parseCommandArgs(context.args, {
      config: { type: "string" },
      json: { type: "boolean" },
    });
    const loaded = await loadForCommand(context, values["config"]);
    const { config } = loaded;
    // One reading: the client's reconnect warnings would only repeat the final error.
    context.logger.configure({ level: "error" });
    const daemon = await livePid(
      config.paths.pid,
      createRunner({ logger: SILENT_LOGGER, dryRun: true }),
    ).catch(() => null);
    if (config.upses.length === 1) {
      const report = await upsReport(loaded, context, daemon);
      context.stdout.write(
        values["json"]
          ? JSON.stringify(report, null, 2) + "\n"
          : render(report),
      );
      return 0;
    }
    const several = await severalReports(loaded, context, daemon);
    context.stdout.write(
      values["json"]
        ? JSON.stringify(several, null, 2) + "\n"
        : renderSeveral(several, render),
    );
    return several.upses.every((entry) => "ups" in entry) ? 0 : 1;
  },
};
