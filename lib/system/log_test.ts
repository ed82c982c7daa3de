import assert from "node:assert/strict";
import { ConsoleLogger, escapeControls, MASK, redact } from "./log.ts";
import { makeTempDir } from "../testing/temp_dir.ts";

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

Deno.test("ConsoleLogger masks a secret however JSON escaped it appears", () => {
  const secrets = ['pa"ss\\wörd', "tab\there", "ünïcode"];
  const appearances = [
    'pa"ss\\wörd', // as is
    JSON.stringify('pa"ss\\wörd'), // JSON-escaped quote and backslash
    'pa\\"ss\\\\w\\u00f6rd', // ASCII-only JSON writer
    'pa\\"ss\\\\w\\u00F6rd', // same, upper-case hex
    JSON.stringify(JSON.stringify('pa"ss\\wörd')), // JSON inside JSON
    "tab\\there",
    "\\u00fcn\\u00efcode",
  ];
  for (const format of ["text", "json"] as const) {
    const { lines, logger } = capture({ format });
    logger.addSecrets(secrets);
    for (const text of appearances) {
      logger.error("nut.login_failed", `Refused: ${text}`, { detail: text });
    }
    for (const line of lines) {
      for (const fragment of ["ss", "rd", "here", "code"]) {
        assert.ok(!line.includes(fragment), `${format}: ${line}`);
      }
    }
    assert.equal(lines.length, appearances.length);
  }
  assert.equal(redact('{"pw":"a\\"b"}', ['a"b']), `{"pw":"${MASK}"}`);
});

Deno.test("escapeControls() escapes C0, DEL, C1 and line separators, nothing else", () => {
  const cases: [string, string][] = [
    ["plain text, 230 V", "plain text, 230 V"],
    ["a\nforged line", "a\\nforged line"],
    ["cr\rreturn", "cr\\rreturn"],
    ["tab\tstop", "tab\\tstop"],
    ["\x1b[31mred\x1b[0m", "\\u001b[31mred\\u001b[0m"],
    ["nul\x00bell\x07", "nul\\u0000bell\\u0007"],
    ["del\x7f", "del\\u007f"],
    ["csi\x9b2J nel\x85", "csi\\u009b2J nel\\u0085"],
    ["ls\u2028ps\u2029", "ls\\u2028ps\\u2029"],
    ["ünïcode € \\n", "ünïcode € \\n"],
  ];
  for (const [input, expected] of cases) {
    assert.equal(escapeControls(input), expected, JSON.stringify(input));
  }
});

Deno.test("ConsoleLogger escapes control characters in messages and fields of text lines", () => {
  const { lines, logger } = capture({ journald: true });
  const forged = "vm1\n<3>Forged line event=shutdown.complete\r\x1b[2K";
  logger.info("shutdown.step", `Stopping VM ${forged}`, {
    vm: forged,
    model: "Smart\x9bUPS\x7f",
  });
  assert.deepEqual(lines, [
    "<6>Stopping VM vm1\\n<3>Forged line event=shutdown.complete\\r\\u001b[2K event=shutdown.step " +
    'vm="vm1\\n<3>Forged line event=shutdown.complete\\r\\u001b[2K" model=Smart\\u009bUPS\\u007f',
  ]);
  const json = capture({ format: "json" });
  json.logger.info("ups.alarm", "Alarm \x9b\u2028", { text: "\x7f" });
  assert.equal(json.lines.length, 1);
  assert.ok(!/[\x7f-\x9f\u2028]/.test(json.lines[0] ?? ""), json.lines[0]);
  assert.equal(JSON.parse(json.lines[0] ?? "").msg, "Alarm \x9b\u2028");
});

Deno.test("ConsoleLogger keeps going when the log file cannot be opened: one warning, retried later", async () => {
  await using dir = await makeTempDir();
  let now = new Date("2026-11-27T10:00:00.000Z");
  const lines: string[] = [];
  const logger = new ConsoleLogger({
    journald: true,
    now: () => now,
    write: (line) => lines.push(line),
    fileRetryMs: 60_000,
  });
  const path = dir.join("ups.log");
  await Deno.mkdir(path);
  assert.equal(logger.openFile(path), false);
  assert.equal(logger.reopenFile(), false);
  logger.info("power.on_battery", "On battery");
  assert.deepEqual(lines, [
    `<4>Cannot open the log file "${path}": it is a directory; logging to the console only, retrying on SIGHUP and every 1 minutes event=log.file_failed file=${path}`,
    "<6>On battery event=power.on_battery",
  ]);
  // Repaired: the first line after the retry interval opens the file again.
  await Deno.remove(path);
  logger.info("power.restored", "Power restored");
  assert.equal(lines.length, 3, "not retried before the interval");
  now = new Date(now.getTime() + 60_000);
  logger.info("monitor.stopped", "Stopped");
  logger.close();
  assert.deepEqual(lines.slice(3), [
    `<6>Writing the log file "${path}" works again event=log.file_restored`,
    "<6>Stopped event=monitor.stopped",
  ]);
  assert.equal(
    await Deno.readTextFile(path),
    `2026-11-27T10:01:00.000Z INFO    Writing the log file "${path}" works again event=log.file_restored\n` +
      "2026-11-27T10:01:00.000Z INFO    Stopped event=monitor.stopped\n",
  );
});

Deno.test("ConsoleLogger.openFile() does not follow a symlink or open a FIFO", async () => {
  await using dir = await makeTempDir();
  const target = dir.join("elsewhere");
  await Deno.writeTextFile(target, "");
  const link = dir.join("link.log");
  await Deno.symlink(target, link);
  const fifo = dir.join("fifo.log");
  const mkfifo = await new Deno.Command("mkfifo", { args: [fifo] }).output();
  assert.equal(mkfifo.code, 0);
  for (
    const [path, reason] of [
      [link, "it is a symbolic link"],
      [fifo, "it is not a regular file"],
    ]
  ) {
    const { lines, logger } = capture({ journald: true });
    assert.equal(logger.openFile(path!), false);
    logger.info("monitor.started", "Started");
    logger.close();
    assert.equal(
      lines[0],
      `<4>Cannot open the log file "${path}": ${reason}; logging to the console only, retrying on SIGHUP and every 5 minutes event=log.file_failed file=${path}`,
    );
  }
  assert.equal(await Deno.readTextFile(target), "");
});

Deno.test("ConsoleLogger keeps going when the console is gone (EPIPE): the log file still gets every line", async () => {
  await using dir = await makeTempDir();
  const logger = new ConsoleLogger({
    journald: true,
    now: () => new Date("2026-11-27T10:00:00.000Z"),
    write: () => {
      throw new Deno.errors.BrokenPipe("Broken pipe (os error 32)");
    },
  });
  const path = dir.join("ups.log");
  assert.equal(logger.openFile(path), true);
  logger.warning("power.on_battery", "On battery");
  logger.close();
  assert.equal(
    await Deno.readTextFile(path),
    "2026-11-27T10:00:00.000Z WARNING On battery event=power.on_battery\n",
  );
});
