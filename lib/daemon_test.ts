import assert from "node:assert/strict";
import { startDaemon } from "./testing/daemon.ts";
import { makeFakeTools } from "./testing/fake_tools.ts";
import { IGNORE_WITHOUT_UPSD, startUpsd, USERS } from "./testing/upsd.ts";

/** Poll interval of the test daemon, ms. */
const POLL_MS = 200;
/** dummy-ups shows a SET within about 1 s (NUT.md §6). */
const DRIVER_MS = 1500;

const note = (text: string) =>
  Deno.stderr.writeSync(new TextEncoder().encode(text + "\n"));

Deno.test({
  name:
    "ups-monitor run --dry-run reports events and fires the right trigger for each outage",
  ignore: IGNORE_WITHOUT_UPSD,
  timeout: 180_000,
}, async (t) => {
  await using upsd = await startUpsd({ maxAge: 5 });
  await using tools = await makeFakeTools({ engines: ["docker"] });
  const dir = await Deno.makeTempDir({ dir: "/run" });
  const { ups, host, port } = upsd.address();
  await Deno.writeTextFile(
    `${dir}/config.yaml`,
    `ups:
  name: "${ups}@${host}:${port}"
  username: ${USERS.mon.name}
  password: ${USERS.mon.password}
  tls: off
  check_interval: ${POLL_MS}ms
  connect_timeout: 500ms
  reply_timeout: 1s
  max_stale_data_tolerance: 3
triggers:
  persistence_polls: 2
  depletion: {critical_rate: 15, window: 10s, grace_period: 2s, min_samples: 5}
  extended_time: {enabled: true, after: 1h}
  # The fixed thresholds are tested here; the budget fires before them
  # (lib/power/budget_test.ts, rig scenarios budget-*).
  budget: {enabled: false}
shutdown:
  dry_run: true
  rearm_after: 1s
  vms: {enabled: false}
  local: {command: ["${tools.path("shutdown")}"]}
paths: {state: ${dir}/state, flag: ${dir}/flag, history: ${dir}/history, durations: ${dir}/durations, pid: ${dir}/pid}
logging: {file: null}
`,
  );
  await using admin = upsd.adminClient();
  const set = async (values: Record<string, string>) => {
    for (const [name, value] of Object.entries(values)) {
      // After an upsd restart the first request finds the old connection closed.
      await admin.setVar(name, value).catch(() => admin.setVar(name, value));
    }
    return performance.now();
  };
  await using daemon = startDaemon(
    ["--config", `${dir}/config.yaml`],
    tools.env,
  );
  try {
    await daemon.waitFor((e) => e.event === "nut.connected");
    const delays: string[] = [];

    /** Sets values, waits for the trigger, checks it, then brings power back and waits for re-arming. */
    const expectTrigger = async (
      name: string,
      values: Record<string, string>,
      trigger: string,
      boundMs: number,
    ) => {
      const from = daemon.events.length;
      const changed = await set(values);
      const fired = await daemon.waitFor(
        (e) => e.event === "shutdown.triggered",
        { from, timeoutMs: boundMs + 5000 },
      );
      assert.equal(fired["reason"], trigger, `${name}: ${fired.msg}`);
      const delay = fired.at - changed;
      delays.push(
        `${name}: ${trigger} ${Math.round(delay)} ms after the change at upsd`,
      );
      assert.ok(
        delay <= boundMs,
        `${name}: ${Math.round(delay)} ms > ${boundMs} ms`,
      );
      await daemon.waitFor((e) => e.event === "shutdown.complete", { from });
      return from;
    };
    const restore = async () => {
      const from = daemon.events.length;
      await set({
        "ups.status": "OL CHRG",
        "battery.charge": "100",
        "battery.runtime": "1800",
      });
      await daemon.waitFor((e) => e.event === "shutdown.rearmed", {
        from,
        timeoutMs: 8000,
      });
    };

    await t.step("on battery and back: events, no trigger", async () => {
      const from = daemon.events.length;
      await set({ "ups.status": "OB DISCHRG" });
      await daemon.waitFor((e) => e.event === "power.on_battery", { from });
      await set({ "ups.status": "OL CHRG" });
      await daemon.waitFor((e) => e.event === "power.restored", { from });
      assert.equal(
        daemon.events.slice(from).filter((e) =>
          e.event === "shutdown.triggered"
        ).length,
        0,
      );
    });

    await t.step(
      "brownout with AVR boost: warnings, no transfer, no trigger",
      async () => {
        const from = daemon.events.length;
        await set({ "input.voltage": "200", "ups.status": "OL BOOST" });
        await daemon.waitFor((e) => e.event === "voltage.brownout", { from });
        await daemon.waitFor((e) => e.event === "avr.boost", { from });
        await set({ "input.voltage": "230", "ups.status": "OL CHRG" });
        await daemon.waitFor((e) => e.event === "voltage.normal", { from });
        await daemon.waitFor((e) => e.event === "avr.off", { from });
        assert.equal(
          daemon.events.slice(from).filter((e) =>
            e.event === "shutdown.triggered"
          ).length,
          0,
        );
      },
    );

    await t.step("LB flicker on line power: an alarm, no trigger", async () => {
      const from = daemon.events.length;
      await set({ "ups.status": "OL CHRG LB" });
      await daemon.waitFor(
        (e) => e.event === "ups.alarm" || e.event === "battery.low_flag",
        { from },
      );
      await set({ "ups.status": "OL CHRG" });
      await new Promise((resolve) => setTimeout(resolve, DRIVER_MS));
      assert.equal(
        daemon.events.slice(from).filter((e) =>
          e.event === "shutdown.triggered"
        ).length,
        0,
      );
    });

    const thresholdBound = DRIVER_MS + 3 * POLL_MS + 500;
    await t.step("low battery", async () => {
      const from = await expectTrigger(
        "low battery",
        { "ups.status": "OB DISCHRG", "battery.charge": "15" },
        "low_charge",
        thresholdBound,
      );
      const order = daemon.events.slice(from).map((e) => e.event).filter((n) =>
        n === "power.on_battery" || n === "shutdown.triggered"
      );
      assert.deepEqual(order, ["power.on_battery", "shutdown.triggered"]);
      await restore();
    });

    await t.step("critical runtime", async () => {
      await expectTrigger(
        "critical runtime",
        { "ups.status": "OB DISCHRG", "battery.runtime": "300" },
        "low_runtime",
        thresholdBound,
      );
      await restore();
    });

    await t.step("OB + LB", async () => {
      await expectTrigger(
        "OB+LB",
        { "ups.status": "OB DISCHRG LB" },
        "low_battery_flag",
        DRIVER_MS + 2 * POLL_MS + 500,
      );
      await restore();
    });

    await t.step(
      "blind on battery (charge and runtime NaN): the fail-safe fires after the tolerance",
      async () => {
        const from = await expectTrigger(
          "blind on battery",
          {
            "battery.charge": "NaN",
            "battery.runtime": "NaN",
            "ups.status": "OB DISCHRG",
          },
          "fail_safe",
          DRIVER_MS + 3 * POLL_MS + 500,
        );
        const stale = await daemon.waitFor(
          (e) => e.event === "connection.stale",
          { from },
        );
        assert.equal(stale["kind"], "no_battery_data", stale.msg);
        await restore();
      },
    );

    await t.step(
      "fast drain: the depletion rate fires after the grace period",
      async () => {
        const from = daemon.events.length;
        const started = await set({ "ups.status": "OB DISCHRG" });
        let charge = 100;
        const ramp = setInterval(() => {
          charge = Math.max(50, charge - 1);
          admin.setVar("battery.charge", String(charge)).catch(
            () => {/* the daemon's verdict is what counts */},
          );
        }, 250);
        try {
          const fired = await daemon.waitFor(
            (e) => e.event === "shutdown.triggered",
            { from, timeoutMs: 20_000 },
          );
          assert.equal(fired["reason"], "depletion", fired.msg);
          const delay = fired.at - started;
          delays.push(
            `fast drain: depletion ${
              Math.round(delay)
            } ms after going on battery (grace 2 s)`,
          );
          assert.ok(delay >= 2000, "not before the grace period");
        } finally {
          clearInterval(ramp);
        }
        await daemon.waitFor((e) => e.event === "shutdown.complete", { from });
        await restore();
      },
    );

    await t.step(
      "link loss on battery: the fail-safe fires after the tolerance",
      async () => {
        const from = daemon.events.length;
        await set({ "ups.status": "OB DISCHRG" });
        await daemon.waitFor((e) => e.event === "power.on_battery", { from });
        const stopped = performance.now();
        await upsd.stopUpsd();
        const fired = await daemon.waitFor(
          (e) => e.event === "shutdown.triggered",
          { from, timeoutMs: 10_000 },
        );
        assert.equal(fired["reason"], "fail_safe", fired.msg);
        delays.push(
          `link loss (upsd stopped): fail_safe ${
            Math.round(fired.at - stopped)
          } ms after the stop`,
        );
        await daemon.waitFor((e) => e.event === "connection.lost", { from });
        await daemon.waitFor((e) => e.event === "shutdown.complete", { from });
        // Restart the whole stack: dummy-ups 2.8.0 may not survive upsd restarting under it (NUT.md §6).
        await upsd.killDriver(ups);
        upsd.startDriver(ups);
        await upsd.restartUpsd();
        await upsd.waitForData(ups);
        await daemon.waitFor((e) => e.event === "connection.restored", {
          from,
          timeoutMs: 15_000,
        });
        await restore();
      },
    );

    await t.step(
      "FSD set at upsd while running is obeyed at once",
      async () => {
        const from = daemon.events.length;
        await set({ "ups.status": "OL CHRG" });
        const changed = performance.now();
        await admin.fsd();
        const fired = await daemon.waitFor(
          (e) => e.event === "shutdown.triggered",
          { from },
        );
        assert.equal(fired["reason"], "fsd", fired.msg);
        delays.push(
          `FSD: fsd ${Math.round(fired.at - changed)} ms after FSD at upsd`,
        );
        assert.ok(fired.at - changed <= 3 * POLL_MS + 500);
        await daemon.waitFor((e) => e.event === "shutdown.complete", { from });
      },
    );

    assert.equal(await daemon.stop("SIGTERM"), 0);
    await daemon.waitFor((e) => e.event === "monitor.stopped");
    note(
      `trigger delays (poll ${POLL_MS} ms, persistence 2):\n  ${
        delays.join("\n  ")
      }`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
