import assert from "node:assert/strict";
import { configJsonSchema } from "./schema.ts";
import { JSON_SCHEMA_FILE } from "./json_schema_file.ts";

Deno.test("config.schema.json is the JSON Schema of the current config schema", async () => {
  const written = JSON.parse(await Deno.readTextFile(JSON_SCHEMA_FILE));
  assert.ok(
    JSON.stringify(written) === JSON.stringify(configJsonSchema()),
    `${JSON_SCHEMA_FILE.pathname} no longer matches the config schema: run "deno task schema:write" and commit it`,
  );
});
