import assert from "node:assert/strict";
import { readProcFile } from "./proc_file.ts";
import { createRunner } from "./exec.ts";
import { SILENT_LOGGER } from "./log.ts";
import { BOOT_ID_PATH } from "./permissions.ts";
import { makeTempDir } from "../testing/temp_dir.ts";

const runner = createRunner({ logger: SILENT_LOGGER, dryRun: false });

async function cat(path: string): Promise<string> {
  const result = await runner.run("cat", [path], {
    kind: "query",
    timeoutMs: 5000,
  });
  assert.equal(result.code, 0, result.stderr);
  return result.stdout;
}

Deno.test({
  name: "readProcFile() reads /proc through libc as cat reads it",
  ignore: Deno.permissions.querySync({ name: "ffi" }).state !== "granted",
}, async () => {
  // The test process's own files: the same bytes for both readers.
  const paths = [BOOT_ID_PATH, `/proc/${Deno.pid}/cmdline`];
  for (const path of paths) {
    assert.deepEqual(await readProcFile(path, runner), {
      text: await cat(path),
    });
  }
  // A file of several pages, as cat sees it (the kernel hands this one over
  // in one read; the FIFO test below covers reading in pieces). The
  // environment of a sleeping child holds still and is as large as given.
  const sleeper = new Deno.Command("sleep", {
    args: ["30"],
    env: { FILLER: "x".repeat(20_000) },
  }).spawn();
  try {
    const environ = `/proc/${sleeper.pid}/environ`;
    // Until sleep has replaced the forked child.
    while (!(await cat(environ)).includes("FILLER=")) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const read = await readProcFile(environ, runner);
    assert.ok("text" in read && read.text.length > 20_000, "several pages");
    assert.deepEqual(read, { text: await cat(environ) });
  } finally {
    sleeper.kill("SIGKILL");
    await sleeper.status;
  }
  assert.deepEqual(await readProcFile("/proc/999999999/stat", runner), {
    error: "No such file or directory",
  });
});

Deno.test({
  name:
    "readProcFile() through libc reads on until the end, however the kernel splits it",
  ignore: Deno.permissions.querySync({ name: "ffi" }).state !== "granted",
}, async () => {
  // A FIFO whose writer sends two pieces 200 ms apart: two reads and the end.
  await using dir = await makeTempDir({ prefix: "ups-monitor-proc-" });
  const fifo = dir.join("pieces");
  const made = await new Deno.Command("mkfifo", { args: [fifo] }).output();
  assert.equal(made.code, 0);
  const writer = new Deno.Command(Deno.execPath(), {
    args: [
      "eval",
      `const f = await Deno.open(${JSON.stringify(fifo)}, { write: true });
       await f.write(new TextEncoder().encode("first "));
       await new Promise((resolve) => setTimeout(resolve, 200));
       await f.write(new TextEncoder().encode("second"));
       f.close();`,
    ],
  }).spawn();
  assert.deepEqual(await readProcFile(fifo, runner), { text: "first second" });
  assert.equal((await writer.status).code, 0);
});

Deno.test("readProcFile() without FFI runs cat and names why a file cannot be read", async () => {
  await using dir = await makeTempDir({ prefix: "ups-monitor-proc-" });
  const script = dir.join("read.ts");
  const module = (name: string) => JSON.stringify(import.meta.resolve(name));
  await Deno.writeTextFile(
    script,
    `import { readProcFile } from ${module("./proc_file.ts")};
     import { createRunner } from ${module("./exec.ts")};
     import { SILENT_LOGGER } from ${module("./log.ts")};
     const runner = createRunner({ logger: SILENT_LOGGER, dryRun: false });
     console.log(JSON.stringify([
       await readProcFile("${BOOT_ID_PATH}", runner),
       await readProcFile("/proc/999999999/stat", runner),
     ]));`,
  );
  // Only `cat` may run; no ffi.
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", "--no-prompt", "--allow-run=cat", script],
    stdout: "piped",
    stderr: "piped",
  });
  const output = await child.output();
  const stderr = new TextDecoder().decode(output.stderr);
  assert.equal(output.code, 0, stderr);
  const [boot, missing] = JSON.parse(new TextDecoder().decode(output.stdout));
  assert.deepEqual(boot, { text: await cat(BOOT_ID_PATH) });
  assert.match(
    missing.error,
    /cat: \/proc\/999999999\/stat: No such file or directory$/,
  );
});
