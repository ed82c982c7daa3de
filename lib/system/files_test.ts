import assert from "node:assert/strict";
import {
  FileError,
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

Deno.test("writeFileAtomic() sets the mode exactly, 0o644 by default", async () => {
  await using dir = await makeTempDir();
  const plain = dir.join("plain");
  const secret = dir.join("secret");
  await writeFileAtomic(plain, "x");
  await writeFileAtomic(secret, "x", { mode: 0o600 });
  assert.equal((await Deno.stat(plain)).mode! & 0o777, 0o644);
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
  assert.equal(await readTextIfExists(path), null);
  await Deno.writeTextFile(path, "flag\n");
  assert.equal(await readTextIfExists(path), "flag\n");
});

Deno.test("readTextIfExists() names the path when the file cannot be read", async () => {
  await using dir = await makeTempDir();
  await assert.rejects(readTextIfExists(dir.path), {
    name: "FileError",
    message: `Cannot read "${dir.path}": it is a directory`,
  });
});
