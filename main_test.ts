import assert from "node:assert/strict";
import { COMMANDS, main } from "./main.ts";
import { makeFakeTools } from "./lib/testing/fake_tools.ts";
import { makeRunDir } from "./lib/testing/temp_dir.ts";
import { runProgram } from "./lib/testing/program.ts";

const FIXTURES = new URL("./fixtures/", import.meta.url).pathname;

/**
 * Copies a fixture into a directory the daemon's permission set can read
 * (it reads configs from /etc/ups-monitor and /run, not from a checkout).
 */
async function readable(dir: string, fixture: string): Promise<string> {
  const path = `${dir}/${fixture.split("/").at(-1)}`;
  await Deno.copyFile(`${FIXTURES}${fixture}`, path);
  return path;
}

const OLD_GUIDE_KEY = "/root/.ssh/id_nas_shutdown";

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    // Missing (or unreadable): not there for the test's purpose.
    return false;
  }
}

async function runMain(args: string[]) {
  let stdout = "";
  let stderr = "";
  const code = await main(args, {
    stdout: { write: (text) => void (stdout += text) },
    stderr: { write: (text) => void (stderr += text) },
  });
  return { code, stdout, stderr };
}

Deno.test("main() prints the overview for --help and lists every command", async () => {
  const { code, stdout } = await runMain(["--help"]);
  assert.equal(code, 0);
  for (const name of Object.keys(COMMANDS)) {
    assert.match(stdout, new RegExp(`^  ${name} `, "m"));
  }
});

Deno.test("main() prints each command's usage for --help", async () => {
  for (const name of Object.keys(COMMANDS)) {
    const { code, stdout } = await runMain([name, "--help"]);
    assert.equal(code, 0, name);
    assert.match(stdout, /^Usage: ups-monitor /, name);
  }
});

Deno.test("main() rejects an unknown command or option with exit 2", async () => {
  const command = await runMain(["frobnicate"]);
  assert.equal(command.code, 2);
  assert.match(command.stderr, /^Unknown command "frobnicate"\n/);
  const option = await runMain(["check", "--bogus"]);
  assert.equal(option.code, 2);
  assert.match(
    option.stderr,
    /^Unknown option "--bogus"\n\nUsage: ups-monitor check/,
  );
  const missing = await runMain(["check", "--config"]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /^Option "--config" needs a value\n/);
  const extra = await runMain(["schema", "extra"]);
  assert.equal(extra.code, 2);
  assert.match(extra.stderr, /^Unexpected argument "extra"\n/);
});

Deno.test("main() rejects a --log-format other than text or json with exit 2", async () => {
  const cases = [
    ...Object.keys(COMMANDS).map((name) => ({
      args: [name, "--log-format", "xml"],
      usage: name === "run" ? "[run]" : name,
    })),
    { args: ["--log-format=xml"], usage: "[run]" },
  ];
  for (const { args, usage } of cases) {
    const { code, stderr } = await runMain(args);
    assert.equal(code, 2, args.join(" "));
    assert.ok(
      stderr.startsWith(
        'Option "--log-format" must be "text" or "json", not "xml"\n\n' +
          `Usage: ups-monitor ${usage}`,
      ),
      `${args.join(" ")}: ${stderr}`,
    );
  }
});

Deno.test("ups-monitor check prints the effective config with secrets masked", async () => {
  await using tools = await makeFakeTools({ engines: ["docker", "podman"] });
  await using run = await makeRunDir();
  const { code, stdout, stderr } = await runProgram(
    ["check", "--config", await readable(run.path, "configs/full.yaml")],
    { env: tools.env },
  );
  assert.equal(code, 0, stderr);
  assert.match(
    stdout,
    /^# Effective config of .*full\.yaml: defaults filled in, secrets masked\n/,
  );
  assert.match(stdout, /^ {2}password: "\*\*\*"$/m);
  assert.match(stdout, /^ {6}url: https:\/\/discord\.com\/\*\*\*$/m);
  assert.match(stdout, /^ {2}check_interval: 1s$/m);
  for (
    const secret of ["example-nut-password", "example-token", "/webhooks/"]
  ) {
    assert.ok(!stdout.includes(secret) && !stderr.includes(secret), secret);
  }
});

Deno.test("ups-monitor check exits 2 and lists every problem of an invalid config", async () => {
  await using run = await makeRunDir();
  const file = await readable(run.path, "configs/invalid/password_twice.yaml");
  const text = await runProgram(["check", "--config", file]);
  assert.equal(text.code, 2);
  assert.equal(
    text.stderr,
    `Invalid configuration:\n${file}:6:18: ups.password_file: set either password or password_file, not both\n`,
  );
  assert.ok(!text.stderr.includes("hunter2"));
  const json = await runProgram([
    "check",
    "--config",
    file,
    "--log-format",
    "json",
  ]);
  assert.equal(json.code, 2);
  const line = JSON.parse(json.stderr);
  assert.equal(line.event, "config.invalid");
  assert.deepEqual(line.issues, [{
    file,
    line: 6,
    column: 18,
    key: "ups.password_file",
    message: "set either password or password_file, not both",
  }]);
  const missing = await runMain(["check", "--config", `${FIXTURES}none.yaml`]);
  assert.equal(missing.code, 2);
  assert.equal(
    missing.stderr,
    `Invalid configuration:\n${FIXTURES}none.yaml: cannot read the config: no such file\n`,
  );
});

Deno.test("ups-monitor migrate prints a config that check accepts", async () => {
  await using tools = await makeFakeTools({ engines: ["docker"] });
  const dir = await Deno.makeTempDir({ dir: "/run" });
  try {
    for (const seed of ["ups_monitor_3.py", "ups_monitor_2.sh"]) {
      const migrated = await runProgram([
        "migrate",
        await readable(dir, `seed/${seed}`),
      ]);
      assert.equal(migrated.code, 0, migrated.stderr);
      assert.match(migrated.stderr, /^note: .*unknown setting, not migrated$/m);
      const config = `${dir}/${seed}.yaml`;
      await Deno.writeTextFile(config, migrated.stdout);
      // The migrated remote names the old guide's key; check insists that
      // it exists (here it does not, unless this machine is a user's).
      if (!await exists(OLD_GUIDE_KEY)) {
        const refused = await runProgram(["check", "--config", config], {
          env: tools.env,
        });
        assert.equal(refused.code, 2, refused.stderr);
        assert.match(
          refused.stderr,
          /^.*: shutdown\.remotes\.0\.identity_file: the SSH key "\/root\/\.ssh\/id_nas_shutdown" of remote "nas" does not exist: /m,
        );
      }
      const key = `${dir}/id_nas_shutdown`;
      await Deno.writeTextFile(key, "");
      await Deno.writeTextFile(
        config,
        migrated.stdout.replaceAll(
          `identity_file: ${OLD_GUIDE_KEY}`,
          `identity_file: ${key}`,
        ),
      );
      const checked = await runProgram(["check", "--config", config], {
        env: tools.env,
      });
      assert.equal(checked.code, 0, checked.stderr);
    }
    const missing = await runMain(["migrate", `${dir}/none.py`]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /^Cannot read ".*none\.py": no such file\n/);
    await Deno.writeTextFile(`${dir}/other.py`, "print('hello')\n");
    const other = await runMain(["migrate", `${dir}/other.py`]);
    assert.equal(other.code, 2);
    assert.match(
      other.stderr,
      /^Cannot migrate ".*other\.py": it has no settings of the old script\n/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("ups-monitor schema prints a JSON Schema and version prints the versions", async () => {
  const schema = await runMain(["schema"]);
  assert.equal(schema.code, 0);
  const parsed = JSON.parse(schema.stdout);
  assert.equal(parsed.$schema, "https://json-schema.org/draft/2020-12/schema");
  assert.deepEqual(parsed.required, ["ups"]);
  const version = await runProgram(["version"]);
  assert.equal(version.code, 0);
  assert.match(
    version.stdout,
    /^ups-monitor \d+\.\d+\.\d+\ndeno 2\.\d+\.\d+ .*\npermissions \(the daemon set\):\n/,
  );
  assert.match(
    version.stdout,
    /^ {2}read {3}\/etc\/ups-monitor \/run .* \(granted\)$/m,
  );
  assert.match(
    version.stdout,
    /^ {2}write {2}\/run \/var\/run \/var\/log \/var\/lib\/ups-monitor \(granted\)$/m,
  );
  assert.match(version.stdout, /^ {2}run {4}all \(granted: all\)$/m);
});

Deno.test("ups-monitor check takes the log format from the config unless --log-format is given", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(
      `${dir}/c.yaml`,
      "ups: {name: u}\nlogging: {format: json}\nshutdown: {vms: {enabled: false}, containers: {enabled: false}}\n",
    );
    const fromConfig = await runMain(["check", "--config", `${dir}/c.yaml`]);
    assert.equal(fromConfig.code, 0);
    assert.equal(JSON.parse(fromConfig.stderr).event, "config.valid");
    const fromFlag = await runMain([
      "check",
      "--config",
      `${dir}/c.yaml`,
      "--log-format",
      "text",
    ]);
    assert.equal(fromFlag.code, 0);
    assert.match(fromFlag.stderr, /Config is valid event=config\.valid/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("ups-monitor check refuses a config that names what the permissions do not grant", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const config = `${dir}/config.yaml`;
    await Deno.writeTextFile(
      config,
      [
        "ups:",
        "  name: ups@127.0.0.1:3493",
        "paths:",
        `  state: ${dir}/state/ups.state`,
        "logging:",
        "  file: null",
        "shutdown: {vms: {enabled: false}, containers: {enabled: false}}",
      ].join("\n"),
    );
    // A narrow grant of our own: the config may be read, nothing else.
    const output = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--quiet",
        "--no-prompt",
        `--allow-read=${
          new URL("./", import.meta.url).pathname
        },${config},/usr/bin,/usr/sbin,/bin,/sbin`,
        "--allow-net=127.0.0.1:3493",
        "--allow-run=sync,shutdown,cat",
        "--allow-sys=osUptime",
        "--allow-env",
        new URL("./main.ts", import.meta.url).pathname,
        "check",
        "--config",
        config,
      ],
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).output();
    const stderr = new TextDecoder().decode(output.stderr);
    assert.equal(output.code, 2, stderr);
    assert.deepEqual(stderr.trimEnd().split("\n"), [
      "Invalid configuration:",
      `${config}:4:3: paths.state: read access to "${dir}/state/ups.state" is not granted to this program`,
      `${config}:4:3: paths.state: write access to "${dir}/state" is not granted to this program`,
      `${config}:3:1: paths.flag: read access to "/var/run/ups-shutdown-scheduled" is not granted to this program`,
      `${config}:3:1: paths.flag: write access to "/var/run" is not granted to this program`,
      `${config}:3:1: paths.history: read access to "/var/run/ups-battery-history" is not granted to this program`,
      `${config}:3:1: paths.history: write access to "/var/run" is not granted to this program`,
      `${config}:3:1: paths.durations: read access to "/var/lib/ups-monitor/durations" is not granted to this program`,
      `${config}:3:1: paths.durations: write access to "/var/lib/ups-monitor" is not granted to this program`,
      `${config}:3:1: paths.pid: read access to "/var/run/ups-monitor.pid" is not granted to this program`,
      `${config}:3:1: paths.pid: write access to "/var/run" is not granted to this program`,
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("ups-monitor check reports each command an enabled step needs that is not installed", async () => {
  await using run = await makeRunDir();
  const file = await readable(run.path, "configs/minimal.yaml");
  const { code, stderr } = await runProgram(
    ["check", "--config", file],
    { env: { PATH: "/nonexistent" } },
  );
  assert.equal(code, 2);
  assert.deepEqual(stderr.trimEnd().split("\n"), [
    "Invalid configuration:",
    `${file}: shutdown.vms.enabled: "virsh" is not installed: install libvirt-clients, or set shutdown.vms.enabled: false`,
    `${file}: shutdown.containers.engine: neither "docker" nor "podman" is installed: install docker or podman, or set shutdown.containers.enabled: false`,
    `${file}: shutdown.sync.enabled: "sync" is not installed: install coreutils, or set shutdown.sync.enabled: false`,
    `${file}: shutdown.local.command: "shutdown" is not installed: install it, or set shutdown.local.command to the command that powers this host off`,
  ]);
});

Deno.test("ups-monitor check and run refuse an SSH key file that does not exist, exit 2", async () => {
  await using run = await makeRunDir();
  const config = `${run.path}/config.yaml`;
  const key = `${run.path}/id_nas_shutdown`;
  await Deno.writeTextFile(
    config,
    `ups: {name: ups@127.0.0.1:9}\nshutdown:\n  remotes:\n    - {name: nas, host: nas.lan, user: admin, identity_file: ${key}}\n`,
  );
  for (const command of ["check", "run"]) {
    const result = await runProgram([command, "--config", config]);
    assert.equal(result.code, 2, command);
    assert.deepEqual(result.stderr.trimEnd().split("\n"), [
      "Invalid configuration:",
      `${config}:4:47: shutdown.remotes.0.identity_file: the SSH key "${key}" of remote "nas" does not exist: create it with "ssh-keygen -t ed25519 -f ${key}" and copy it to the remote with "ssh-copy-id -i ${key}.pub admin@nas.lan", or set identity_file to the key the remote accepts`,
    ], command);
  }
});

Deno.test("ups-monitor run under the daemon's permissions refuses a config naming paths outside them, exit 2", async () => {
  await using run = await makeRunDir();
  const config = `${run.path}/config.yaml`;
  await Deno.writeTextFile(
    config,
    "ups: {name: ups@127.0.0.1:9}\npaths: {state: /srv/ups-monitor/state}\nlogging: {file: /home/ups.log}\n",
  );
  const result = await runProgram(["run", "--config", config]);
  assert.equal(result.code, 2);
  assert.deepEqual(result.stderr.trimEnd().split("\n"), [
    "Invalid configuration:",
    `${config}:2:9: paths.state: read access to "/srv/ups-monitor/state" is not granted to this program`,
    `${config}:2:9: paths.state: write access to "/srv/ups-monitor" is not granted to this program`,
    `${config}:3:11: logging.file: read access to "/home/ups.log" is not granted to this program`,
    `${config}:3:11: logging.file: write access to "/home/ups.log" is not granted to this program`,
  ]);
});

Deno.test({
  name:
    "ups-monitor check refuses a config path that is a FIFO at once, exit 2",
  timeout: 30_000,
}, async () => {
  await using run = await makeRunDir();
  const config = `${run.path}/config.yaml`;
  const mkfifo = await new Deno.Command("mkfifo", { args: [config] }).output();
  assert.equal(mkfifo.code, 0);
  const started = performance.now();
  const result = await runProgram(["check", "--config", config]);
  const took = performance.now() - started;
  assert.equal(result.code, 2);
  assert.equal(
    result.stderr,
    `Invalid configuration:\n${config}: cannot read the config: it is not a regular file\n`,
  );
  assert.ok(took < 10_000, `took ${Math.round(took)} ms`);
});
