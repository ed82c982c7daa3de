import assert from "node:assert/strict";

Deno.test("deno task compile stops with a clear message when denort is missing, writing nothing", async () => {
  const denoDir = await Deno.makeTempDir();
  const out = await Deno.makeTempDir();
  try {
    const result = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--quiet",
        "-A",
        new URL("./compile.ts", import.meta.url).pathname,
        "--output",
        `${out}/ups-monitor`,
      ],
      env: { DENO_DIR: denoDir, NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(result.stderr);
    assert.equal(result.code, 1);
    assert.match(
      stderr,
      /^Cannot compile ups-monitor for "[^"]+": the denort base binary of Deno 2\.\d+\.\d+ is missing\n/,
    );
    assert.ok(
      stderr.includes(`${denoDir}/dl/release/v${Deno.version.deno}/denort-`),
      stderr,
    );
    assert.match(stderr, /DENORT_BIN/);
    assert.deepEqual(
      await Array.fromAsync(Deno.readDir(out)),
      [],
      "no file, not even a partial one",
    );
  } finally {
    await Deno.remove(denoDir, { recursive: true });
    await Deno.remove(out, { recursive: true });
  }
});
