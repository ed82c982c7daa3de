import assert from "node:assert/strict";
import { ConsoleLogger, MASK, redact } from "./log.ts";

const NOW = () => new Date("2026-11-27T10:00:00.000Z");

function capture(options: ConstructorParameters<typeof ConsoleLogger>[0] = {}) {
  const lines: string[] = [];
  const logger = new ConsoleLogger({
    now: NOW,
    write: (line) => lines.push(line),
    ...options,
  });
  return { lines, logger };
}

Deno.test("ConsoleLogger writes journald lines with a priority prefix and no timestamp", () => {
  const { lines, logger } = capture({ journald: true, level: "debug" });
  logger.error("shutdown.step", "Step failed", {
    step: "vms",
    "duration_ms": 12,
  });
  logger.warning("power.on_battery", "On battery", { charge: 97 });
  logger.info("monitor.started", "Started");
  logger.debug("nut.poll", "Polled", { note: "two words" });
  assert.deepEqual(lines, [
    "<3>Step failed event=shutdown.step step=vms duration_ms=12",
    "<4>On battery event=power.on_battery charge=97",
    "<6>Started event=monitor.started",
    '<7>Polled event=nut.poll note="two words"',
  ]);
});

Deno.test("ConsoleLogger writes a timestamp on a terminal and skips levels below its own", () => {
  const { lines, logger } = capture({ level: "warning" });
  logger.info("monitor.started", "Started");
  logger.warning("connection.lost", "Lost");
  assert.deepEqual(lines, [
    "2026-11-27T10:00:00.000Z WARNING Lost event=connection.lost",
  ]);
});

Deno.test("ConsoleLogger writes one JSON object per line with ts, level, event and msg", () => {
  const { lines, logger } = capture({ format: "json" });
  logger.warning("shutdown.triggered", "Shutdown triggered", {
    reason: "charge 18% < 20%",
    error: new Error("boom"),
  });
  assert.deepEqual(JSON.parse(lines[0] ?? ""), {
    ts: "2026-11-27T10:00:00.000Z",
    level: "warning",
    event: "shutdown.triggered",
    msg: "Shutdown triggered",
    reason: "charge 18% < 20%",
    error: "boom",
  });
});

Deno.test("ConsoleLogger masks registered secrets and webhook URLs in every format", () => {
  for (const format of ["text", "json"] as const) {
    const { lines, logger } = capture({ format });
    logger.addSecrets(["hunter2-secret"]);
    logger.error(
      "notify.failed",
      "POST https://discord.com/api/webhooks/1/tok failed",
      {
        url: "https://discordapp.com/api/webhooks/2/other",
        detail: "login with hunter2-secret refused",
      },
    );
    const line = lines.join("\n");
    assert.ok(!line.includes("hunter2"), line);
    assert.ok(!line.includes("/webhooks/"), line);
    assert.ok(line.includes(MASK));
  }
  assert.equal(redact("pw=abc abc", ["abc", ""]), `pw=${MASK} ${MASK}`);
});

Deno.test("ConsoleLogger appends timestamped lines to its file and reopens it after a rotation", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const { lines, logger } = capture({ journald: true });
    logger.openFile(`${dir}/ups.log`);
    logger.info("monitor.started", "Started");
    await Deno.rename(`${dir}/ups.log`, `${dir}/ups.log.1`);
    logger.reopenFile();
    logger.info("monitor.stopped", "Stopped");
    logger.close();
    assert.deepEqual(lines, [
      "<6>Started event=monitor.started",
      "<6>Stopped event=monitor.stopped",
    ]);
    assert.equal(
      await Deno.readTextFile(`${dir}/ups.log.1`),
      "2026-11-27T10:00:00.000Z INFO    Started event=monitor.started\n",
    );
    assert.equal(
      await Deno.readTextFile(`${dir}/ups.log`),
      "2026-11-27T10:00:00.000Z INFO    Stopped event=monitor.stopped\n",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
