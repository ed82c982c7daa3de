import assert from "node:assert/strict";
import { configSchema } from "../config/schema.ts";
import { LoginKeeper } from "../daemon/login_keeper.ts";
import { NutClient } from "../nut/client.ts";
import { createRunner } from "../system/exec.ts";
import { systemClock } from "../system/clock.ts";
import { spawnUpsmon, writeUpsmonConfig } from "../testing/bench_upsmon.ts";
import { MemoryLogger } from "../testing/memory_logger.ts";
import { makeTempDir } from "../testing/temp_dir.ts";
import {
  IGNORE_WITHOUT_UPSD,
  startUpsd,
  type Upsd,
  USERS,
} from "../testing/upsd.ts";
import { fleetSummary, otherClients } from "./kinds/fleet.ts";
import { buildPlan, formatPlan } from "./plan.ts";
import type { FleetLink, StepContext } from "./step.ts";
import { fleetStep } from "./steps/fleet.ts";

function fleetConfig(port: number, ups: Record<string, unknown> = {}) {
  return configSchema.parse({
    ups: {
      name: `dev1@127.0.0.1:${port}`,
      tls: "off",
      username: USERS.admin.name,
      password: USERS.admin.password,
      role: "primary",
      "reply_timeout": "2s",
      ...ups,
    },
  });
}

Deno.test("a primary's plan starts with FSD and the wait, its point of no return", () => {
  const plan = buildPlan(fleetConfig(3493, { hostsync: "10s" }));
  const first = plan.steps[0]!;
  assert.equal(first.kind, "fleet");
  assert.equal(first.title, "FSD to the other hosts");
  assert.equal(first.worstCaseMs, 10_000 + 4 * 2000);
  assert.equal(plan.pointOfNoReturn, 0);
  assert.match(
    formatPlan(plan),
    /FSD dev1 at upsd\n.*wait up to 10s \(ups\.hostsync\) for the other clients of dev1 to log out/,
  );
  const secondary = buildPlan(fleetConfig(3493, { role: "secondary" }));
  assert.ok(secondary.steps.every((step) => step.kind !== "fleet"));
});

Deno.test("a primary without NUT credentials is a config error", () => {
  const result = configSchema.safeParse({
    ups: { name: "ups", role: "primary" },
  });
  assert.equal(result.success, false);
  assert.deepEqual(result.error?.issues.map((i) => [i.path, i.message]), [[
    ["ups", "role"],
    'a primary logs in to set FSD: set username and password (or password_file) of a user with "upsmon primary" in upsd.users',
  ]]);
});

Deno.test("otherClients() leaves this host's own login out", () => {
  const cases: [string[], string | null, number, string[], boolean][] = [
    [["10.0.0.1", "10.0.0.2"], "10.0.0.1", 1, ["10.0.0.2"], false],
    [["10.0.0.1", "10.0.0.1"], "10.0.0.1", 1, ["10.0.0.1"], false],
    [["10.0.0.2"], null, 1, ["10.0.0.2"], false],
    [
      ["10.0.0.9", "10.0.0.2"],
      "192.168.1.1",
      1,
      ["10.0.0.9", "10.0.0.2"],
      true,
    ],
    [["10.0.0.1"], "10.0.0.1", 0, [], false],
    [[], "10.0.0.1", 0, [], false],
  ];
  for (const [listed, own, count, names, includesOwn] of cases) {
    assert.deepEqual(otherClients(listed, own), { count, names, includesOwn });
  }
  assert.equal(
    fleetSummary({
      ups: "rig",
      before: 0,
      left: { count: 0, names: [], includesOwn: false },
      waitedMs: 0,
      hostsyncMs: 15_000,
    }),
    'No other client was logged in to "rig"',
  );
});

/** An upsmon secondary recording its notifications and SHUTDOWNCMD in `dir/record`. */
async function stockSecondary(
  dir: string,
  upsd: Upsd,
  shutdown: string,
  privileged = false,
) {
  const record = `${dir}/record`;
  const notify = `${dir}/notify.sh`;
  const down = `${dir}/shutdown.sh`;
  await Deno.writeTextFile(
    notify,
    `#!/bin/sh\necho "notify $NOTIFYTYPE" >> ${record}\n`,
    { mode: 0o755 },
  );
  await Deno.writeTextFile(
    down,
    `#!/bin/sh\necho shutdowncmd >> ${record}\n${shutdown}\n`,
    { mode: 0o755 },
  );
  await writeUpsmonConfig(dir, upsd, {
    shutdownCmd: down,
    notifyCmd: notify,
    // NOTIFYCMD runs in a child of upsmon's: FINALDELAY keeps its records
    // before the SHUTDOWNCMD's.
    finalDelay: 1,
  });
  return { upsmon: spawnUpsmon(dir, false, privileged), record };
}

/** The primary's logged-in client and its fleet link, as the daemon builds them. */
async function primaryLink(upsd: Upsd) {
  const client = upsd.adminClient();
  await client.login();
  await client.primary();
  const link: FleetLink = {
    ups: "dev1",
    hostsyncMs: 0,
    user: USERS.admin.name,
    fsd: () => client.fsd(),
    listClients: () => client.listClients(),
    ownAddress: () => client.localAddress ?? "",
  };
  return { client, link };
}

async function waitForClients(client: NutClient, count: number) {
  for (let i = 0; i < 200; i++) {
    if ((await client.listClients()).length === count) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.fail(`upsd never listed ${count} clients`);
}

async function runFleet(
  config: ReturnType<typeof fleetConfig>,
  link: FleetLink,
) {
  const logger = new MemoryLogger();
  const actions: string[] = [];
  const context: StepContext = {
    config,
    runner: createRunner({ logger, dryRun: false }),
    logger,
    clock: systemClock,
    action: (message) => actions.push(message),
    fleet: [{ ...link, hostsyncMs: config.ups.hostsync }],
  };
  const step = buildPlan(config).steps[0]!;
  const started = performance.now();
  const outcome = await fleetStep(context, step);
  return { outcome, actions, logger, ms: performance.now() - started };
}

const upsdTest = (name: string, fn: () => Promise<void>) =>
  Deno.test({ name, ignore: IGNORE_WITHOUT_UPSD, timeout: 60_000, fn });

upsdTest(
  "fleetStep() sets FSD; a stock upsmon secondary shuts down and logs out before the primary goes on",
  async () => {
    await using upsd = await startUpsd({ maxAge: 5 });
    {
      await using temp = await makeTempDir();
      const dir = temp.path;
      const secondary = await stockSecondary(dir, upsd, "exit 0");
      await using _upsmon = secondary.upsmon;
      const { client, link } = await primaryLink(upsd);
      await using _client = client;
      await waitForClients(client, 2);
      const { outcome, actions, ms } = await runFleet(
        fleetConfig(upsd.port, { hostsync: "15s" }),
        link,
      );
      assert.equal(outcome.status, "done", outcome.summary);
      assert.match(
        outcome.summary,
        /^1 other client logged out of "dev1" in \d+\.\d s after FSD$/,
      );
      assert.deepEqual(actions, [
        'Setting FSD on "dev1" so that the other clients shut down',
      ]);
      assert.ok(ms < 15_000, `waited ${ms} ms`);
      const record = await Deno.readTextFile(secondary.record);
      assert.match(record, /notify FSD\n(.*\n)*shutdowncmd\n/);
      assert.deepEqual(await client.listClients(), ["127.0.0.1"]);
      assert.match(await client.getVar("ups.status"), /^FSD /);
    }
  },
);

upsdTest(
  "fleetStep() names a secondary still logged in after hostsync and goes on",
  async () => {
    await using upsd = await startUpsd({ maxAge: 5 });
    {
      await using temp = await makeTempDir();
      const dir = temp.path;
      // One process (-p) whose SHUTDOWNCMD never returns: it keeps its login.
      const secondary = await stockSecondary(
        dir,
        upsd,
        "exec sleep 600",
        true,
      );
      await using _upsmon = secondary.upsmon;
      const { client, link } = await primaryLink(upsd);
      await using _client = client;
      await waitForClients(client, 2);
      const { outcome, logger, ms } = await runFleet(
        fleetConfig(upsd.port, { hostsync: "3s" }),
        link,
      );
      assert.equal(outcome.status, "timeout");
      assert.equal(
        outcome.summary,
        'hostsync "3s" passed with 1 other client still logged in to "dev1": 127.0.0.1',
      );
      assert.deepEqual(outcome.details, ["127.0.0.1"]);
      assert.ok(ms >= 3000 && ms < 5000, `waited ${ms} ms`);
      assert.equal(logger.events("fleet.hostsync_passed").length, 1);
      assert.match(await Deno.readTextFile(secondary.record), /shutdowncmd/);
    }
  },
);

upsdTest(
  "a primary's login as a user without upsmon primary is a readiness failure naming upsd.users",
  async () => {
    await using upsd = await startUpsd({ maxAge: 5 });
    const config = fleetConfig(upsd.port, {
      username: USERS.mon.name,
      password: USERS.mon.password,
    });
    const logger = new MemoryLogger();
    await using client = new NutClient({
      address: upsd.address(),
      username: USERS.mon.name,
      password: USERS.mon.password,
      clock: systemClock,
      logger,
    });
    const told: string[] = [];
    const keeper = new LoginKeeper(client, config, logger, (_n, _t, m) => {
      told.push(m);
    });
    await keeper.start();
    const check = keeper.readiness();
    const detail =
      'Cannot claim the primary role for UPS "dev1": access denied; upsd.users needs [mon] with its password and "upsmon primary" (a primary sets FSD for the other hosts)';
    assert.deepEqual(check, { ready: false, detail });
    assert.deepEqual(told, [detail]);
    // LOGIN itself was accepted: this host's login is still its own, not
    // another client to wait for.
    assert.equal(keeper.ownAddress(), "127.0.0.1");
  },
);
