/**
 * The config's JSON Schema as a file of the repository,
 * `lib/config/config.schema.json`, written from the config schema by
 * `deno task schema:write`. `ups-monitor schema` prints that file instead of
 * building the schema and converting it on every run: 80 → 34 ms
 * (issue 19). `json_schema_file_test.ts` fails when the file no longer
 * matches the schema.
 *
 * Usage: `deno run --allow-write=lib/config lib/config/json_schema_file.ts`
 * from the repository root.
 *
 * @module
 */
import { configJsonSchema } from "./schema.ts";

/** Where the file is. */
export const JSON_SCHEMA_FILE = new URL(
  "./config.schema.json",
  import.meta.url,
);

if (import.meta.main) {
  // Pretty-printed with a final newline, as `schema` prints it.
  const text = JSON.stringify(configJsonSchema(), null, 2) + "\n";
  await Deno.writeTextFile(JSON_SCHEMA_FILE, text);
  Deno.stdout.writeSync(
    new TextEncoder().encode(`Wrote ${JSON_SCHEMA_FILE.pathname}\n`),
  );
}
