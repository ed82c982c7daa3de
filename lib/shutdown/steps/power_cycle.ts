/**
 * The UPS power cycle step: over its own connection to upsd, as the admin
 * user of `shutdown.power_cycle`, set `ups.delay.shutdown` when the UPS has
 * it and it differs, send the instant command, then watch
 * `ups.timer.shutdown` count down. Bounded by the step's timeout; in
 * dry-run it only logs what it would send.
 *
 * @module
 */
import { errorMessage } from "../../errors.ts";
import { formatDuration } from "../../config/duration.ts";
import { formatEndpoint, parseUpsAddress } from "../../config/ups_address.ts";
import type { NutClient } from "../../nut/client.ts";
import { NutError } from "../../nut/errors.ts";
import { deadline } from "../../system/clock.ts";
import {
  APPLY_WAIT_MS,
  delaySeconds,
  SHUTDOWN_DELAY,
  SHUTDOWN_TIMER,
  TIMER_POLL_MS,
  TIMER_WATCH_MS,
  type TimerVerdict,
  timerVerdict,
} from "../kinds/power_cycle.ts";
import type { PlannedStep } from "../plan.ts";
import {
  cycleClient,
  offeredText,
  readCycleSecrets,
  upsOf,
} from "../power_cycle_nut.ts";
import type { StepContext, StepOutcome } from "../step.ts";

/** What the step's phases share. */
interface Cycle {
  context: StepContext;
  client: NutClient;
  ups: string;
  signal: AbortSignal;
}

/**
 * Runs the power cycle.
 *
 * @param context Collaborators; `config.shutdown.power_cycle` is used.
 * @param _step The planned step.
 * @returns Done when the UPS counts down, or when it has no timer to tell
 *   (said in the summary); failed when it refused, did not count, or the
 *   delay could not be set (then the command is not sent); timeout past
 *   `shutdown.power_cycle.timeout`.
 */
export async function powerCycleStep(
  context: StepContext,
  _step: PlannedStep,
): Promise<StepOutcome> {
  const { config } = context;
  const cycle = config.shutdown.power_cycle;
  const ups = upsOf(config);
  const address = parseUpsAddress(config.ups.name);
  const endpoint = address.ok ? formatEndpoint(address.value) : "";
  const seconds = delaySeconds(cycle.delay);
  if (context.runner.dryRun) {
    context.action(
      `Would set ${SHUTDOWN_DELAY} to "${seconds}" when the UPS has it and it differs`,
      { ups },
    );
    context.action(
      `Would send "INSTCMD ${ups} ${cycle.command}" to upsd at "${endpoint}"`,
      { ups, command: cycle.command },
    );
    return {
      status: "done",
      summary: "Power cycle logged (dry-run)",
      details: [],
    };
  }
  using bound = deadline(context.clock, cycle.timeout);
  try {
    const secrets = await readCycleSecrets(config, { admin: true });
    await using client = cycleClient(config, secrets, context);
    // Closing the client ends a request that is waiting for upsd.
    const onTimeout = () => void client.close();
    bound.signal.addEventListener("abort", onTimeout, { once: true });
    try {
      return await runCycle({ context, client, ups, signal: bound.signal });
    } finally {
      bound.signal.removeEventListener("abort", onTimeout);
    }
  } catch (error) {
    if (bound.signal.aborted) {
      return {
        status: "timeout",
        summary: `The power cycle did not finish within ${
          formatDuration(cycle.timeout)
        }: ${errorMessage(error)}`,
        details: [],
      };
    }
    return { status: "failed", summary: errorMessage(error), details: [] };
  }
}

/** The delay, the command, the verification. */
async function runCycle(cycle: Cycle): Promise<StepOutcome> {
  const { context, client, ups } = cycle;
  const { command, username } = context.config.shutdown.power_cycle;
  const delayProblem = await setDelay(cycle);
  if (delayProblem !== null) {
    return { status: "failed", summary: delayProblem, details: [] };
  }
  context.action(`Sending "INSTCMD ${ups} ${command}" to upsd`, {
    ups,
    command,
  });
  try {
    await client.instcmd(command);
  } catch (error) {
    if (!(error instanceof NutError)) throw error;
    return {
      status: "failed",
      summary: await commandFix(client, error, { command, user: username }),
      details: [],
    };
  }
  const verdict = await watchTimer(cycle);
  return outcomeOf(cycle, verdict);
}

/**
 * Sets `ups.delay.shutdown` to the configured delay when the UPS has it and
 * it differs, and waits until it shows. On failure the command must not be
 * sent: the UPS would cut its output after its own delay, maybe before the
 * host has halted.
 *
 * @returns Why the step stops, or null to go on.
 */
async function setDelay(cycle: Cycle): Promise<string | null> {
  const { context, client, ups, signal } = cycle;
  const seconds = String(
    delaySeconds(context.config.shutdown.power_cycle.delay),
  );
  const current = await readVariable(client, SHUTDOWN_DELAY);
  if (current === null || Number(current) === Number(seconds)) return null;
  const notSent =
    `the command was not sent, as the UPS would cut its output after its own "${current}" s`;
  context.action(
    `Setting ${SHUTDOWN_DELAY} from "${current}" to "${seconds}"`,
    { ups },
  );
  try {
    await client.setVar(SHUTDOWN_DELAY, seconds);
  } catch (error) {
    if (!(error instanceof NutError)) throw error;
    const user = context.config.shutdown.power_cycle.username ?? "";
    const fix = error.code === "ACCESS-DENIED"
      ? `; give "${user}" "actions = SET" in upsd.users (and check shutdown.power_cycle.password)`
      : "";
    return `${error.message}: ${notSent}${fix}`;
  }
  const until = context.clock.monotonic() + APPLY_WAIT_MS;
  let shown = current;
  while (context.clock.monotonic() < until) {
    await context.clock.sleep(250, signal);
    shown = await readVariable(client, SHUTDOWN_DELAY) ?? shown;
    if (Number(shown) === Number(seconds)) return null;
  }
  return `${SHUTDOWN_DELAY} still reads "${shown}" ${
    formatDuration(APPLY_WAIT_MS)
  } after it was set to "${seconds}": ${notSent}`;
}

/** A variable's value; null when the UPS does not have it. */
async function readVariable(
  client: NutClient,
  name: string,
): Promise<string | null> {
  try {
    return await client.getVar(name);
  } catch (error) {
    if (error instanceof NutError && error.code === "VAR-NOT-SUPPORTED") {
      return null;
    }
    throw error;
  }
}

/** The refusal of the command, with the fix. */
async function commandFix(
  client: NutClient,
  error: NutError,
  about: { command: string; user: string | null },
): Promise<string> {
  if (error.code === "CMD-NOT-SUPPORTED") {
    const offered = await client.listCmd().then(
      offeredText,
      () => "LIST CMD shows what it offers",
    );
    return `${error.message}: set shutdown.power_cycle.command to a command the UPS offers (${offered})`;
  }
  if (error.code === "ACCESS-DENIED") {
    return `${error.message}: check shutdown.power_cycle.username and password, and give "${about.user}" "instcmds = ${about.command}" in upsd.users`;
  }
  return error.message;
}

/**
 * Reads `ups.timer.shutdown` every second for a few seconds, until it
 * counts down. A read that fails otherwise (stale data, a dropped link) is
 * left out; the next one may work.
 */
async function watchTimer(cycle: Cycle): Promise<TimerVerdict> {
  const { context, client, signal } = cycle;
  const { clock, logger } = context;
  const readings: (string | null)[] = [];
  const start = clock.monotonic();
  for (;;) {
    try {
      readings.push(await readVariable(client, SHUTDOWN_TIMER));
    } catch (error) {
      if (signal.aborted) throw error;
      logger.debug("shutdown.power_cycle_read", errorMessage(error), {
        variable: SHUTDOWN_TIMER,
      });
    }
    const verdict = timerVerdict(readings);
    if (verdict.kind === "counting") return verdict;
    if (clock.monotonic() - start >= TIMER_WATCH_MS) return verdict;
    await clock.sleep(TIMER_POLL_MS, signal);
  }
}

/** The step's outcome for what the timer showed, logged as its own event. */
function outcomeOf(cycle: Cycle, verdict: TimerVerdict): StepOutcome {
  const { context, ups } = cycle;
  const { command } = context.config.shutdown.power_cycle;
  const fields = { ups, command, timer: verdict.kind };
  if (verdict.kind === "counting") {
    const summary =
      `UPS "${ups}" accepted "${command}": ${SHUTDOWN_TIMER} counts down, it cuts its output in ${verdict.seconds} s${
        command === "shutdown.return"
          ? " and restores it when mains returns"
          : ""
      }`;
    context.logger.info("shutdown.power_cycle", summary, fields);
    return { status: "done", summary, details: [] };
  }
  if (verdict.kind === "absent") {
    const summary =
      `upsd accepted "${command}" for UPS "${ups}", but whether the UPS cuts its output is unverifiable: it has no ${SHUTDOWN_TIMER}`;
    context.logger.info("shutdown.power_cycle", summary, fields);
    return { status: "done", summary, details: [] };
  }
  const summary =
    `upsd accepted "${command}" for UPS "${ups}", but ${SHUTDOWN_TIMER} did not count down within ${
      formatDuration(TIMER_WATCH_MS)
    } (it reads "${verdict.value}"): the UPS may ignore the command and this host may stay off when mains returns; check LIST CMD and the driver's documentation (some UPSes honour only shutdown.reboot)`;
  context.logger.warning("shutdown.power_cycle", summary, fields);
  return { status: "failed", summary, details: [] };
}
