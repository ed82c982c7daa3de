import assert from "node:assert/strict";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { makeTempDir, type TempDir } from "../lib/testing/temp_dir.ts";
import {
  findImportViolations,
  findPureFiles,
  formatViolation,
  importSpecifiers,
  isMarkedPure,
  main,
} from "./pure_check.ts";

const PURE_HEADER =
  "/**\n * Data in, data out.\n *\n * @pure\n * @module\n */\n";
const SHELL_HEADER = "/**\n * Talks to the world.\n *\n * @module\n */\n";

async function writeFixture(
  dir: TempDir,
  files: Record<string, string>,
): Promise<void> {
  for (const [path, text] of Object.entries(files)) {
    await Deno.mkdir(dirname(dir.join(path)), { recursive: true });
    await Deno.writeTextFile(dir.join(path), text);
  }
}

Deno.test("isMarkedPure() reads the marker in the module JSDoc only", () => {
  assert.equal(isMarkedPure(`${PURE_HEADER}export const a = 1;\n`), true);
  assert.equal(isMarkedPure(`${SHELL_HEADER}export const a = 1;\n`), false);
  const markerOnAFunction =
    `${SHELL_HEADER}/**\n * A helper.\n *\n * @pure\n */\nexport function f() {}\n`;
  assert.equal(isMarkedPure(markerOnAFunction), false);
  const markerInProse = "/**\n * Not @pure at all.\n *\n * @module\n */\n";
  assert.equal(isMarkedPure(markerInProse), false);
});

Deno.test("importSpecifiers() finds every kind of import, not those in comments", () => {
  const source = [
    SHELL_HEADER,
    "/**",
    ' * import { x } from "./in_a_comment.ts";',
    " */",
    'import { parse } from "yaml";',
    "import {",
    "  a,",
    "  b,",
    '} from "./multi_line.ts";',
    'import type { T } from "../types.ts";',
    'export { c } from "./re_export.ts";',
    'export * from "./star.ts";',
    'import "./side_effect.ts";',
    'const lazy = await import("./dynamic.ts");',
  ].join("\n");
  assert.deepEqual(importSpecifiers(source), [
    "yaml",
    "./multi_line.ts",
    "../types.ts",
    "./re_export.ts",
    "./star.ts",
    "./side_effect.ts",
    "./dynamic.ts",
  ]);
});

Deno.test("findImportViolations() rejects a pure file importing a shell file", async () => {
  await using dir = await makeTempDir({ prefix: "ups-monitor-pure-" });
  await writeFixture(dir, {
    "lib/core/rules.ts": `${PURE_HEADER}import { parse } from "yaml";\n` +
      'import type { Reading } from "./reading.ts";\n' +
      'import { systemClock } from "../system/clock.ts";\n',
    "lib/core/reading.ts": `${PURE_HEADER}export type Reading = number;\n`,
    "lib/system/clock.ts": `${SHELL_HEADER}export const systemClock = {};\n`,
    "lib/core/files.ts": `${PURE_HEADER}import { readFile } from "node:fs";\n`,
    "lib/core/yaml.ts": PURE_HEADER +
      'export * from "../../node_modules/yaml/browser/index.js";\n' +
      'export * from "../../node_modules/left-pad/index.js";\n',
  });
  const pureFiles = await findPureFiles(dir.path);
  assert.deepEqual(pureFiles, [
    "lib/core/files.ts",
    "lib/core/reading.ts",
    "lib/core/rules.ts",
    "lib/core/yaml.ts",
  ]);
  const violations = await findImportViolations(dir.path, pureFiles);
  assert.deepEqual(violations, [
    { file: "lib/core/files.ts", specifier: "node:fs" },
    { file: "lib/core/rules.ts", specifier: "../system/clock.ts" },
    {
      file: "lib/core/yaml.ts",
      specifier: "../../node_modules/left-pad/index.js",
    },
  ]);
  assert.equal(
    formatViolation(violations[1]!),
    'Pure file "lib/core/rules.ts" imports "../system/clock.ts": a pure file ' +
      'imports only files marked @pure and the package "yaml"',
  );
});

Deno.test("main() fails when a pure file uses Deno's API", {
  timeout: 60_000,
}, async () => {
  await using dir = await makeTempDir({ prefix: "ups-monitor-pure-" });
  await writeFixture(dir, {
    "deno.pure.json": JSON.stringify({ compilerOptions: { lib: ["ESNext"] } }),
    "lib/clean.ts": `${PURE_HEADER}export const a: number = 1;\n`,
  });
  assert.equal(await main(dir.path), 0);
  await writeFixture(dir, {
    "lib/dirty.ts": `${PURE_HEADER}export const b = Deno.pid;\n`,
  });
  assert.equal(await main(dir.path), 1);
});

Deno.test("findImportViolations() finds none in this repository", async () => {
  const root = fileURLToPath(new URL("..", import.meta.url));
  const pureFiles = await findPureFiles(root);
  assert.ok(pureFiles.includes("lib/power/triggers.ts"));
  assert.deepEqual(await findImportViolations(root, pureFiles), []);
});
