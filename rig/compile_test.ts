import assert from "node:assert/strict";
import { createRunner } from "../lib/system/exec.ts";
import { MemoryLogger } from "../lib/testing/memory_logger.ts";

/** The npm cache of this process's DENO_DIR, so a fresh one needs no npm. */
async function npmCache(): Promise<string> {
  const info = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json"],
    stdout: "piped",
    stderr: "null",
  }).output();
  const { npmCache } = JSON.parse(new TextDecoder().decode(info.stdout)) as {
    npmCache: string;
  };
  return npmCache;
}

/**
 * A loopback "proxy" that hangs up on every connection: with HTTPS_PROXY
 * pointing at it, deno's download of denort fails at once on any machine,
 * online or not, instead of waiting on DNS or a firewall.
 */
function refusingProxy(): Deno.TcpListener & AsyncDisposable {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepting = (async () => {
    for await (const conn of listener) conn.close();
  })().catch(() => {/* the listener was closed: nothing left to accept */});
  return Object.assign(listener, {
    async [Symbol.asyncDispose]() {
      listener.close();
      await accepting;
    },
  });
}

Deno.test(
  "deno task compile runs deno compile and, when denort cannot be downloaded, explains the offline way, writing nothing",
  {
    // One type check of main.ts in a fresh cache (about 6 s here) plus the
    // failed download; the runner's timeout bounds it if deno ever retries.
    timeout: 150_000,
  },
  async () => {
    const denoDir = await Deno.makeTempDir();
    const out = await Deno.makeTempDir();
    await using proxy = refusingProxy();
    try {
      await Deno.symlink(await npmCache(), `${denoDir}/npm`);
      const proxyUrl = `http://127.0.0.1:${proxy.addr.port}`;
      const runner = createRunner({
        logger: new MemoryLogger(),
        dryRun: false,
      });
      const result = await runner.run(Deno.execPath(), [
        "run",
        "--quiet",
        "-A",
        new URL("./compile.ts", import.meta.url).pathname,
        "--output",
        `${out}/ups-monitor`,
      ], {
        timeoutMs: 120_000,
        kind: "query",
        env: {
          DENO_DIR: denoDir,
          NO_COLOR: "1",
          HTTPS_PROXY: proxyUrl,
          "https_proxy": proxyUrl,
          NO_PROXY: "",
          "no_proxy": "",
        },
      });
      const { stderr } = result;
      assert.equal(result.timedOut, false, stderr);
      assert.equal(result.code, 1, stderr);
      const url =
        `https://dl.deno.land/release/v${Deno.version.deno}/denort-${Deno.build.target}.zip`;
      assert.ok(
        stderr.includes(`Download ${url}`),
        `deno compile tried the download:\n${stderr}`,
      );
      const explanation = stderr.slice(stderr.indexOf("Cannot compile"));
      assert.equal(
        explanation,
        [
          `Cannot compile ups-monitor for "${Deno.build.target}": deno compile exited with 1 and the denort base binary of Deno ${Deno.version.deno} is not at hand`,
          "deno compile downloads it from dl.deno.land (its error is above). Offline, provide it in one of these places:",
          "  DENORT_BIN: path of an unzipped denort binary",
          `  ${denoDir}/dl/release/v${Deno.version.deno}/denort-${Deno.build.target}.zip: the zip from ${url}`,
          "Without a binary, run the program as tests and the rig do: deno run -P=daemon --no-prompt --v8-flags=--single-threaded,--max-semi-space-size=1 main.ts",
          "",
        ].join("\n"),
      );
      assert.deepEqual(
        await Array.fromAsync(Deno.readDir(out)),
        [],
        "no file, not even a partial one",
      );
    } finally {
      await Deno.remove(denoDir, { recursive: true });
      await Deno.remove(out, { recursive: true });
    }
  },
);
