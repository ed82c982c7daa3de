/**
 * A real OpenSSH server on a loopback port standing in for the Synology NAS:
 * a generated host key, a test user with a generated client key, the seed's
 * sudoers line, and a recording `/usr/syno/sbin/synoshutdown`. Needs root.
 * Everything it adds to the system is removed on disposal. Test support only.
 *
 * @module
 */
import { makeTempDir, type TempDir } from "./temp_dir.ts";

const SSHD = "/usr/sbin/sshd";
const INSTALL = "apt-get install openssh-server openssh-client sudo";

/** The remote user the tests log in as. */
export const SSH_TEST_USER = "ups-nas-test";

/** The Synology shutdown program the sudoers line names. */
export const SYNOSHUTDOWN = "/usr/syno/sbin/synoshutdown";

function present(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false; // absent: the tests say how to install it
  }
}

/** Whether sshd, ssh and sudo are installed and this process is root. */
export const SSHD_USABLE = present(SSHD) && present("/usr/bin/ssh") &&
  present("/usr/bin/sudo") && Deno.uid() === 0;

/**
 * `ignore` for tests that need sshd: ignored where it is absent, except in
 * CI (there the test fails). Says once how to install it.
 */
export const IGNORE_WITHOUT_SSHD: boolean = (() => {
  if (SSHD_USABLE || Deno.env.get("CI") === "true") return false;
  Deno.stderr.writeSync(
    new TextEncoder().encode(
      `sshd, ssh or sudo is missing (or not root): tests that need them are ignored; install them with "${INSTALL}"\n`,
    ),
  );
  return true;
})();

async function run(program: string, args: string[]): Promise<string> {
  const output = await new Deno.Command(program, {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  if (!output.success) {
    throw new Error(
      `Cannot run "${program} ${args.join(" ")}": ${
        text.decode(output.stderr).trim()
      }`,
    );
  }
  return text.decode(output.stdout);
}

/** A running sshd; dispose it to stop it and undo every system change. */
export interface TestSshd extends AsyncDisposable {
  /** The loopback port. */
  readonly port: number;
  /** The client's private key for {@linkcode SSH_TEST_USER}. */
  readonly identityFile: string;
  /** A known_hosts file with the server's real key. */
  readonly knownHosts: string;
  /** A known_hosts file with a different key for the same host and port. */
  readonly wrongKnownHosts: string;
  /** How often the fake synoshutdown ran, with its arguments. */
  synoshutdownRuns(): Promise<string[]>;
}

function freePort(): number {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  return listener.addr.port;
}

async function waitForPort(port: number, child: Deno.ChildProcess) {
  let exited = false;
  child.status.then(() => exited = true);
  for (let i = 0; i < 100 && !exited; i++) {
    try {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      conn.close();
      return true;
    } catch {
      // Not listening yet.
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  return false;
}

/**
 * Starts sshd on a free loopback port with everything a remote test needs.
 *
 * @returns The server; dispose it.
 * @throws {Error} When sshd cannot be set up or started.
 */
export async function startSshd(): Promise<TestSshd> {
  const cleanups: (() => Promise<unknown>)[] = [];
  const dir: TempDir = await makeTempDir({ prefix: "ups-monitor-sshd-" });
  cleanups.push(async () => await dir[Symbol.asyncDispose]());
  const cleanup = async () => {
    for (const fn of cleanups.reverse()) {
      await fn().catch(() => {/* best effort: undo what can be undone */});
    }
  };
  try {
    // The privilege separation directory Debian's service would create.
    await Deno.mkdir("/run/sshd", { recursive: true, mode: 0o755 });
    if (
      (await run("getent", ["passwd", SSH_TEST_USER]).catch(() => "")) === ""
    ) {
      await run("useradd", [
        "--create-home",
        "--shell",
        "/bin/sh",
        SSH_TEST_USER,
      ]);
    }
    // "!" locks the account, which sshd refuses without PAM; "*" only
    // disables passwords.
    await run("usermod", ["-p", "*", SSH_TEST_USER]);
    await run("ssh-keygen", [
      "-q",
      "-t",
      "ed25519",
      "-N",
      "",
      "-f",
      dir.join("host_key"),
    ]);
    await run("ssh-keygen", [
      "-q",
      "-t",
      "ed25519",
      "-N",
      "",
      "-f",
      dir.join("other_key"),
    ]);
    await run("ssh-keygen", [
      "-q",
      "-t",
      "ed25519",
      "-N",
      "",
      "-f",
      dir.join("id_client"),
    ]);
    await Deno.copyFile(dir.join("id_client.pub"), dir.join("authorized_keys"));
    await Deno.chmod(dir.path, 0o755);
    await Deno.chmod(dir.join("authorized_keys"), 0o644);

    const sudoers = `/etc/sudoers.d/ups-monitor-test-${
      crypto.randomUUID().slice(0, 8)
    }`;
    await Deno.writeTextFile(
      sudoers,
      `${SSH_TEST_USER} ALL=(ALL) NOPASSWD: ${SYNOSHUTDOWN} -s\n`,
      { mode: 0o440 },
    );
    cleanups.push(() => Deno.remove(sudoers));

    const runs = dir.join("synoshutdown.runs");
    if (!present(SYNOSHUTDOWN)) {
      for (const d of ["/usr/syno", "/usr/syno/sbin"]) {
        if (!present(d)) {
          await Deno.mkdir(d, { mode: 0o755 });
          cleanups.push(() => Deno.remove(d));
        }
      }
      await Deno.writeTextFile(
        SYNOSHUTDOWN,
        `#!/bin/sh\necho "$*" >> '${runs}'\n`,
        { mode: 0o755 },
      );
      await Deno.chmod(SYNOSHUTDOWN, 0o755);
      cleanups.push(() => Deno.remove(SYNOSHUTDOWN));
    }

    const hostPub = (await Deno.readTextFile(dir.join("host_key.pub"))).trim()
      .split(" ").slice(0, 2).join(" ");
    const otherPub = (await Deno.readTextFile(dir.join("other_key.pub")))
      .trim().split(" ").slice(0, 2).join(" ");

    for (let attempt = 0; attempt < 5; attempt++) {
      const port = freePort();
      await Deno.writeTextFile(
        dir.join("sshd_config"),
        [
          `Port ${port}`,
          "ListenAddress 127.0.0.1",
          `HostKey ${dir.join("host_key")}`,
          `PidFile ${dir.join("sshd.pid")}`,
          `AuthorizedKeysFile ${dir.join("authorized_keys")}`,
          "StrictModes no",
          "UsePAM no",
          "PasswordAuthentication no",
          "KbdInteractiveAuthentication no",
          `AllowUsers ${SSH_TEST_USER}`,
          "",
        ].join("\n"),
      );
      const child = new Deno.Command(SSHD, {
        args: ["-D", "-e", "-f", dir.join("sshd_config")],
        stdin: "null",
        stdout: "null",
        stderr: "null",
      }).spawn();
      if (!await waitForPort(port, child)) {
        await child.status;
        continue; // the port was taken meanwhile: try another
      }
      await Deno.writeTextFile(
        dir.join("known_hosts"),
        `[127.0.0.1]:${port} ${hostPub}\n`,
      );
      await Deno.writeTextFile(
        dir.join("wrong_known_hosts"),
        `[127.0.0.1]:${port} ${otherPub}\n`,
      );
      cleanups.push(async () => {
        child.kill("SIGTERM");
        await child.status;
      });
      return {
        port,
        identityFile: dir.join("id_client"),
        knownHosts: dir.join("known_hosts"),
        wrongKnownHosts: dir.join("wrong_known_hosts"),
        async synoshutdownRuns() {
          const text = await Deno.readTextFile(runs).catch(() => "");
          return text.split("\n").filter((l) => l !== "");
        },
        [Symbol.asyncDispose]: cleanup,
      };
    }
    throw new Error("Cannot start sshd: no free loopback port after 5 tries");
  } catch (error) {
    await cleanup();
    throw error;
  }
}
