/**
 * The rig's NAS stand-in with the real ssh client: key authentication,
 * strict host key checking, and the sudoers rule that allows only the
 * Synology shutdown command. Without a container engine the tests are
 * ignored with the install command printed, except under CI=true.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { makeTempDir } from "../lib/testing/temp_dir.ts";
import { detectEngine, Engine, EngineUnavailableError } from "./engine.ts";
import { ensureImages } from "./image.ts";
import { type Nas, NAS_SHUTDOWN_COMMAND, startNas } from "./nas.ts";

const IN_CI = Deno.env.get("CI") === "true";
const TIMEOUT = 180_000;

const found: Engine | Error = await detectEngine("auto").catch((error) => {
  if (!(error instanceof EngineUnavailableError)) throw error;
  if (!IN_CI) {
    Deno.stderr.writeSync(
      new TextEncoder().encode(`${error.message}: NAS tests ignored\n`),
    );
  }
  return error;
});

// Built here, outside every test's timeout: the first build on a machine
// runs debootstrap (about 40 s, longer on a slow mirror).
const BUILT = found instanceof Engine
  ? await ensureImages(found).catch((error: Error) => error)
  : null;

function test(what: string, fn: (nas: Nas, engine: Engine) => Promise<void>) {
  Deno.test({
    name: `startNas(): ${what}`,
    ignore: !(found instanceof Engine) && !IN_CI,
    timeout: TIMEOUT,
    async fn() {
      if (!(found instanceof Engine)) throw found;
      if (BUILT instanceof Error) throw BUILT;
      await using nas = await startNas({ engine: found });
      await fn(nas, found);
    },
  });
}

/** Runs `ssh` with the NAS's options and a remote command. */
function ssh(
  engine: Engine,
  nas: Nas,
  command: readonly string[],
  knownHostsFile?: string,
) {
  const options = knownHostsFile === undefined ? {} : { knownHostsFile };
  return engine.exec("ssh", [...nas.sshArgs(options), ...command], {
    timeoutMs: 30_000,
  });
}

test(
  "runs sudo -n synoshutdown -s with key auth and records it",
  async (nas, engine) => {
    const before = Date.now();
    const result = await ssh(engine, nas, NAS_SHUTDOWN_COMMAND);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /recorded a shutdown request \(-s\)/);
    const calls = await nas.shutdownCalls();
    assert.equal(calls.length, 1);
    const [call] = calls;
    assert.deepEqual(call?.args, ["-s"]);
    assert.equal(call?.uid, 0);
    assert.equal(call?.sudoUser, "nas-admin");
    assert.ok(
      Math.abs(call!.timeMs - before) < 60_000,
      "recorded with its time",
    );
  },
);

test("refuses the seed's sudo -i synoshutdown -s", async (nas, engine) => {
  for (
    const command of [
      ["sudo", "-i", "synoshutdown", "-s"],
      ["sudo", "-n", "-i", "synoshutdown", "-s"],
      ["sudo", "-n", "/usr/syno/sbin/synoshutdown", "-r"],
      ["/usr/syno/sbin/synoshutdown", "-s"],
    ]
  ) {
    const result = await ssh(engine, nas, command);
    assert.notEqual(result.code, 0, command.join(" "));
    assert.match(
      result.stderr,
      /sudo: a (terminal|password) is required|must be run as root/,
    );
  }
  assert.deepEqual(await nas.shutdownCalls(), []);
});

test(
  "ssh refuses a host key that is not in known_hosts",
  async (nas, engine) => {
    await using dir = await makeTempDir();
    const other = join(dir.path, "other");
    await engine.command("make another key", "ssh-keygen", [
      "-q",
      "-t",
      "ed25519",
      "-N",
      "",
      "-f",
      other,
    ]);
    const [type, key] = (await Deno.readTextFile(`${other}.pub`)).split(" ");
    const wrong = join(dir.path, "wrong_known_hosts");
    await Deno.writeTextFile(wrong, `[127.0.0.1]:${nas.port} ${type} ${key}\n`);
    const empty = join(dir.path, "empty_known_hosts");
    await Deno.writeTextFile(empty, "");
    for (const file of [wrong, empty]) {
      const result = await ssh(engine, nas, ["true"], file);
      assert.equal(result.code, 255);
      assert.match(result.stderr, /Host key verification failed/);
    }
    assert.deepEqual(await nas.shutdownCalls(), []);
  },
);

test("accepts no key but the handle's", async (nas, engine) => {
  await using dir = await makeTempDir();
  const stranger = join(dir.path, "stranger");
  await engine.command("make a stranger's key", "ssh-keygen", [
    "-q",
    "-t",
    "ed25519",
    "-N",
    "",
    "-f",
    stranger,
  ]);
  const args = nas.sshArgs();
  args[args.indexOf(nas.identityFile)] = stranger;
  const result = await engine.exec("ssh", [...args, "true"], {
    timeoutMs: 30_000,
  });
  assert.equal(result.code, 255);
  assert.match(result.stderr, /Permission denied \(publickey\)/);
});

test(
  "rekey() makes sshd present a new host key that the old known_hosts refuses",
  async (nas, engine) => {
    const knownHosts = await Deno.readTextFile(nas.knownHostsFile);
    const before = await ssh(engine, nas, ["true"]);
    assert.equal(before.code, 0, before.stderr);
    const key = await nas.rekey();
    assert.match(key, /^ssh-ed25519 AAAA\S+$/);
    assert.ok(!knownHosts.includes(key), "a key other than the old one");
    const after = await ssh(engine, nas, ["true"]);
    assert.equal(after.code, 255);
    assert.match(after.stderr, /REMOTE HOST IDENTIFICATION HAS CHANGED/);
    assert.match(after.stderr, /Host key verification failed/);
    assert.equal(await Deno.readTextFile(nas.knownHostsFile), knownHosts);
    // The same sshd serves the new key: a known_hosts with it logs in.
    await using dir = await makeTempDir();
    const updated = join(dir.path, "known_hosts");
    await Deno.writeTextFile(updated, `[127.0.0.1]:${nas.port} ${key}\n`);
    const again = await ssh(engine, nas, ["true"], updated);
    assert.equal(again.code, 0, again.stderr);
  },
);
