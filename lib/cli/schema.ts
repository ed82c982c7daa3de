/**
 * `ups-monitor schema`: the JSON Schema of the config, for editors. It prints
 * the committed lib/config/config.schema.json (regenerated with `deno task
 * schema:write`, see json_schema_file.ts), which a test keeps equal to the
 * config schema's: building and converting the schema (then with zod) took
 * two thirds of the command's 80 ms (issue 19).
 *
 * @module
 */
import jsonSchema from "../config/config.schema.json" with { type: "json" };
import { parseCommandArgs } from "./args.ts";
import type { Command } from "./context.ts";

/** The `schema` subcommand. */
export const schemaCommand: Command = {
  summary: "print the JSON Schema of the config, for editors",
  usage: `Usage: ups-monitor schema

Prints the JSON Schema of the config file. Save it and point your editor's YAML
support at it, e.g. with a first line
  # yaml-language-server: $schema=/etc/ups-monitor/config.schema.json`,
  run(context) {
    parseCommandArgs(context.args, {});
    context.stdout.write(JSON.stringify(jsonSchema, null, 2) + "\n");
    return Promise.resolve(0);
  },
};
