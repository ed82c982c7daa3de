import assert from "node:assert/strict";
import { SANDBOX_SCRIPT, sandboxArgs } from "./sandbox.ts";

Deno.test("sandboxArgs() runs the binary in a namespace of its own, without a shell string", () => {
  const { program, args } = sandboxArgs({
    configDir: "/run/r/s/etc",
    logDir: "/run/r/s/log",
    tmpfs: ["/run/r/s/mnt/a"],
    binary: "/opt/ups-monitor",
    args: ["run", "--log-format", "json"],
  });
  assert.equal(program, "unshare");
  assert.deepEqual(args, [
    "--mount",
    "--propagation",
    "slave",
    "/bin/bash",
    SANDBOX_SCRIPT,
    "--bind",
    "/run/r/s/etc",
    "/etc/ups-monitor",
    "--bind",
    "/run/r/s/log",
    "/var/log",
    "--tmpfs",
    "/run/r/s/mnt/a",
    "--",
    "/opt/ups-monitor",
    "run",
    "--log-format",
    "json",
  ]);
});

Deno.test("sandboxArgs() runs deno run with the daemon's flags and no --config", () => {
  const { args } = sandboxArgs({
    configDir: "/c",
    logDir: "/l",
    tmpfs: [],
    args: ["run"],
  });
  const inner = args.slice(args.indexOf("--") + 1);
  assert.equal(inner[0], Deno.execPath());
  assert.ok(inner.includes("-P=daemon") && inner.includes("--no-prompt"));
  assert.equal(inner.at(-1), "run");
  assert.equal(
    inner.filter((a) => a === "--config").length,
    1,
    "deno's own --config only",
  );
});
