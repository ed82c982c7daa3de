import assert from "node:assert/strict";
import { ConsoleLogger } from "../system/log.ts";
import { LogNotifier } from "./notifier.ts";

Deno.test("LogNotifier.notify() logs the notification with its event and numbers", async () => {
  const lines: string[] = [];
  const logger = new ConsoleLogger({
    format: "json",
    level: "debug",
    write: (line) => lines.push(line),
  });
  const notifier = new LogNotifier(logger);
  notifier.notify({
    event: "power.on_battery",
    severity: "warning",
    title: "On battery",
    message: "Mains power failed",
    ups: "ups@nas",
    fields: { charge: 97, runtime: 1800 },
    timeMs: 0,
  });
  notifier.enterCrisis();
  notifier.notify({
    event: "shutdown.step",
    severity: "critical",
    title: "Stopping VMs",
    message: "3 running",
    ups: "ups@nas",
    timeMs: 0,
  });
  assert.equal(await notifier.flush(1000), true);
  const [first, second] = lines.map((line) => JSON.parse(line));
  assert.equal(first.event, "notify.message");
  assert.equal(first.level, "debug");
  assert.equal(first.notified_event, "power.on_battery");
  assert.equal(first.msg, "On battery: Mains power failed");
  assert.equal(first.charge, 97);
  assert.equal(first.crisis, undefined);
  assert.equal(second.crisis, true);
});
