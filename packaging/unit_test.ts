import assert from "node:assert/strict";
import { parseConfig } from "../lib/config/load.ts";
import { slowPollCycleMs } from "../lib/daemon/systemd_notify.ts";

const UNIT = new URL("./ups-monitor.service", import.meta.url);

const ANALYZE = "/usr/bin/systemd-analyze";
const analyzeMissing = await Deno.stat(ANALYZE).then(() => false, () => true);
if (analyzeMissing) {
  // deno-lint-ignore no-console
  console.error(`${ANALYZE} is missing: apt-get install systemd`);
}

Deno.test({
  name: "packaging/ups-monitor.service passes systemd-analyze verify",
  // Outside CI a machine without systemd skips it; under CI=true it fails.
  ignore: analyzeMissing && Deno.env.get("CI") !== "true",
}, async () => {
  const analyze = ANALYZE;
  const dir = await Deno.makeTempDir();
  try {
    // verify checks that ExecStart exists: point it at a stub.
    await Deno.writeTextFile(`${dir}/ups-monitor`, "#!/bin/sh\nexit 0\n", {
      mode: 0o755,
    });
    const unit = (await Deno.readTextFile(UNIT)).replaceAll(
      "/usr/local/bin/ups-monitor",
      `${dir}/ups-monitor`,
    );
    await Deno.writeTextFile(`${dir}/ups-monitor.service`, unit);
    const result = await new Deno.Command(analyze, {
      args: ["verify", `${dir}/ups-monitor.service`],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(result.stderr);
    assert.equal(result.code, 0, stderr);
    assert.equal(stderr.trim(), "", "no warnings");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("packaging/ups-monitor.service keeps the choices the daemon depends on", async () => {
  const unit = await Deno.readTextFile(UNIT);
  const settings = new Map<string, string[]>();
  for (const line of unit.split("\n")) {
    const match = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (match) {
      settings.set(match[1]!, [...settings.get(match[1]!) ?? [], match[2]!]);
    }
  }
  const one = (key: string) => settings.get(key)?.join(" ");
  assert.equal(
    one("ExecStart"),
    "/usr/local/bin/ups-monitor run --config /etc/ups-monitor/config.yaml",
  );
  // The daemon sends READY, WATCHDOG, STATUS and STOPPING from its own pid.
  assert.equal(one("Type"), "notify");
  assert.equal(one("NotifyAccess"), "main");
  // Pings come at most every WatchdogSec/2, from completed polls: the slowest
  // poll cycle of the default config must fit in that half twice over (room
  // for a TLS handshake and the reconnect of a reload).
  const watchdogMs = Number(/^(\d+)s$/.exec(one("WatchdogSec") ?? "")?.[1]) *
    1000;
  const defaults = parseConfig("ups: {name: u}\n", "defaults.yaml");
  assert.ok(
    watchdogMs / 2 >= 2 * slowPollCycleMs(defaults),
    `WatchdogSec=${one("WatchdogSec")}`,
  );
  // A resumed sequence runs before READY=1.
  assert.ok(Number(one("TimeoutStartSec")) >= 300);
  assert.equal(one("Restart"), "always");
  assert.equal(one("RestartPreventExitStatus"), "2");
  assert.equal(one("KillMode"), "mixed");
  assert.match(
    one("After") ?? "",
    /network-online\.target.*libvirtd\.service.*docker\.service/,
  );
  assert.ok(Number(one("TimeoutStopSec")) >= 300);
  // The port of the V8 inspector that SIGUSR1 opens under `deno run`.
  assert.equal(one("SocketBindDeny"), "tcp:9229");
  // A private mount namespace would make umount detach only the service's copy.
  for (
    const key of [
      "PrivateTmp",
      "ProtectSystem",
      "ProtectHome",
      "ReadOnlyPaths",
      "PrivateMounts",
    ]
  ) {
    assert.equal(settings.has(key), false, `${key} must not be set`);
  }
});
