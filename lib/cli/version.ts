/**
 * `ups-monitor version`: program and runtime versions and the permissions
 * this process holds.
 *
 * @module
 */
import { VERSION } from "../version.ts";
import { parseCommandArgs } from "./args.ts";
import type { Command } from "./context.ts";

const PERMISSIONS = [
  "read",
  "write",
  "net",
  "run",
  "env",
  "sys",
  "ffi",
  "import",
] as const;

/** The `version` subcommand. */
export const versionCommand: Command = {
  summary: "print the version, the Deno version and the granted permissions",
  usage: `Usage: ups-monitor version

Prints the ups-monitor version, the Deno runtime it runs on and which
permissions the process holds (all of them, or only some scopes: "partial").`,
  async run(context) {
    parseCommandArgs(context.args, {});
    const lines = [
      `ups-monitor ${VERSION}`,
      `deno ${Deno.version.deno} (v8 ${Deno.version.v8}, typescript ${Deno.version.typescript})`,
    ];
    const states: string[] = [];
    for (const name of PERMISSIONS) {
      const { state, partial } = await Deno.permissions.query({ name });
      states.push(
        `${name}=${
          state === "granted" ? (partial ? "partial" : "all") : "none"
        }`,
      );
    }
    lines.push(`permissions: ${states.join(" ")}`);
    context.stdout.write(lines.join("\n") + "\n");
    return 0;
  },
};
