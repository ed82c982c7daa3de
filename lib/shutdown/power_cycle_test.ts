import assert from "node:assert/strict";
import { configSchema } from "../config/schema.ts";
import { powerCycleCheck } from "../readiness/power_cycle.ts";
import { createRunner } from "../system/exec.ts";
import { systemClock } from "../system/clock.ts";
import { MemoryLogger } from "../testing/memory_logger.ts";
import { ScriptedServer } from "../testing/scripted_server.ts";
import {
  DEFAULT_DEV,
  IGNORE_WITHOUT_UPSD,
  startUpsd,
  type Upsd,
  USERS,
} from "../testing/upsd.ts";
import { buildPlan } from "./plan.ts";
import { probePowerCycle } from "./power_cycle_nut.ts";
import type { StepContext } from "./step.ts";
import { powerCycleStep } from "./steps/power_cycle.ts";

/** A user with instant commands only: no SET, no upsmon. */
const CYCLER = { name: "cycler", password: "cyclerpass" };
const CYCLER_CONF =
  `[${CYCLER.name}]\n  password = ${CYCLER.password}\n  instcmds = load.off\n`;

/** dummy-ups with the timer (idle at -1) and a delay of its own. */
const TIMER_DEV = `${DEFAULT_DEV}ups.timer.shutdown: -1\n`;
const DELAY_DEV = `${DEFAULT_DEV}ups.delay.shutdown: 20\n`;

function cycleConfig(
  port: number,
  cycle: Record<string, unknown>,
  more: Record<string, unknown> = {},
) {
  return configSchema.parse({
    ups: {
      name: `dev1@127.0.0.1:${port}`,
      tls: "off",
      "connect_timeout": "2s",
      "reply_timeout": "2s",
    },
    shutdown: {
      "power_cycle": {
        enabled: true,
        command: "load.off",
        username: USERS.admin.name,
        password: USERS.admin.password,
        ...cycle,
      },
      ...more,
    },
  });
}

/** Runs the power cycle step of `config` as the sequence would. */
async function runCycle(
  config: ReturnType<typeof cycleConfig>,
  options: { dryRun?: boolean } = {},
) {
  const logger = new MemoryLogger();
  const actions: string[] = [];
  const context: StepContext = {
    config,
    runner: createRunner({ logger, dryRun: options.dryRun ?? false }),
    logger,
    clock: systemClock,
    action: (message) => actions.push(message),
  };
  const step = buildPlan(config).steps.find((s) => s.id === "power_cycle");
  assert.ok(step?.enabled);
  const started = performance.now();
  const outcome = await powerCycleStep(context, step);
  return { outcome, actions, logger, ms: performance.now() - started };
}

const upsdTest = (name: string, fn: () => Promise<void>) =>
  Deno.test({ name, ignore: IGNORE_WITHOUT_UPSD, timeout: 30_000, fn });

upsdTest(
  "powerCycleStep() sends the command and calls a UPS without ups.timer.shutdown unverifiable",
  async () => {
    await using upsd = await startUpsd();
    const { outcome, actions, logger } = await runCycle(
      cycleConfig(upsd.port, {}),
    );
    assert.deepEqual(outcome, {
      status: "done",
      summary:
        'upsd accepted "load.off" for UPS "dev1", but whether the UPS cuts its output is unverifiable: it has no ups.timer.shutdown',
      details: [],
    });
    assert.deepEqual(actions, ['Sending "INSTCMD dev1 load.off" to upsd']);
    assert.deepEqual(
      logger.events("shutdown.power_cycle").map((e) => [e.level, e.fields]),
      [["info", { ups: "dev1", command: "load.off", timer: "absent" }]],
    );
  },
);

upsdTest(
  "powerCycleStep() sees ups.timer.shutdown count down and reports when the UPS cuts its output",
  async () => {
    await using upsd = await startUpsd({ upses: { dev1: TIMER_DEV } });
    // dummy-ups does nothing on load.off: the test side counts the timer down.
    await using admin = upsd.adminClient();
    const stop = new AbortController();
    const ticking = (async () => {
      for (let left = 60; !stop.signal.aborted; left--) {
        await admin.setVar("ups.timer.shutdown", String(left));
        await systemClock.sleep(1000, stop.signal).catch(() => {});
      }
    })();
    try {
      const { outcome, logger, ms } = await runCycle(
        cycleConfig(upsd.port, {}),
      );
      assert.equal(outcome.status, "done", outcome.summary);
      assert.match(
        outcome.summary,
        /^UPS "dev1" accepted "load\.off": ups\.timer\.shutdown counts down, it cuts its output in \d+ s$/,
      );
      assert.ok(ms < 5000, `decided after ${ms} ms, before the watch ended`);
      assert.equal(
        logger.events("shutdown.power_cycle")[0]?.fields["timer"],
        "counting",
      );
    } finally {
      stop.abort();
      await ticking;
    }
  },
);

upsdTest(
  "powerCycleStep() fails with a warning when ups.timer.shutdown does not count down",
  async () => {
    await using upsd = await startUpsd({ upses: { dev1: TIMER_DEV } });
    const { outcome, logger, ms } = await runCycle(cycleConfig(upsd.port, {}));
    assert.deepEqual(outcome, {
      status: "failed",
      summary:
        `upsd accepted "load.off" for UPS "dev1", but ups.timer.shutdown did not count down within 5s (it reads "-1"): the UPS may ignore the command and this host may stay off when mains returns; check LIST CMD and the driver's documentation (some UPSes honour only shutdown.reboot)`,
      details: [],
    });
    assert.ok(ms >= 5000 && ms < 8000, `watched for ${ms} ms`);
    assert.deepEqual(
      logger.events("shutdown.power_cycle").map((e) => e.level),
      ["warning"],
    );
  },
);

upsdTest(
  "powerCycleStep() names the commands the UPS offers when it does not support shutdown.return",
  async () => {
    await using upsd = await startUpsd();
    const { outcome } = await runCycle(
      cycleConfig(upsd.port, { command: "shutdown.return" }),
    );
    assert.deepEqual(outcome, {
      status: "failed",
      summary:
        'Cannot run "shutdown.return" on UPS "dev1": the UPS does not support the command "shutdown.return": set shutdown.power_cycle.command to a command the UPS offers (it offers "load.off")',
      details: [],
    });
  },
);

upsdTest(
  "powerCycleStep() names upsd.users instcmds when upsd denies the command",
  async () => {
    await using upsd = await startUpsd();
    const { outcome, logger } = await runCycle(
      cycleConfig(upsd.port, { password: "wrong-password" }),
    );
    assert.deepEqual(outcome, {
      status: "failed",
      summary:
        'Cannot run "load.off" on UPS "dev1": access denied: check shutdown.power_cycle.username and password, and give "admin" "instcmds = load.off" in upsd.users',
      details: [],
    });
    assert.ok(
      !JSON.stringify(logger.entries).includes("wrong-password"),
      "the password is never logged",
    );
  },
);

upsdTest(
  "powerCycleStep() sets ups.delay.shutdown when it differs, and sends nothing when it cannot",
  async () => {
    await using upsd = await startUpsd({
      upses: { dev1: DELAY_DEV },
      usersConf: CYCLER_CONF,
    });
    const denied = await runCycle(cycleConfig(upsd.port, {
      username: CYCLER.name,
      password: CYCLER.password,
    }));
    assert.deepEqual(denied.outcome, {
      status: "failed",
      summary:
        'Cannot set "ups.delay.shutdown" on UPS "dev1": access denied: the command was not sent, as the UPS would cut its output after its own "20" s; give "cycler" "actions = SET" in upsd.users (and check shutdown.power_cycle.password)',
      details: [],
    });
    assert.deepEqual(denied.actions, [
      'Setting ups.delay.shutdown from "20" to "120"',
    ]);

    const { outcome, actions } = await runCycle(cycleConfig(upsd.port, {}));
    assert.equal(outcome.status, "done", outcome.summary);
    assert.deepEqual(actions, [
      'Setting ups.delay.shutdown from "20" to "120"',
      'Sending "INSTCMD dev1 load.off" to upsd',
    ]);
    await using admin = upsd.adminClient();
    assert.equal(await admin.getVar("ups.delay.shutdown"), "120");
  },
);

Deno.test("powerCycleStep() in dry-run only logs what it would send", async () => {
  // Nothing listens on the port: a dry-run connects to nothing.
  const port = (() => {
    using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    return listener.addr.port;
  })();
  const { outcome, actions } = await runCycle(cycleConfig(port, {}), {
    dryRun: true,
  });
  assert.deepEqual(outcome, {
    status: "done",
    summary: "Power cycle logged (dry-run)",
    details: [],
  });
  assert.deepEqual(actions, [
    'Would set ups.delay.shutdown to "120" when the UPS has it and it differs',
    `Would send "INSTCMD dev1 load.off" to upsd at "127.0.0.1:${port}"`,
  ]);
});

Deno.test({
  name:
    "powerCycleStep() gives up after its timeout on a upsd that never answers",
  timeout: 15_000,
}, async () => {
  await using server = new ScriptedServer(async (conn) => {
    while (await conn.readLine() !== null) { /* never answers */ }
  });
  const config = cycleConfig(server.port, { timeout: "1s" }, {
    local: { timeout: "5s" },
  });
  const { outcome, ms } = await runCycle({
    ...config,
    ups: { ...config.ups, "reply_timeout": 10_000 },
  });
  assert.equal(outcome.status, "timeout", outcome.summary);
  assert.equal(
    outcome.summary,
    `The power cycle did not finish within 1s: Cannot send the username: the connection to upsd at "127.0.0.1:${server.port}" failed (operation canceled)`,
  );
  assert.ok(ms < 3000, `ended after ${ms} ms`);
});

/** `check --remote`'s power cycle lines for a config. */
async function probe(upsd: Upsd, cycle: Record<string, unknown>) {
  // A short local shutdown, so a delay of the UPS's own 20 s is valid.
  const config = cycleConfig(upsd.port, cycle, { local: { timeout: "5s" } });
  const lines = await probePowerCycle({
    path: "c.yaml",
    config,
    text: "",
    nutPassword: null,
    powerCyclePassword: config.shutdown.power_cycle.password,
    caCerts: null,
    upsSecrets: [{ nutPassword: null, caCerts: null }],
  }, { clock: systemClock });
  return lines.map((l) => `${l.subject}: ${l.outcome}: ${l.message}`);
}

upsdTest(
  "probePowerCycle() proves the command is offered and what it can about the user, without acting",
  async () => {
    await using upsd = await startUpsd({
      upses: { dev1: DELAY_DEV },
      usersConf: CYCLER_CONF,
    });
    assert.deepEqual(await probe(upsd, { delay: "20s" }), [
      'command "load.off": ok: UPS "dev1" offers the command "load.off" (LIST CMD)',
      'user "admin": ok: upsd accepts the credentials and "actions = SET" (a SET of a variable no UPS has was refused for the variable, not for the user); its instcmds rights show only when the command runs',
    ]);
    // Without SET rights nothing short of the command proves the password.
    assert.deepEqual(
      (await probe(upsd, {
        delay: "20s",
        username: CYCLER.name,
        password: "wrong",
      }))[1],
      'user "cycler": unproven: credentials not provable without acting: upsd checks a user without "actions = SET" only when it runs the command (a SET was refused, as it is for such a user whatever the password)',
    );
    // The step must change the UPS's delay: a refused SET is a failure.
    assert.deepEqual(
      (await probe(upsd, {
        username: CYCLER.name,
        password: CYCLER.password,
      }))[1],
      'user "cycler": FAILED: upsd refused the user: the password is wrong or the user lacks "actions = SET", which the step needs to change ups.delay.shutdown from "20" to "120"; fix shutdown.power_cycle.username and password, or add "actions = SET" for the user in upsd.users',
    );
    assert.deepEqual(
      (await probe(upsd, { command: "shutdown.return" }))[0],
      'command "shutdown.return": FAILED: UPS "dev1" does not offer the command "shutdown.return" (it offers "load.off"): set shutdown.power_cycle.command to one it offers, or set shutdown.power_cycle.enabled to false',
    );
  },
);

upsdTest(
  "powerCycleCheck() is ready while the UPS offers the command",
  async () => {
    await using upsd = await startUpsd();
    const run = (command: string) =>
      powerCycleCheck(cycleConfig(upsd.port, { command })).run({
        config: cycleConfig(upsd.port, { command }),
        runner: createRunner({ logger: new MemoryLogger(), dryRun: false }),
        logger: new MemoryLogger(),
        fetch,
        clock: systemClock,
        timeoutMs: 5000,
      });
    assert.deepEqual(await run("load.off"), {
      ready: true,
      detail: 'UPS "dev1" offers the command "load.off" (LIST CMD)',
    });
    assert.deepEqual(await run("shutdown.return"), {
      ready: false,
      detail:
        'UPS "dev1" does not offer the command "shutdown.return" (it offers "load.off"): set shutdown.power_cycle.command to one it offers, or set shutdown.power_cycle.enabled to false',
    });
  },
);
