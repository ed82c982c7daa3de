import assert from "node:assert/strict";
import {
  FileError,
  readTextBounded,
  readTextIfExists,
  writeFileAtomic,
  writeJsonAtomic,
} from "./files.ts";
import { makeTempDir } from "../testing/temp_dir.ts";

async function names(dir: string): Promise<string[]> {
  const found: string[] = [];
  for await (const entry of Deno.readDir(dir)) found.push(entry.name);
  return found.sort();
}

Deno.test("writeFileAtomic() replaces the content and leaves no temp file", async () => {
  await using dir = await makeTempDir();
  const path = dir.join("ups-monitor.state");
  await Deno.writeTextFile(path, "old content that is longer\n");
  await writeFileAtomic(path, "new\n");
  assert.equal(await Deno.readTextFile(path), "new\n");
  await writeFileAtomic(path, new Uint8Array([0x6f, 0x6b]));
  assert.equal(await Deno.readTextFile(path), "ok");
  assert.deepEqual(await names(dir.path), ["ups-monitor.state"]);
});

Deno.test("writeFileAtomic() sets the mode exactly, 0o640 by default (not world-readable)", async () => {
  await using dir = await makeTempDir();
  const plain = dir.join("plain");
  const secret = dir.join("secret");
  await writeFileAtomic(plain, "x");
  await writeFileAtomic(secret, "x", { mode: 0o600 });
  assert.equal((await Deno.stat(plain)).mode! & 0o777, 0o640);
  assert.equal((await Deno.stat(secret)).mode! & 0o777, 0o600);
});

Deno.test("writeFileAtomic() keeps the file whole under concurrent writers", async () => {
  await using dir = await makeTempDir();
  const path = dir.join("history");
  const contents = Array.from(
    { length: 20 },
    (_, i) => String(i).repeat(100_000),
  );
  await Promise.all(contents.map((text) => writeFileAtomic(path, text)));
  assert.ok(contents.includes(await Deno.readTextFile(path)));
  assert.deepEqual(await names(dir.path), ["history"]);
});

Deno.test("writeFileAtomic() names the path when the directory does not exist", async () => {
  await using dir = await makeTempDir();
  const path = dir.join("missing", "state.json");
  const error = await writeFileAtomic(path, "{}").then(
    () => null,
    (error: unknown) => error,
  );
  assert.ok(error instanceof FileError);
  assert.equal(error.name, "FileError");
  assert.equal(error.path, path);
  assert.equal(
    error.message,
    `Cannot write "${path}": directory "${dir.join("missing")}" does not exist`,
  );
  assert.ok(error.cause instanceof Deno.errors.NotFound);
  assert.deepEqual(await names(dir.path), []);
});

Deno.test("writeFileAtomic() leaves the target and no temp file when the rename fails", async () => {
  await using dir = await makeTempDir();
  // Renaming a file over a non-empty directory fails after the temp file is
  // written: the last step, so everything before it must be undone.
  const path = dir.join("target");
  await Deno.mkdir(path);
  await Deno.writeTextFile(dir.join("target", "kept"), "kept");
  await assert.rejects(writeFileAtomic(path, "new"), {
    name: "FileError",
    message: `Cannot write "${path}": it is a directory`,
  });
  assert.deepEqual(await names(dir.path), ["target"]);
  assert.equal(await Deno.readTextFile(dir.join("target", "kept")), "kept");
});

Deno.test("writeJsonAtomic() writes indented JSON with a final newline", async () => {
  await using dir = await makeTempDir();
  const path = dir.join("state.json");
  await writeJsonAtomic(path, { "on_battery": true, charge: 87 });
  assert.equal(
    await Deno.readTextFile(path),
    '{\n  "on_battery": true,\n  "charge": 87\n}\n',
  );
  await assert.rejects(writeJsonAtomic(path, undefined), {
    name: "TypeError",
    message: `Cannot write "${path}": the value is not JSON`,
  });
});

Deno.test("readTextIfExists() returns the text, or null for a missing file", async () => {
  await using dir = await makeTempDir();
  const path = dir.join("ups-shutdown-scheduled");
  assert.equal(await readTextIfExists(path, 100), null);
  await Deno.writeTextFile(path, "flag\n");
  assert.equal(await readTextIfExists(path, 100), "flag\n");
});

Deno.test("readTextIfExists() names the path when the file cannot be read", async () => {
  await using dir = await makeTempDir();
  await assert.rejects(readTextIfExists(dir.path, 100), {
    name: "FileError",
    message: `Cannot read "${dir.path}": it is a directory`,
  });
});

Deno.test("readTextBounded() reads a file up to the bound, also through a symlink", async () => {
  await using dir = await makeTempDir();
  const path = dir.join("config.yaml");
  await Deno.writeTextFile(path, "x".repeat(10));
  await Deno.symlink(path, dir.join("link.yaml"));
  assert.equal(await readTextBounded(path, 10), "x".repeat(10));
  assert.equal(
    await readTextBounded(dir.join("link.yaml"), 10),
    "x".repeat(10),
  );
  await assert.rejects(readTextBounded(path, 9), {
    name: "FileError",
    message: `Cannot read "${path}": it is larger than 9 bytes`,
  });
});

Deno.test("readTextBounded() refuses a device behind a symlink instead of reading it forever", async () => {
  await using dir = await makeTempDir();
  const path = dir.join("password");
  await Deno.symlink("/dev/zero", path);
  const error = await readTextBounded(path, 64).catch((e: unknown) => e);
  assert.ok(error instanceof FileError);
  assert.equal(
    error.message,
    `Cannot read "${path}": it is not a regular file`,
  );
  assert.equal(error.detail, "it is not a regular file");
  assert.equal(error.path, path);
});

Deno.test({
  name:
    "readTextBounded() refuses a FIFO at once instead of waiting for a writer",
  timeout: 5000,
}, async () => {
  await using dir = await makeTempDir();
  const path = dir.join("fifo");
  const mkfifo = await new Deno.Command("mkfifo", { args: [path] }).output();
  assert.equal(mkfifo.code, 0);
  await assert.rejects(readTextBounded(path, 64), {
    name: "FileError",
    message: `Cannot read "${path}": it is not a regular file`,
  });
  await assert.rejects(readTextIfExists(path, 64), {
    message: `Cannot read "${path}": it is not a regular file`,
  });
});

Deno.test("readTextBounded() names a missing file and keeps the system error as cause", async () => {
  await using dir = await makeTempDir();
  const path = dir.join("none");
  const error = await readTextBounded(path, 64).catch((e: unknown) => e);
  assert.ok(error instanceof FileError);
  assert.equal(error.message, `Cannot read "${path}": no such file`);
  assert.ok(error.cause instanceof Deno.errors.NotFound);
});
