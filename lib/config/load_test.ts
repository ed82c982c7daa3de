import assert from "node:assert/strict";
import { ConfigError, formatIssue, loadConfig, parseConfig } from "./load.ts";
import { makeTempDir } from "../testing/temp_dir.ts";

const FIXTURES = new URL("../../fixtures/configs/", import.meta.url);

async function problemsOf(name: string): Promise<string[]> {
  const path = `fixtures/configs/invalid/${name}`;
  const text = await Deno.readTextFile(new URL(`invalid/${name}`, FIXTURES));
  try {
    parseConfig(text, path);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `${name}: ${error}`);
    return error.issues.map(formatIssue);
  }
  assert.fail(`${name} was accepted`);
}

const INVALID: Record<string, string> = {
  "bad_channel_kind.yaml":
    `6:13: notifications.channels.0.kind: expected a channel with kind "discord", "webhook", "ntfy", "slack" or "telegram"`,
  "bad_custom_position.yaml":
    `7:14: shutdown.custom.0.after: expected one of "start", "vms", "containers", "sync", "filesystems", "remotes", "power_cycle"`,
  "bad_duration.yaml":
    `4:19: ups.check_interval: expected a duration such as 90, "90s" or "15m", got "5 parsecs"`,
  "bad_enum.yaml":
    `4:8: ups.tls: expected one of "off", "starttls", "required"`,
  "bad_ups_name.yaml": `3:9: ups.name: "http" is not a port number (1-65535)`,
  "bad_webhook.yaml":
    `7:12: notifications.channels.0.url: expected an http or https URL`,
  "duplicate_key.yaml": `4:3: invalid YAML: map keys must be unique`,
  "empty_command.yaml":
    `6:14: shutdown.local.command: expected at least 1 item(s)`,
  "http_host_name.yaml":
    `5:11: http.listen: "localhost" is not a literal IP address: give one, such as "127.0.0.1"`,
  "infinite_number.yaml":
    `5:16: triggers.low_battery: expected a finite number, got Infinity`,
  "min_samples_window.yaml":
    `8:18: triggers.depletion.min_samples: 30 samples cannot fit in the window "4m" at one poll every "10s" (at most 25: 24 whole intervals fit in it, plus the first sample), so the depletion trigger could never fire; set min_samples to 25 or less, lengthen triggers.depletion.window to at least "4m50s" or shorten ups.check_interval to at most "8s"`,
  "missing_name.yaml": `2:1: ups.name: required key is missing`,
  "out_of_range.yaml": `5:16: triggers.low_battery: expected at most 100`,
  "password_twice.yaml":
    `6:18: ups.password_file: set either password or password_file, not both`,
  "ntfy_bad_server.yaml":
    `7:15: notifications.channels.0.server: expected an http or https URL`,
  "ntfy_bad_topic.yaml":
    `7:14: notifications.channels.0.topic: expected a topic of 1 to 64 letters, digits, "-" or "_"`,
  "power_cycle_delay.yaml":
    `9:12: shutdown.power_cycle.delay: "1m" does not exceed the local shutdown's worst case "1m3s": the UPS would cut the power before the host has halted; lengthen the delay or shorten shutdown.local.timeout`,
  "relative_path.yaml":
    `5:10: paths.state: expected an absolute path (starting with "/")`,
  "remote_host_option.yaml":
    `6:13: shutdown.remotes.0.host: "-oProxyCommand=reboot" begins with "-", which ssh would read as an option`,
  "remote_without_user.yaml":
    `6:7: shutdown.remotes.0.user: required key is missing`,
  "slack_bad_url.yaml":
    `7:12: notifications.channels.0.url: expected an http or https URL`,
  "telegram_bad_chat_id.yaml":
    `8:16: notifications.channels.0.chat_id: expected a chat id such as -1001234567890, or a public channel such as "@ups_alerts"`,
  "telegram_bad_token.yaml":
    `7:18: notifications.channels.0.bot_token: expected a bot token as @BotFather gives it, such as "123456789:AA…"`,
  "telegram_without_chat_id.yaml":
    `6:7: notifications.channels.0.chat_id: required key is missing`,
  "telegram_without_token.yaml":
    `6:7: notifications.channels.0.bot_token: required key is missing`,
  "unknown_key.yaml":
    `4:3: ups.chek_interval: unknown key (did you mean "check_interval"?)`,
  "unknown_section.yaml":
    `4:1: notification: unknown key (did you mean "notifications"?)`,
  "username_without_password.yaml":
    `4:13: ups.username: a NUT username needs a password or password_file`,
  "wrong_type.yaml":
    `5:16: triggers.low_battery: expected a number, got a list`,
  "yaml_syntax.yaml": `4:1: invalid YAML: missing closing "quote`,
};

Deno.test("parseConfig() reports each invalid fixture as FILE:LINE:COL: key: message", async () => {
  const names = [];
  for await (const entry of Deno.readDir(new URL("invalid/", FIXTURES))) {
    if (entry.name !== "empty.yaml") names.push(entry.name);
  }
  assert.deepEqual(
    names.sort(),
    Object.keys(INVALID).sort(),
    "every fixture has an expectation",
  );
  for (const [name, expected] of Object.entries(INVALID)) {
    assert.deepEqual(await problemsOf(name), [
      `fixtures/configs/invalid/${name}:${expected}`,
    ]);
  }
});

Deno.test("parseConfig() reports an empty file", async () => {
  assert.deepEqual(await problemsOf("empty.yaml"), [
    "fixtures/configs/invalid/empty.yaml: the config is empty: set at least ups.name",
  ]);
});

Deno.test("parseConfig() reports every problem at once, in file order", () => {
  const text = [
    "ups:",
    "  name: ups@nas:99999",
    "  check_intervall: 2",
    "triggers:",
    "  low_battery: -1",
    "  depletion: {min_samples: 1.5}",
  ].join("\n");
  assert.throws(() => parseConfig(text, "c.yaml"), (error: unknown) => {
    assert.ok(error instanceof ConfigError);
    assert.deepEqual(error.message.split("\n"), [
      `c.yaml:2:9: ups.name: "99999" is not a port number (1-65535)`,
      `c.yaml:3:3: ups.check_intervall: unknown key (did you mean "check_interval"?)`,
      `c.yaml:5:16: triggers.low_battery: expected at least 0`,
      `c.yaml:6:28: triggers.depletion.min_samples: expected a whole number, got 1.5`,
    ]);
    return true;
  });
});

Deno.test("parseConfig() lists the known keys when a typo is not close to any", () => {
  assert.throws(
    () => parseConfig("ups:\n  name: u\npaths:\n  bogus: /x\n", "c.yaml"),
    new ConfigError([{
      file: "c.yaml",
      line: 4,
      column: 3,
      key: "paths.bogus",
      message:
        `unknown key (known: "state", "flag", "history", "durations", "pid")`,
    }]),
  );
});

Deno.test("parseConfig() never echoes a secret in its messages", () => {
  const cases = [
    'ups:\n  name: u\n  username: mon\n  password: "hunter2-secret\n',
    "ups:\n  name: u\n  username: mon\n  password: hunter2-secret\n  password_file: /p\n",
    "ups:\n  name: u\n  username: mon\n  password: [hunter2-secret]\n",
    "ups: {name: u}\nnotifications:\n  channels:\n    - {kind: discord, url: hunter2-secret}\n",
    "ups: {name: u}\nnotifications:\n  channels:\n    - {kind: webhook, url: 'https://x/hunter2-secret', headers: {A: [hunter2-secret]}}\n",
  ];
  for (const text of cases) {
    assert.throws(() => parseConfig(text, "c.yaml"), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.ok(!error.message.includes("hunter2"), error.message);
      return true;
    });
  }
});

Deno.test("parseConfig() refuses a NUT user or password upsd cannot take, without echoing it", () => {
  const ascii =
    "expected printable ASCII only (upsd drops control and non-ASCII characters)";
  const cases: [string, string, string][] = [
    ['"mon\\u0007"', "p", `3:13: ups.username: ${ascii}`],
    ["mon", '"hunter2\\u0007"', `4:13: ups.password: ${ascii}`],
    ["mon", '"hunter2\\t"', `4:13: ups.password: ${ascii}`],
    ["mon", "hunter2é", `4:13: ups.password: ${ascii}`],
    ["mon", "123456789", "4:13: ups.password: expected a string, got a number"],
    [
      "mon",
      `hunter2${"x".repeat(600)}`,
      "4:13: ups.password: expected at most 512 characters (upsd cuts longer words)",
    ],
  ];
  for (const [username, password, expected] of cases) {
    const text =
      `ups:\n  name: u\n  username: ${username}\n  password: ${password}\n`;
    assert.throws(() => parseConfig(text, "c.yaml"), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.equal(error.message, `c.yaml:${expected}`);
      return true;
    });
  }
});

Deno.test("parseConfig() gives the minimal config the seed's defaults", async () => {
  const config = parseConfig(
    await Deno.readTextFile(new URL("minimal.yaml", FIXTURES)),
    "minimal.yaml",
  );
  assert.equal(config.ups.name, "UPS@192.168.178.11");
  assert.equal(config.ups.check_interval, 1000);
  assert.equal(config.ups.max_stale_data_tolerance, 3);
  assert.equal(config.ups.tls, "starttls");
  assert.equal(config.triggers.low_battery, 20);
  assert.equal(config.triggers.critical_runtime, 600_000);
  assert.deepEqual(config.triggers.depletion, {
    "critical_rate": 15,
    window: 300_000,
    "grace_period": 90_000,
    "min_samples": 30,
  });
  assert.deepEqual(config.triggers.extended_time, {
    enabled: true,
    after: 900_000,
  });
  assert.equal(config.notifications.timeout, 3000);
  assert.equal(config.notifications.crisis_timeout, 10_000);
  assert.deepEqual(config.notifications.colors, {
    red: 15158332,
    orange: 15105570,
    yellow: 15844367,
    green: 3066993,
    blue: 3447003,
  });
  assert.deepEqual(config.notifications.channels, []);
  assert.equal(config.shutdown.dry_run, false);
  assert.equal(config.shutdown.vms.max_wait, 30_000);
  assert.equal(config.shutdown.filesystems.timeout, 15_000);
  assert.deepEqual(config.shutdown.local.command, ["shutdown", "-h", "now"]);
  assert.deepEqual(config.paths, {
    state: "/var/run/ups-monitor.state",
    flag: "/var/run/ups-shutdown-scheduled",
    history: "/var/run/ups-battery-history",
    durations: "/var/lib/ups-monitor/durations",
    pid: "/var/run/ups-monitor.pid",
  });
  assert.deepEqual(config.triggers.budget, { enabled: true, margin: 120_000 });
  assert.equal(config.logging.file, "/var/log/ups-monitor.log");
});

Deno.test("parseConfig() accepts durations as seconds or text", () => {
  const config = parseConfig(
    [
      "ups:",
      "  name: u",
      "  check_interval: 500ms",
      "  connect_timeout: 2",
      "  reply_timeout: '7'",
      "triggers:",
      "  critical_runtime: 1m30s",
      "  extended_time: {after: 1h}",
      "  depletion: {grace_period: 1.5s}",
    ].join("\n"),
    "c.yaml",
  );
  assert.equal(config.ups.check_interval, 500);
  assert.equal(config.ups.connect_timeout, 2000);
  assert.equal(config.ups.reply_timeout, 7000);
  assert.equal(config.triggers.critical_runtime, 90_000);
  assert.equal(config.triggers.extended_time.after, 3_600_000);
  assert.equal(config.triggers.depletion.grace_period, 1500);
});

Deno.test("loadConfig() reports a missing file, a directory and an unreadable or unusable password file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await assert.rejects(loadConfig(`${dir}/none.yaml`), {
      name: "ConfigError",
      message: `${dir}/none.yaml: cannot read the config: no such file`,
    });
    await assert.rejects(loadConfig(dir), {
      name: "ConfigError",
      message: `${dir}: cannot read the config: it is a directory`,
    });
    const config = `${dir}/c.yaml`;
    await Deno.writeTextFile(
      config,
      `ups:\n  name: u\n  username: mon\n  password_file: ${dir}/pw\n`,
    );
    await assert.rejects(loadConfig(config), {
      message:
        `${config}:4:3: ups.password_file: cannot read "${dir}/pw": no such file`,
    });
    await Deno.writeTextFile(`${dir}/pw`, "\n");
    await assert.rejects(loadConfig(config), {
      message:
        `${config}:4:3: ups.password_file: "${dir}/pw" is empty: its first line must be the password`,
    });
    for (const bad of ["hunter2\x07", "hunter2é", "hunter2\t"]) {
      await Deno.writeTextFile(`${dir}/pw`, `${bad}\n`);
      await assert.rejects(loadConfig(config), {
        message:
          `${config}:4:3: ups.password_file: the password in "${dir}/pw": expected printable ASCII only (upsd drops control and non-ASCII characters)`,
      });
    }
    await Deno.writeTextFile(`${dir}/pw`, "s3cret pass\nignored\n");
    const loaded = await loadConfig(config);
    assert.equal(loaded.nutPassword, "s3cret pass");
    assert.equal(loaded.config.ups.password, null);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadConfig() reads the power cycle's password file only when the step is enabled", async () => {
  await using dir = await makeTempDir();
  const config = `${dir.path}/c.yaml`;
  const write = (enabled: boolean) =>
    Deno.writeTextFile(
      config,
      `ups:\n  name: u\nshutdown:\n  power_cycle:\n    enabled: ${enabled}\n` +
        `    username: upsadmin\n    password_file: ${dir.path}/admin\n`,
    );
  await write(false);
  assert.equal((await loadConfig(config)).powerCyclePassword, null);
  await write(true);
  await assert.rejects(loadConfig(config), {
    message:
      `${config}:7:5: shutdown.power_cycle.password_file: cannot read "${dir.path}/admin": no such file`,
  });
  await Deno.writeTextFile(`${dir.path}/admin`, "adm1n pass\nignored\n");
  const loaded = await loadConfig(config);
  assert.equal(loaded.powerCyclePassword, "adm1n pass");
  assert.equal(loaded.nutPassword, null);
});

Deno.test("parseConfig() refuses zero timeouts and intervals, and an alias bomb", () => {
  assert.throws(
    () =>
      parseConfig(
        "ups: {name: u, check_interval: 0}\nshutdown: {local: {timeout: 0s}, vms: {max_wait: 0}}\n",
        "c.yaml",
      ),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.deepEqual(error.message.split("\n"), [
        "c.yaml:1:32: ups.check_interval: expected a duration above 0",
        "c.yaml:2:29: shutdown.local.timeout: expected a duration above 0",
      ]);
      return true;
    },
  );
  const bomb = ["a: &a [x, x, x, x, x, x, x, x, x, x]"];
  for (let i = 0; i < 6; i++) {
    bomb.push(
      `${"bcdefg"[i]}: &${"bcdefg"[i]} [${
        Array(10).fill(`*${"abcdef"[i]}`).join(", ")
      }]`,
    );
  }
  bomb.push("ups: {name: u}");
  assert.throws(
    () => parseConfig(bomb.join("\n"), "bomb.yaml"),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.match(error.message, /^bomb\.yaml: invalid YAML: /);
      return true;
    },
  );
});

Deno.test("loadConfig() reports a CA file it cannot read at its key", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(
      `${dir}/c.yaml`,
      `ups:\n  name: u\n  ca_file: ${dir}/ca.pem\n`,
    );
    await assert.rejects(loadConfig(`${dir}/c.yaml`), {
      name: "ConfigError",
      message:
        `${dir}/c.yaml:3:3: ups.ca_file: cannot read "${dir}/ca.pem": no such file`,
    });
    await Deno.writeTextFile(`${dir}/ca.pem`, "-----BEGIN CERTIFICATE-----\n");
    assert.deepEqual((await loadConfig(`${dir}/c.yaml`)).caCerts, [
      "-----BEGIN CERTIFICATE-----\n",
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadConfig() refuses a password or CA file that is not a regular file or too large", async () => {
  await using dir = await makeTempDir();
  const config = dir.join("c.yaml");
  await Deno.symlink("/dev/zero", dir.join("pw"));
  await Deno.writeTextFile(
    config,
    `ups:\n  name: u\n  username: mon\n  password_file: ${dir.path}/pw\n`,
  );
  await assert.rejects(loadConfig(config), {
    name: "ConfigError",
    message:
      `${config}:4:3: ups.password_file: cannot read "${dir.path}/pw": it is not a regular file`,
  });
  await Deno.writeTextFile(dir.join("ca.pem"), "x".repeat(5 * 1024 * 1024));
  await Deno.writeTextFile(
    config,
    `ups: {name: u, ca_file: ${dir.path}/ca.pem}\n`,
  );
  await assert.rejects(loadConfig(config), {
    message:
      `${config}:1:16: ups.ca_file: cannot read "${dir.path}/ca.pem": it is larger than 4194304 bytes`,
  });
});

Deno.test("loadConfig() with checkKeyFiles reports an SSH key file of an enabled remote that does not exist at its key", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${dir}/keys`);
    await Deno.writeTextFile(
      `${dir}/c.yaml`,
      [
        "ups: {name: u}",
        "shutdown:",
        "  remotes:",
        "    - {name: nas, host: nas.lan, user: admin, identity_file: " +
        `${dir}/id_nas_shutdown}`,
        "    - {host: old.lan, user: x, enabled: false, identity_file: " +
        `${dir}/gone}`,
        `    - {host: pi.lan, user: pi, identity_file: ${dir}/keys}`,
        "",
      ].join("\n"),
    );
    // Only check and run use the keys; the other commands load it as it is.
    assert.equal(
      (await loadConfig(`${dir}/c.yaml`)).config.shutdown.remotes.length,
      3,
    );
    await assert.rejects(loadConfig(`${dir}/c.yaml`, { checkKeyFiles: true }), {
      name: "ConfigError",
      message: [
        `${dir}/c.yaml:4:47: shutdown.remotes.0.identity_file: the SSH key "${dir}/id_nas_shutdown" of remote "nas" does not exist: create it with "ssh-keygen -t ed25519 -f ${dir}/id_nas_shutdown" and copy it to the remote with "ssh-copy-id -i ${dir}/id_nas_shutdown.pub admin@nas.lan", or set identity_file to the key the remote accepts`,
        `${dir}/c.yaml:6:32: shutdown.remotes.2.identity_file: the SSH key "${dir}/keys" of remote "pi.lan" is not a file`,
      ].join("\n"),
    });
    await Deno.writeTextFile(`${dir}/id_nas_shutdown`, "");
    await Deno.remove(`${dir}/keys`);
    await Deno.writeTextFile(`${dir}/keys`, "");
    const loaded = await loadConfig(`${dir}/c.yaml`, { checkKeyFiles: true });
    assert.equal(
      loaded.config.shutdown.remotes[0]?.identity_file,
      `${dir}/id_nas_shutdown`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
