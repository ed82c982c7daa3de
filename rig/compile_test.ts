import assert from "node:assert/strict";
import { createRunner } from "../lib/system/exec.ts";
import { MemoryLogger } from "../lib/testing/memory_logger.ts";
import { buildBundle } from "./bundle.ts";

/** This process's DENO_DIR and its npm cache. */
async function denoDirs(): Promise<{ denoDir: string; npmCache: string }> {
  const info = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json"],
    stdout: "piped",
    stderr: "null",
  }).output();
  return JSON.parse(new TextDecoder().decode(info.stdout));
}

/**
 * A fresh DENO_DIR that shares this process's npm packages and the esbuild
 * that `deno bundle` downloads on first use (fetched here first, with the
 * network this test runs with), so the compile needs no network until
 * denort.
 */
async function freshDenoDir(): Promise<string> {
  const scratch = await Deno.makeTempDir();
  try {
    assert.equal(await buildBundle(`${scratch}/warm.js`), null);
  } finally {
    await Deno.remove(scratch, { recursive: true });
  }
  const { denoDir, npmCache } = await denoDirs();
  const fresh = await Deno.makeTempDir();
  await Deno.symlink(npmCache, `${fresh}/npm`);
  await Deno.mkdir(`${fresh}/dl`);
  for await (const entry of Deno.readDir(`${denoDir}/dl`)) {
    if (entry.name.startsWith("esbuild")) {
      await Deno.symlink(
        `${denoDir}/dl/${entry.name}`,
        `${fresh}/dl/${entry.name}`,
      );
    }
  }
  return fresh;
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
    // The bundle with its type check in a fresh cache (about 6 s here) plus
    // the failed download; the runner's timeout bounds it if deno ever retries.
    timeout: 150_000,
  },
  async () => {
    const denoDir = await freshDenoDir();
    const out = await Deno.makeTempDir();
    await using proxy = refusingProxy();
    try {
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
          "Without a binary, run the program as tests and the rig do: deno run -P=daemon --no-prompt --v8-flags=--single-threaded,--max-semi-space-size=1,--no-lazy,--no-opt main.ts",
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
