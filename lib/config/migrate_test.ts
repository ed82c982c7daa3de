import assert from "node:assert/strict";
import { parse } from "./yaml.ts";
import { parseConfig } from "./load.ts";
import { migrateScript } from "./migrate.ts";

const SEED = new URL("../../fixtures/seed/", import.meta.url);

async function migrateFixture(name: string) {
  const file = `fixtures/seed/${name}`;
  const migration = migrateScript(
    await Deno.readTextFile(new URL(name, SEED)),
    file,
  );
  return { ...migration, config: parseConfig(migration.yaml, file) };
}

const VM_NOTE =
  "The VM and container steps are enabled by default: check refuses the config on a host without virsh (libvirt-clients) or without docker and podman; there, set shutdown.vms.enabled: false or shutdown.containers.enabled: false";

Deno.test("migrateScript() converts the Python Config class into a valid config", async () => {
  const { config, notes, converted, yaml } = await migrateFixture(
    "ups_monitor_3.py",
  );
  assert.equal(converted, 29, "every field but BEEP_ON_BATTERY");
  assert.equal(config.ups.name, "UPS@192.168.178.11");
  assert.equal(config.ups.check_interval, 1000);
  assert.equal(config.triggers.low_battery, 25);
  assert.equal(config.triggers.depletion.window, 300_000, "5 * MINUTE");
  assert.equal(config.triggers.depletion.critical_rate, 12.5);
  assert.equal(config.triggers.critical_runtime, 600_000, "10 * 60");
  assert.equal(config.triggers.extended_time.after, 900_000);
  assert.equal(config.shutdown.dry_run, true);
  assert.equal(
    config.paths.flag,
    "/var/run/ups-shutdown-scheduled",
    "Path('…')",
  );
  assert.equal(config.logging.file, "/var/log/ups-monitor.log");
  assert.deepEqual(config.shutdown.filesystems.mounts, [
    { path: "/mnt/media", lazy: false, force: false },
    { path: "/mnt/nas", lazy: true, force: false },
    { path: "/mnt/backup", lazy: false, force: false },
  ]);
  assert.equal(config.shutdown.remotes.length, 1);
  const [nas] = config.shutdown.remotes;
  assert.equal(nas?.host, "192.168.178.229");
  assert.equal(nas?.user, "nas-admin");
  assert.deepEqual(nas?.command, [
    "sudo",
    "-n",
    "/usr/syno/sbin/synoshutdown",
    "-s",
  ]);
  assert.equal(nas?.host_key_policy, "strict");
  assert.equal(
    nas?.identity_file,
    "/root/.ssh/id_nas_shutdown",
    "the key the old guide created, which ssh does not offer by default",
  );
  assert.deepEqual(config.notifications.channels, [], "placeholder webhook");
  assert.deepEqual(notes.slice(0, 3), [
    "fixtures/seed/ups_monitor_3.py:58: BEEP_ON_BATTERY: unknown setting, not migrated",
    "fixtures/seed/ups_monitor_3.py:35: DISCORD_WEBHOOK_URL: empty or a placeholder, so no Discord channel was created; add one under notifications.channels",
    'fixtures/seed/ups_monitor_3.py:55: REMOTE_NAS_COMMAND: "sudo -i synoshutdown -s" was replaced by the default "sudo -n /usr/syno/sbin/synoshutdown -s": with -i, sudo 1.9 runs the command through a login shell, which the NOPASSWD rule for /usr/syno/sbin/synoshutdown does not cover, and without -n it waits for a password that never comes',
  ]);
  assert.equal(
    notes[3],
    'shutdown.remotes.0.identity_file is set to "/root/.ssh/id_nas_shutdown", the key the old script\'s guide created (ssh does not offer that file on its own); if your NAS key is elsewhere, change it: check refuses a key file that does not exist',
  );
  assert.match(
    notes[4] ?? "",
    /against \/etc\/ups-monitor\/known_hosts and \/root\/\.ssh\/known_hosts .*: ssh -o UserKnownHostsFile=\/etc\/ups-monitor\/known_hosts .* -i \/root\/\.ssh\/id_nas_shutdown nas-admin@192\.168\.178\.229 true$/,
  );
  assert.equal(notes[5], VM_NOTE);
  assert.equal(notes.length, 6);
  assert.match(
    yaml,
    /^# NOTE: shutdown\.remotes\.0\.identity_file is set to "\/root\/\.ssh\/id_nas_shutdown"/m,
  );
  assert.match(
    yaml,
    /^# NOTE: The VM and container steps are enabled by default/m,
  );
});

Deno.test("migrateScript() converts the Bash script's VAR=value lines", async () => {
  const { config, notes, yaml } = await migrateFixture("ups_monitor_2.sh");
  assert.equal(
    config.triggers.critical_runtime,
    600_000,
    "$((10 * 60)) with a comment",
  );
  assert.equal(config.paths.state, "/var/run/ups-monitor.state");
  assert.equal(config.shutdown.dry_run, false);
  assert.equal(config.triggers.extended_time.enabled, true);
  assert.deepEqual(
    config.shutdown.filesystems.mounts.map((m) => [m.path, m.lazy]),
    [
      ["/mnt/media", false],
      ["/mnt/nas", true],
      ["/mnt/backup", false],
    ],
  );
  assert.deepEqual(config.notifications.channels, [{
    kind: "discord",
    name: "discord",
    url: "https://discord.com/api/webhooks/123456789/migrate-test-token",
    username: null,
  }]);
  assert.deepEqual(
    notes[0],
    "fixtures/seed/ups_monitor_2.sh:38: VERBOSE_BEEPS: unknown setting, not migrated",
  );
  assert.ok(
    !notes.join("\n").includes("migrate-test-token"),
    "notes never show the webhook",
  );
  assert.match(
    yaml,
    /^# NOTE: fixtures\/seed\/ups_monitor_2\.sh:38: VERBOSE_BEEPS/m,
  );
});

Deno.test("migrateScript() reports values it cannot read and keeps going", () => {
  const source = [
    "@dataclass",
    "class Config:",
    '    UPS_NAME: str = "ups@nas"',
    "    CHECK_INTERVAL: int = os.environ.get('X')",
    '    LOW_BATTERY_THRESHOLD: int = "twenty"',
    '    MOUNTS_TO_UNMOUNT: List[Tuple[str, str]] = [("/mnt/a", "-l -x")]',
    '    REMOTE_NAS_HOST: str = "nas"',
  ].join("\n");
  const { yaml, notes } = migrateScript(source, "old.py");
  assert.deepEqual(notes, [
    'old.py:4: CHECK_INTERVAL: cannot read the value: cannot evaluate a call of "os.environ.get"',
    'old.py:5: LOW_BATTERY_THRESHOLD: expected a number, got "twenty"; the default is used',
    "old.py:7: REMOTE_NAS_HOST: REMOTE_NAS_HOST and REMOTE_NAS_USER go together; no remote was created",
    'old.py:6: MOUNTS_TO_UNMOUNT: unmount option "-x" of "/mnt/a" has no equivalent and was left out',
    VM_NOTE,
  ]);
  assert.deepEqual(parse(yaml), {
    ups: { name: "ups@nas" },
    shutdown: { filesystems: { mounts: [{ path: "/mnt/a", lazy: true }] } },
  });
});
