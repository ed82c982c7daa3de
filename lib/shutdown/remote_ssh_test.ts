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
import { buildPlan } from "./plan.ts";
import { checkRemotes } from "./remote_check.ts";
import { checkKnownHosts } from "./ssh.ts";
import { remotesStep } from "./steps/remotes.ts";

const SEED_COMMAND = ["sudo", "-i", "synoshutdown", "-s"];

function remoteConfig(
  dir: string,
  sshd: TestSshd,
  remote: Record<string, unknown> = {},
) {
  return shutdownConfig(dir, {
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
}

async function runRemotes(config: ReturnType<typeof remoteConfig>) {
  const logger = new MemoryLogger();
  const step = buildPlan(config).steps.find((s) => s.id === "remotes");
  assert.ok(step);
  return await remotesStep({
    config,
    runner: createRunner({ logger, dryRun: false }),
    logger,
    clock: systemClock,
    action: () => {},
  }, step);
}

Deno.test({
  name:
    "remotesStep() and checkRemotes() against a real sshd with the seed's sudoers line",
  ignore: IGNORE_WITHOUT_SSHD,
  timeout: 120_000,
  async fn(t) {
    await using dir = await makeTempDir();
    await using sshd = await startSshd();
    const logger = new MemoryLogger();
    const runner = createRunner({ logger, dryRun: false });

    await t.step("a known_hosts mismatch is refused", async () => {
      const config = remoteConfig(dir.path, sshd, {
        "known_hosts": sshd.wrongKnownHosts,
      });
      const outcome = await runRemotes(config);
      assert.equal(outcome.status, "failed");
      assert.match(
        outcome.details[0] ?? "",
        /^nas: ssh failed: Host key verification failed\.$/,
      );
      const [check] = await checkRemotes(config, { runner, logger });
      assert.equal(check?.ok, false);
      assert.match(
        check?.message ?? "",
        /^Remote "nas": the host key of "ups-nas-test@127\.0\.0\.1:\d+" is not in ".*wrong_known_hosts" or does not match it/,
      );
      assert.deepEqual(await sshd.synoshutdownRuns(), []);
    });

    await t.step(
      "checkKnownHosts() finds the key and warns with a fix when it is missing",
      async () => {
        const good = remoteConfig(dir.path, sshd);
        assert.deepEqual(await checkKnownHosts(good, { runner, logger }), []);
        const empty = dir.join("empty_known_hosts");
        await Deno.writeTextFile(empty, "");
        const [warning] = await checkKnownHosts(
          remoteConfig(dir.path, sshd, { "known_hosts": empty }),
          { runner, logger },
        );
        assert.equal(
          warning?.message,
          `Remote "nas" has no key for "[127.0.0.1]:${sshd.port}" in "${empty}"; the shutdown command would be refused`,
        );
        assert.match(
          warning?.fix ?? "",
          new RegExp(`^ssh-keyscan -p ${sshd.port} 127\\.0\\.0\\.1 >> `),
        );
      },
    );

    await t.step(
      "check --remote proves the default command without running it",
      async () => {
        const config = remoteConfig(dir.path, sshd);
        const [check] = await checkRemotes(config, { runner, logger });
        assert.deepEqual(check, {
          remote: "nas",
          ok: true,
          message:
            `Remote "nas": sudo allows "sudo -n /usr/syno/sbin/synoshutdown -s" without a password (/usr/syno/sbin/synoshutdown -s); host key found in "${sshd.knownHosts}"`,
        });
        assert.deepEqual(await sshd.synoshutdownRuns(), []);
      },
    );

    // The old script's users have the key in root's known_hosts, the second
    // file of the default list; the first may be missing or hold an old key.
    const missing = dir.join("missing_known_hosts");
    const secondOnly = [missing, sshd.knownHosts];

    await t.step(
      "a key found only in the second known_hosts file is accepted, and check --remote names that file",
      async () => {
        for (const first of [missing, sshd.wrongKnownHosts]) {
          const config = remoteConfig(dir.path, sshd, {
            "known_hosts": [first, sshd.knownHosts],
          });
          assert.deepEqual(
            await checkKnownHosts(config, { runner, logger }),
            [],
            first,
          );
          const [check] = await checkRemotes(config, { runner, logger });
          assert.equal(check?.ok, true, check?.message);
          assert.ok(
            check?.message.endsWith(
              `(/usr/syno/sbin/synoshutdown -s); host key found in "${sshd.knownHosts}"`,
            ),
            check?.message,
          );
        }
        const [warning] = await checkKnownHosts(
          remoteConfig(dir.path, sshd, {
            "known_hosts": [missing, dir.join("also_missing")],
          }),
          { runner, logger },
        );
        assert.equal(
          warning?.message,
          `Remote "nas" has no key for "[127.0.0.1]:${sshd.port}" in "${missing}" or "${
            dir.join("also_missing")
          }"; the shutdown command would be refused`,
        );
        assert.deepEqual(await sshd.synoshutdownRuns(), []);
      },
    );

    await t.step(
      "the default command sudo -n /usr/syno/sbin/synoshutdown -s works",
      async () => {
        // With the host key in the second known_hosts file only.
        const outcome = await runRemotes(
          remoteConfig(dir.path, sshd, { "known_hosts": secondOnly }),
        );
        assert.deepEqual(outcome, {
          status: "done",
          summary: "1 of 1 remotes accepted the command",
          details: ["nas: command accepted"],
        });
        assert.deepEqual(await sshd.synoshutdownRuns(), ["-s"]);
      },
    );

    await t.step(
      "the seed's sudo -i synoshutdown -s fails and check --remote catches it",
      async () => {
        const config = remoteConfig(dir.path, sshd, { command: SEED_COMMAND });
        const [check] = await checkRemotes(config, { runner, logger });
        assert.equal(check?.ok, false);
        assert.match(
          check?.message ?? "",
          /^Remote "nas": "sudo -i synoshutdown -s" would be refused: sudo -i and -s run the command through a shell/,
        );
        const outcome = await runRemotes(config);
        assert.equal(outcome.status, "failed");
        assert.match(
          outcome.details[0] ?? "",
          /^nas: the remote command exited with code 1/,
        );
        assert.deepEqual(await sshd.synoshutdownRuns(), ["-s"]);
      },
    );
  },
});
