import assert from "node:assert/strict";
import {
  createRunner,
  formatCommand,
  type Runner,
  SpawnError,
} from "./exec.ts";
import { MemoryLogger } from "../testing/memory_logger.ts";
import { makeTempDir } from "../testing/temp_dir.ts";

/** Short grace periods keep the kill paths fast; the defaults are seconds. */
function testRunner(
  options: { dryRun?: boolean; killGraceMs?: number } = {},
): { runner: Runner; logger: MemoryLogger } {
  const logger = new MemoryLogger();
  const runner = createRunner({
    logger,
    dryRun: options.dryRun ?? false,
    killGraceMs: options.killGraceMs ?? 300,
    abandonGraceMs: 300,
  });
  return { runner, logger };
}

/**
 * Whether `pid` is a live process (a zombie counts as dead). Deno wants
 * --allow-all to read /proc, so `cat` reads it, through the runner itself.
 */
async function isAlive(pid: number): Promise<boolean> {
  const { runner } = testRunner();
  const result = await runner.run("cat", [`/proc/${pid}/stat`], {
    timeoutMs: 5000,
    kind: "query",
  });
  if (result.code !== 0) return false;
  return result.stdout.slice(result.stdout.lastIndexOf(")") + 2)[0] !== "Z";
}

/** Kills the process whose pid a test subject wrote to `path`, if any. */
async function killFromPidFile(path: string): Promise<void> {
  const text = await Deno.readTextFile(path).catch(() => "");
  const pid = Number(text.trim());
  if (pid > 0 && await isAlive(pid)) Deno.kill(pid, "SIGKILL");
}

Deno.test("run() reports a non-zero exit with its output as data", async () => {
  const { runner } = testRunner();
  const result = await runner.run(
    "bash",
    ["-c", "echo out; echo err >&2; exit 3"],
    { timeoutMs: 10_000, kind: "query" },
  );
  assert.deepEqual(
    { ...result, durationMs: 0 },
    {
      code: 3,
      signal: null,
      timedOut: false,
      stdout: "out\n",
      stderr: "err\n",
      truncated: false,
      durationMs: 0,
      dryRun: false,
    },
  );
});

Deno.test("run() passes arguments verbatim, without a shell", async () => {
  const { runner } = testRunner();
  const args = ["%s|", "a b", "$HOME", "*", "'q'", ""];
  const result = await runner.run("printf", args, {
    timeoutMs: 10_000,
    kind: "query",
  });
  assert.equal(result.stdout, "a b|$HOME|*|'q'||");
});

Deno.test("run() feeds stdin and adds environment variables", async () => {
  const { runner } = testRunner();
  const result = await runner.run(
    "bash",
    ["-c", 'cat; echo "$UPS_MONITOR_TEST"'],
    {
      timeoutMs: 10_000,
      kind: "query",
      stdin: "line 1\n",
      env: { "UPS_MONITOR_TEST": "from env" },
    },
  );
  assert.equal(result.stdout, "line 1\nfrom env\n");
  assert.equal(result.code, 0);
});

Deno.test({
  name: "run() terminates a program at its timeout and reports timedOut",
  timeout: 10_000,
  async fn() {
    const { runner, logger } = testRunner();
    const result = await runner.run("sleep", ["30"], {
      timeoutMs: 200,
      kind: "action",
    });
    assert.equal(result.timedOut, true);
    assert.equal(result.code, null);
    assert.equal(result.signal, "SIGTERM");
    assert.ok(result.durationMs >= 190, `took ${result.durationMs} ms`);
    assert.ok(result.durationMs < 2000, `took ${result.durationMs} ms`);
    assert.equal(logger.events("exec.timeout").length, 1);
  },
});

Deno.test({
  name: "run() sends SIGKILL to a program that ignores SIGTERM",
  timeout: 10_000,
  async fn() {
    const { runner } = testRunner({ killGraceMs: 300 });
    // The ignored disposition survives exec, so sleep itself ignores TERM.
    const result = await runner.run(
      "bash",
      ["-c", "trap '' TERM; exec sleep 30"],
      { timeoutMs: 500, kind: "action" },
    );
    assert.equal(result.timedOut, true);
    assert.equal(result.signal, "SIGKILL");
    assert.ok(result.durationMs >= 790, `took ${result.durationMs} ms`);
    assert.ok(result.durationMs < 3000, `took ${result.durationMs} ms`);
  },
});

Deno.test({
  name: "run() terminates grandchildren in the program's process group",
  timeout: 10_000,
  async fn() {
    const { runner } = testRunner();
    const result = await runner.run(
      "bash",
      ["-c", "sleep 300 & echo $!; wait"],
      { timeoutMs: 300, kind: "action" },
    );
    assert.equal(result.timedOut, true);
    const grandchild = Number(result.stdout.trim());
    assert.ok(grandchild > 0, `no pid in ${JSON.stringify(result.stdout)}`);
    assert.equal(await isAlive(grandchild), false);
  },
});

// A process in uninterruptible sleep (a sync on a dead NFS mount) cannot be
// made on request. A grandchild that left the group with setsid takes the same
// path through the runner: SIGKILL does not reach it, the output never ends,
// and the runner must return without awaiting it.
Deno.test({
  name:
    "run() gives up after SIGKILL when a setsid grandchild holds the output",
  timeout: 10_000,
  async fn() {
    await using dir = await makeTempDir();
    const pidFile = dir.join("grandchild.pid");
    try {
      const { runner, logger } = testRunner();
      const result = await runner.run(
        "bash",
        ["-c", 'setsid sleep 300 & echo $! > "$0"; exec sleep 30', pidFile],
        { timeoutMs: 300, kind: "action" },
      );
      assert.equal(result.timedOut, true);
      assert.equal(result.signal, "SIGTERM");
      // timeout 300 + TERM grace 300 + KILL grace 300, plus slack
      assert.ok(result.durationMs >= 890, `took ${result.durationMs} ms`);
      assert.ok(result.durationMs < 3000, `took ${result.durationMs} ms`);
      assert.equal(logger.events("exec.abandoned").length, 1);
      const grandchild = Number((await Deno.readTextFile(pidFile)).trim());
      assert.equal(await isAlive(grandchild), true, "grandchild should live");
    } finally {
      await killFromPidFile(pidFile);
    }
  },
});

Deno.test({
  name: "run() stops reading when the program exits but a background process " +
    "keeps the output open",
  timeout: 10_000,
  async fn() {
    await using dir = await makeTempDir();
    const pidFile = dir.join("grandchild.pid");
    try {
      const { runner, logger } = testRunner();
      const result = await runner.run(
        "bash",
        ["-c", 'setsid sleep 300 & echo $! > "$0"; echo done', pidFile],
        { timeoutMs: 10_000, kind: "action" },
      );
      assert.equal(result.timedOut, false);
      assert.equal(result.code, 0);
      assert.equal(result.stdout, "done\n");
      assert.ok(result.durationMs < 3000, `took ${result.durationMs} ms`);
      assert.equal(logger.events("exec.output_abandoned").length, 1);
    } finally {
      await killFromPidFile(pidFile);
    }
  },
});

Deno.test("run() keeps the head of large output and marks it truncated", async () => {
  const { runner } = testRunner();
  const result = await runner.run("head", ["-c", "1000000", "/dev/zero"], {
    timeoutMs: 10_000,
    kind: "query",
  });
  assert.equal(result.stdout.length, 64 * 1024);
  assert.equal(result.truncated, true);
  // The rest was read and dropped, so head was not stopped by a full pipe.
  assert.equal(result.code, 0);

  const small = await runner.run("echo", ["12345"], {
    timeoutMs: 10_000,
    kind: "query",
    maxOutputBytes: 3,
  });
  assert.deepEqual([small.stdout, small.truncated], ["123", true]);
});

Deno.test("run() throws SpawnError when the program does not exist", async () => {
  const { runner } = testRunner();
  const error = await runner.run("ups-monitor-no-such-command", [], {
    timeoutMs: 1000,
    kind: "query",
  }).then(() => null, (error: unknown) => error);
  assert.ok(error instanceof SpawnError);
  assert.equal(error.name, "SpawnError");
  assert.equal(
    error.message,
    'Cannot run "ups-monitor-no-such-command": command not found',
  );
  assert.ok(error.cause instanceof Deno.errors.NotFound);
});

Deno.test("run() throws SpawnError when the program is not executable", async () => {
  await using dir = await makeTempDir();
  const script = dir.join("script.sh");
  await Deno.writeTextFile(script, "#!/bin/sh\necho hi\n", { mode: 0o644 });
  const { runner } = testRunner();
  await assert.rejects(
    runner.run(script, [], { timeoutMs: 1000, kind: "query" }),
    {
      name: "SpawnError",
      message: `Cannot run "${script}": permission denied`,
    },
  );
});

Deno.test("run() rejects a timeout that is not a positive number", async () => {
  const { runner } = testRunner();
  for (const timeoutMs of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
    await assert.rejects(
      runner.run("true", [], { timeoutMs, kind: "query" }),
      {
        name: "RangeError",
        message: `Cannot run "true": timeoutMs must be a positive number, ` +
          `got ${timeoutMs}`,
      },
    );
  }
});

Deno.test("run() in dry-run runs queries but only logs actions", async () => {
  await using dir = await makeTempDir();
  const marker = dir.join("must not exist");
  const { runner, logger } = testRunner({ dryRun: true });

  const action = await runner.run("touch", [marker], {
    timeoutMs: 10_000,
    kind: "action",
  });
  assert.equal(action.dryRun, true);
  assert.equal(action.code, 0);
  await assert.rejects(Deno.stat(marker), Deno.errors.NotFound);
  const logged = logger.events("exec.dry_run");
  assert.equal(logged.length, 1);
  assert.equal(logged[0]?.level, "info");
  assert.equal(logged[0]?.msg, `[DRY-RUN] would run: touch '${marker}'`);

  const query = await runner.run("echo", ["real"], {
    timeoutMs: 10_000,
    kind: "query",
  });
  assert.deepEqual([query.dryRun, query.stdout], [false, "real\n"]);
});

Deno.test({
  name: "run() terminates the program when the signal aborts, then rejects " +
    "with its reason",
  timeout: 10_000,
  async fn() {
    const { runner } = testRunner();
    const controller = new AbortController();
    const reason = new Error("daemon stopping");
    const started = performance.now();
    const call = runner.run("sleep", ["30"], {
      timeoutMs: 30_000,
      kind: "query",
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(reason), 100);
    await assert.rejects(call, (error) => error === reason);
    assert.ok(performance.now() - started < 2000);
  },
});

Deno.test({
  name: "killAll() terminates every live child and waits for their calls",
  timeout: 10_000,
  async fn() {
    const { runner } = testRunner();
    const options = { timeoutMs: 30_000, kind: "query" } as const;
    const started = performance.now();
    // run() spawns before its first await: both children are live now.
    const calls = [
      runner.run("sleep", ["30"], options),
      runner.run("bash", ["-c", "trap '' TERM; exec sleep 30"], options),
    ];
    const settled = Promise.allSettled(calls); // handle rejections at once
    // Let bash install its trap, so one child needs SIGKILL.
    await new Promise((resolve) => setTimeout(resolve, 200));
    await runner.killAll();
    const outcomes = await settled;
    for (const outcome of outcomes) {
      assert.equal(outcome.status, "rejected");
      assert.equal((outcome.reason as DOMException).name, "AbortError");
    }
    assert.ok(performance.now() - started < 3000);
    await runner.killAll(); // nothing live: returns at once
  },
});

Deno.test("formatCommand() quotes words that a shell would split", () => {
  const cases: [string[], string][] = [
    [["virsh", "shutdown", "web01"], "virsh shutdown web01"],
    [["umount", "-l", "/mnt/my nas"], "umount -l '/mnt/my nas'"],
    [["echo", ""], "echo ''"],
    [["echo", "it's"], "echo 'it'\\''s'"],
    [
      ["ssh", "-o", "BatchMode=yes", "admin@nas"],
      "ssh -o BatchMode=yes admin@nas",
    ],
  ];
  for (const [[program = "", ...args], expected] of cases) {
    assert.equal(formatCommand(program, args), expected);
  }
});
