/**
 * `ups-monitor schema`: the JSON Schema of the config, for editors.
 *
 * @module
 */
import { configJsonSchema } from "../config/schema.ts";
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
    context.stdout.write(JSON.stringify(configJsonSchema(), null, 2) + "\n");
    return Promise.resolve(0);
  },
};
