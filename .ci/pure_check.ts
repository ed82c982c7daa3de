/**
 * The purity gate of `deno task check`. A file under `lib/` is pure when its
 * module JSDoc has a line ` * @pure`; this script finds every such file,
 * type-checks them without Deno's types (`deno check --config
 * deno.pure.json`), and fails when a pure file imports anything but another
 * pure file, yaml (by name, or a file of the package in
 * `node_modules`). The marker is the one list of pure files: a new
 * pure file joins the gate by carrying it.
 *
 * Usage: `deno run --allow-read --allow-run --no-prompt .ci/pure_check.ts`
 * from the repository root.
 *
 * @module
 */
import { dirname, join, relative, resolve } from "node:path";

/**
 * Packages a pure file may import besides pure files: data in, data out, and
 * their types check without Deno's. `yaml` is here for `stringify` in
 * lib/config/migrate.ts.
 */
const ALLOWED_PACKAGES = ["yaml"];

/** An import of a pure file that the rule forbids. */
export interface ImportViolation {
  /** The importing pure file, relative to the root. */
  file: string;
  /** The specifier as written in the import. */
  specifier: string;
}

/**
 * Tells whether a module's JSDoc (the first doc comment with `@module`)
 * carries the `@pure` marker on a line of its own.
 *
 * @param source The text of a TypeScript file.
 * @returns True when the file is marked pure.
 */
export function isMarkedPure(source: string): boolean {
  for (const match of source.matchAll(/\/\*\*([\s\S]*?)\*\//g)) {
    const body = match[1] ?? "";
    if (!/^\s*\*\s*@module\b/m.test(body)) continue;
    return /^\s*\*\s*@pure\s*$/m.test(body);
  }
  return false;
}

/**
 * The specifiers of a file's static imports and re-exports, type-only ones
 * included, plus literal dynamic imports. Reads statements that start a line,
 * so an `import` inside a doc comment is not one.
 *
 * @param source The text of a TypeScript file.
 * @returns The specifiers in order of appearance.
 */
export function importSpecifiers(source: string): string[] {
  const patterns = [
    /^[ \t]*(?:import|export)\b[^;"'`]*?\bfrom\s*["']([^"']+)["']/gm,
    /^[ \t]*import\s*["']([^"']+)["']/gm,
    /\bimport\(\s*["']([^"']+)["']\s*\)/g,
  ];
  const found: { at: number; specifier: string }[] = [];
  for (const pattern of patterns) {
    for (const match of source.matchAll(pattern)) {
      found.push({ at: match.index, specifier: match[1] ?? "" });
    }
  }
  return found.sort((a, b) => a.at - b.at).map((entry) => entry.specifier);
}

/**
 * Every `.ts` file under `<root>/lib` whose module JSDoc is marked pure.
 *
 * @param root The repository root.
 * @returns Paths relative to the root, with `/` separators, sorted.
 */
export async function findPureFiles(root: string): Promise<string[]> {
  const pure: string[] = [];
  for await (const path of walkTypeScript(join(root, "lib"))) {
    if (isMarkedPure(await Deno.readTextFile(path))) {
      pure.push(relative(root, path));
    }
  }
  return pure.sort();
}

/**
 * The imports of pure files that reach neither another pure file nor an
 * allowed package (yaml).
 *
 * @param root The repository root.
 * @param pureFiles The pure files, relative to the root.
 * @returns One entry per forbidden import, in file order.
 */
export async function findImportViolations(
  root: string,
  pureFiles: readonly string[],
): Promise<ImportViolation[]> {
  const pure = new Set(pureFiles.map((file) => resolve(root, file)));
  const violations: ImportViolation[] = [];
  for (const file of pureFiles) {
    const path = resolve(root, file);
    for (const specifier of importSpecifiers(await Deno.readTextFile(path))) {
      if (isAllowedPackage(specifier)) continue;
      const relativeImport = specifier.startsWith("./") ||
        specifier.startsWith("../");
      const target = resolve(dirname(path), specifier);
      if (
        relativeImport && (pure.has(target) || isInstalledPackage(root, target))
      ) {
        continue;
      }
      violations.push({ file, specifier });
    }
  }
  return violations;
}

/**
 * The message for a forbidden import.
 *
 * @param violation The import.
 * @returns One line naming the file and the import.
 */
export function formatViolation(violation: ImportViolation): string {
  return `Pure file "${violation.file}" imports "${violation.specifier}": ` +
    `a pure file imports only files marked @pure and the ${
      ALLOWED_PACKAGES.length === 1 ? "package" : "packages"
    } ${ALLOWED_PACKAGES.map((name) => `"${name}"`).join(", ")}`;
}

/** A file of an allowed package as Deno installed it (lib/config/yaml.ts). */
function isInstalledPackage(root: string, path: string): boolean {
  return ALLOWED_PACKAGES.some((name) =>
    path.startsWith(join(root, "node_modules", name) + "/")
  );
}

function isAllowedPackage(specifier: string): boolean {
  return ALLOWED_PACKAGES.some((name) =>
    specifier === name || specifier.startsWith(`${name}/`)
  );
}

async function* walkTypeScript(dir: string): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) yield* walkTypeScript(path);
    else if (entry.isFile && entry.name.endsWith(".ts")) yield path;
  }
}

/**
 * Runs the gate on a repository.
 *
 * @param root The repository root, holding `lib/` and `deno.pure.json`.
 * @returns The exit code: 0 when every pure file passes, 1 otherwise.
 */
export async function main(root: string): Promise<number> {
  const pureFiles = await findPureFiles(root);
  if (pureFiles.length === 0) {
    logError(`No file under "${join(root, "lib")}" is marked @pure`);
    return 1;
  }
  const violations = await findImportViolations(root, pureFiles);
  for (const violation of violations) logError(formatViolation(violation));
  const checked = await new Deno.Command(Deno.execPath(), {
    args: ["check", "--config", "deno.pure.json", ...pureFiles],
    cwd: root,
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  return violations.length === 0 && checked.success ? 0 : 1;
}

function logError(line: string): void {
  Deno.stderr.writeSync(new TextEncoder().encode(`${line}\n`));
}

if (import.meta.main) Deno.exitCode = await main(Deno.cwd());
