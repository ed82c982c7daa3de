import assert from "node:assert/strict";
import { READING_VARIABLES } from "../power/reading.ts";
import { NutClient, type NutClientOptions } from "./client.ts";
import { NutError } from "./protocol.ts";
import { parseVersion } from "../testing/nut_replies.ts";
import { systemClock } from "../system/clock.ts";
import { ConsoleLogger } from "../system/log.ts";
import {
  DEFAULT_DEV,
  IGNORE_WITHOUT_UPSD,
  startUpsd,
  type Upsd,
  USERS,
} from "../testing/upsd.ts";

/** What the daemon polls; DEFAULT_DEV serves all but a few of them. */
const MONITOR_VARS = READING_VARIABLES;

const ignore = IGNORE_WITHOUT_UPSD;
const timeout = 60_000;

function client(
  upsd: Upsd,
  options: Partial<NutClientOptions> = {},
): NutClient {
  return new NutClient({
    address: upsd.address(),
    clock: systemClock,
    logger: new ConsoleLogger({ write: () => {} }),
    reconnect: { initialDelayMs: 100, maxDelayMs: 500, factor: 2, jitter: 0 },
    ...options,
  });
}

/** Retries `fn` every 100 ms until it returns true, for up to `ms`. */
async function until(what: string, ms: number, fn: () => Promise<boolean>) {
  const end = Date.now() + ms;
  for (;;) {
    if (await fn().catch(() => false)) return;
    if (Date.now() > end) assert.fail(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function code(error: unknown): string {
  return error instanceof NutError ? error.code : `not a NutError: ${error}`;
}

Deno.test({
  name: "NutClient reads lists and variables from a real upsd",
  ignore,
  timeout,
  async fn() {
    await using upsd = await startUpsd();
    await using c = client(upsd);
    assert.match(parseVersion(await c.ver()) ?? "", /^2\.8\./);
    assert.equal(await c.netver(), "1.3");
    assert.deepEqual(await c.listUps(), new Map([["dev1", "Test UPS dev1"]]));
    const all = await c.listVar();
    assert.equal(all.get("ups.status"), "OL CHRG");
    assert.equal(all.get("driver.name"), "dummy-ups");
    assert.equal(await c.getVar("battery.charge"), "100");
    assert.deepEqual(await c.listCmd(), ["load.off"]);
    assert.equal((await c.listRw()).get("ups.load"), "23");
    for (const pollStrategy of ["get", "list"] as const) {
      await using p = client(upsd, { pollStrategy });
      const values = await p.poll(MONITOR_VARS);
      assert.equal(
        values.size,
        MONITOR_VARS.filter((name) => `\n${DEFAULT_DEV}`.includes(`\n${name}:`))
          .length,
        "absent variables are left out",
      );
      assert.equal(values.has("ups.alarm"), false);
      assert.equal(values.get("input.voltage"), "230.1");
    }
    // `#` inside quotes gets no reply from upsd (NUT.md 2.2): escaped, it does.
    await assert.rejects(
      c.getVar('ups.st#at"us'),
      (e) => code(e) === "VAR-NOT-SUPPORTED",
    );
    await assert.rejects(c.getVar("ups.status", "nope"), {
      name: "NutError",
      message:
        `Cannot read UPS "nope" at "127.0.0.1:${upsd.port}": the server knows no such UPS (known: "dev1")`,
    });
  },
});

Deno.test({
  name: "NutClient sets, runs commands, logs in and sets FSD as admin",
  ignore,
  timeout,
  async fn() {
    await using upsd = await startUpsd();
    const { name, password } = USERS.admin;
    await using c = client(upsd, { username: name, password });
    await c.setVar("ups.load", "55");
    await until(
      "the new load",
      5000,
      async () => (await c.getVar("ups.load")) === "55",
    );
    await assert.rejects(
      c.setVar("driver.name", "x"),
      (e) => code(e) === "READONLY",
    );
    await assert.rejects(
      c.setVar("no.such", "x"),
      (e) => code(e) === "VAR-NOT-SUPPORTED",
    );
    await c.instcmd("load.off");
    await assert.rejects(c.instcmd("shutdown.return"), {
      name: "NutError",
      message:
        'Cannot run "shutdown.return" on UPS "dev1": the UPS does not support the command "shutdown.return"',
    });
    assert.equal(await c.getNumLogins(), 0);
    await c.login();
    await c.login(); // once per connection: the second is a no-op
    assert.equal(await c.getNumLogins(), 1);
    await c.primary();
    await c.fsd();
    assert.equal(await c.getVar("ups.status"), "FSD OL CHRG");
    await c.logout();
    assert.equal(c.connected, false);
    await until("the logout", 5000, async () => (await c.getNumLogins()) === 0);
  },
});

Deno.test({
  name: "NutClient.login() reports a wrong password and missing rights",
  ignore,
  timeout,
  async fn() {
    await using upsd = await startUpsd();
    await using wrong = client(upsd, { username: "mon", password: "nope" });
    await assert.rejects(wrong.login(), {
      name: "NutError",
      message: 'Cannot log in as "mon": access denied',
    });
    const { name, password } = USERS.mon;
    await using mon = client(upsd, { username: name, password });
    await mon.login();
    await assert.rejects(mon.setVar("ups.load", "1"), {
      name: "NutError",
      message: 'Cannot set "ups.load" on UPS "dev1": access denied',
    });
    await assert.rejects(mon.fsd(), (e) => code(e) === "ACCESS-DENIED");
    await using anonymous = client(upsd);
    await assert.rejects(anonymous.login(), {
      message: 'Cannot log in to UPS "dev1": a user name is required first',
    });
  },
});

Deno.test({
  name:
    "NutClient.poll() tells stale data and a lost driver from a lost connection",
  ignore,
  timeout,
  async fn(t) {
    await using upsd = await startUpsd({ maxAge: 5 });
    await using c = client(upsd);
    assert.equal((await c.poll(MONITOR_VARS)).get("ups.status"), "OL CHRG");
    await t.step("stale while the driver is stopped", async () => {
      upsd.signalDriver("dev1", "SIGSTOP");
      let stale: unknown;
      await until("DATA-STALE", 20_000, async () => {
        stale = await c.poll(MONITOR_VARS).then(() => null, (e) => e);
        return code(stale) === "DATA-STALE";
      });
      assert.equal(
        (stale as Error).message,
        'Cannot read UPS "dev1": data is stale, the driver stopped updating',
      );
      assert.equal(c.connected, true);
      upsd.signalDriver("dev1", "SIGCONT");
      await until(
        "fresh data",
        10_000,
        async () => (await c.poll(MONITOR_VARS)).size > 0,
      );
    });
    await t.step("driver not connected once it is killed", async () => {
      await upsd.killDriver("dev1");
      await until(
        "DRIVER-NOT-CONNECTED",
        5000,
        async () =>
          code(await c.getVar("ups.status").catch((e) => e)) ===
            "DRIVER-NOT-CONNECTED",
      );
      await assert.rejects(c.poll(MONITOR_VARS), {
        message:
          'Cannot read UPS "dev1": the driver is not connected to the server',
      });
      assert.equal(c.connected, true);
      upsd.startDriver("dev1");
      await until(
        "data again",
        15_000,
        async () =>
          !/WAIT/.test(
            (await c.poll(MONITOR_VARS)).get("ups.status") ?? "WAIT",
          ),
      );
    });
  },
});

Deno.test({
  name: "NutClient reconnects and logs in again after upsd restarts",
  ignore,
  timeout,
  async fn() {
    await using upsd = await startUpsd();
    await using c = client(upsd, { username: "mon", password: "monpass" });
    await c.login();
    assert.equal(await c.getNumLogins(), 1);
    await upsd.restartUpsd();
    // The first request finds the old connection closed and resends on a new one.
    assert.equal((await c.poll(MONITOR_VARS)).get("ups.status"), "OL CHRG");
    assert.equal(await c.getNumLogins(), 1);
  },
});

Deno.test({
  name: "NutClient falls back to plaintext unless TLS is required",
  ignore,
  timeout,
  async fn() {
    await using upsd = await startUpsd();
    await using opportunistic = client(upsd, { tls: "starttls" });
    assert.equal(await opportunistic.getVar("ups.status"), "OL CHRG");
    assert.equal(opportunistic.tls, false);
    await using strict = client(upsd, { tls: "required" });
    await assert.rejects(strict.getVar("ups.status"), {
      name: "NutError",
      message:
        `Cannot connect to upsd at "127.0.0.1:${upsd.port}" with TLS: the server does not offer TLS ("ERR FEATURE-NOT-CONFIGURED")`,
    });
  },
});
