import assert from "node:assert/strict";
import { systemClock } from "../system/clock.ts";
import { createRunner } from "../system/exec.ts";
import { MemoryLogger } from "../testing/memory_logger.ts";
import { shutdownConfig } from "../testing/shutdown_config.ts";
import {
  IGNORE_WITHOUT_SSHD,
  SSH_TEST_USER,
  startSshd,
  type TestSshd,
} from "../testing/sshd.ts";
import { makeTempDir } from "../testing/temp_dir.ts";
import { runChecks } from "./checks.ts";
import { remoteChecks } from "./remotes.ts";
import type { RoundResult } from "./state.ts";

/** Runs the readiness check of one remote against the test's sshd. */
async function checkNas(
  dir: string,
  sshd: TestSshd,
  remote: Record<string, unknown> = {},
): Promise<RoundResult> {
  const config = shutdownConfig(dir, {
    remotes: [{
      name: "nas",
      host: "127.0.0.1",
      port: sshd.port,
      user: SSH_TEST_USER,
      "identity_file": sshd.identityFile,
      "known_hosts": sshd.knownHosts,
      "connect_timeout": "5s",
      timeout: "20s",
      ...remote,
    }],
  });
  const logger = new MemoryLogger();
  const [result] = await runChecks(remoteChecks(config), {
    config,
    // Dry-run: the check's ssh call is a query and still runs.
    runner: createRunner({ logger, dryRun: true }),
    logger,
    fetch,
    clock: systemClock,
    timeoutMs: 20_000,
  });
  assert.ok(result);
  assert.equal(result.id, "remotes.0");
  assert.equal(result.title, 'Remote "nas"');
  return result;
}

async function newKey(path: string): Promise<void> {
  const output = await new Deno.Command("ssh-keygen", {
    args: ["-q", "-t", "ed25519", "-N", "", "-f", path],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).output();
  assert.ok(output.success, new TextDecoder().decode(output.stderr));
}

Deno.test({
  name:
    "the remote check against a real sshd: ready, and each broken part named",
  ignore: IGNORE_WITHOUT_SSHD,
  timeout: 120_000,
  async fn(t) {
    await using dir = await makeTempDir();
    await using sshd = await startSshd();
    const where = `${SSH_TEST_USER}@127.0.0.1:${sshd.port}`;

    await t.step("a good remote is ready", async () => {
      const result = await checkNas(dir.path, sshd);
      assert.deepEqual([result.ready, result.detail], [
        true,
        `sudo allows "sudo -n /usr/syno/sbin/synoshutdown -s" without a password (/usr/syno/sbin/synoshutdown -s); host key found in "${sshd.knownHosts}"`,
      ]);
    });

    await t.step("a missing identity file is named with the fix", async () => {
      const missing = dir.join("id_missing");
      const result = await checkNas(dir.path, sshd, {
        "identity_file": missing,
      });
      assert.deepEqual([result.ready, result.detail], [
        false,
        `the identity file "${missing}" does not exist: create the key with "ssh-keygen -t ed25519 -N '' -f ${missing}" and add "${missing}.pub" to the authorized keys of "${SSH_TEST_USER}" on "127.0.0.1", or fix shutdown.remotes.0.identity_file`,
      ]);
    });

    await t.step("a key the remote does not know is refused", async () => {
      const stranger = dir.join("id_stranger");
      await newKey(stranger);
      const result = await checkNas(dir.path, sshd, {
        "identity_file": stranger,
      });
      assert.deepEqual([result.ready, result.detail], [
        false,
        `"${where}" refused the key "${stranger}" (${SSH_TEST_USER}@127.0.0.1: Permission denied (publickey).)`,
      ]);
    });

    await t.step("a changed host key is named with the fix", async () => {
      const result = await checkNas(dir.path, sshd, {
        "known_hosts": sshd.wrongKnownHosts,
      });
      const file = sshd.wrongKnownHosts;
      assert.deepEqual([result.ready, result.detail], [
        false,
        `the host key of "${where}" is not in "${file}" or does not match it (Host key verification failed.); if the machine's key changed on purpose, replace the entry: "ssh-keygen -R '[127.0.0.1]:${sshd.port}' -f ${file}", then "ssh-keyscan -p ${sshd.port} 127.0.0.1 >> ${file}" and compare "ssh-keygen -lf ${file}" with the fingerprint shown on the machine`,
      ]);
    });

    await t.step("a command the sudoers rule does not cover", async () => {
      const result = await checkNas(dir.path, sshd, {
        command: ["sudo", "-n", "/usr/syno/sbin/synoshutdown", "-r"],
      });
      assert.deepEqual([result.ready, result.detail], [
        false,
        `"sudo -n /usr/syno/sbin/synoshutdown -r" would be refused: no sudoers rule allows it; use "sudo -n" with the absolute path the sudoers rule names, e.g. "sudo -n /usr/syno/sbin/synoshutdown -r" for the rule "${SSH_TEST_USER} ALL=(ALL) NOPASSWD: /usr/syno/sbin/synoshutdown -r"`,
      ]);
    });

    // Not one check ran the shutdown command.
    assert.deepEqual(await sshd.synoshutdownRuns(), []);
  },
});
