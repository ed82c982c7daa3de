/**
 * Where the NUT Devices Dumps Library lives for tests (`../shared/nut-ddl`,
 * beside the checkout; never copied into the repository) and how to list it.
 * Test support only.
 *
 * @module
 */

/** The dumps directory, with a trailing slash. */
export const NUT_DDL_DIR =
  new URL("../../../shared/nut-ddl/", import.meta.url).pathname;

/** Whether the dumps are there. */
export const NUT_DDL_PRESENT: boolean = (() => {
  try {
    return Deno.statSync(NUT_DDL_DIR).isDirectory;
  } catch {
    return false; // absent outside CI: the tests say so and are ignored
  }
})();

/** Whether tests of the dumps are ignored: absent here and not in CI (in CI they fail instead). */
export const IGNORE_WITHOUT_NUT_DDL: boolean = (() => {
  const ignored = !NUT_DDL_PRESENT && Deno.env.get("CI") !== "true";
  if (ignored) {
    Deno.stderr.writeSync(
      new TextEncoder().encode(
        `nut-ddl is not at "${NUT_DDL_DIR}": its tests are ignored\n`,
      ),
    );
  }
  return ignored;
})();

/**
 * Every dump file below a directory, sorted.
 *
 * @param dir The directory, with a trailing slash. @default NUT_DDL_DIR
 * @returns Absolute paths of the `.dev` dumps.
 */
export async function listDumps(dir = NUT_DDL_DIR): Promise<string[]> {
  const found: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const path = `${dir}${entry.name}`;
    if (entry.isDirectory) found.push(...await listDumps(`${path}/`));
    else if (entry.name.endsWith(".dev")) found.push(path);
  }
  return found.sort();
}

/**
 * A dump (`upsc` output with `#` annotations) as a `.dev` file: comments
 * stripped, values quoted with `\`, `"` and `#` escaped (NUT.md §6).
 * `driver.*` is the driver's own and empty values cannot be expressed
 * (`""` deletes the variable), so both are left out.
 *
 * @param dump The dump's text.
 * @returns The `.dev` text and the names of the variables it sets.
 */
export function dumpToDev(dump: string): { dev: string; names: string[] } {
  const lines: string[] = [];
  const names: string[] = [];
  for (const raw of dump.split("\n")) {
    const match = /^([A-Za-z0-9_.\-]+):(.*)$/.exec(raw.trim());
    if (!match || raw.trimStart().startsWith("#")) continue;
    const name = match[1]!;
    const value = match[2]!.replace(/(^|\s)#.*$/, "").trim();
    if (name.startsWith("driver.") || value === "") continue;
    lines.push(`${name}: "${value.replace(/[\\"#]/g, "\\$&")}"`);
    names.push(name);
  }
  return { dev: lines.join("\n") + "\n", names };
}
