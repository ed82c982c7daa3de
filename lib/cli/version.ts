/**
 * `ups-monitor version`: program and runtime versions, the permission set the
 * binary is built with, and which of it this process holds.
 *
 * @module
 */
import denoConfig from "../../deno.json" with { type: "json" };
import { VERSION } from "../version.ts";
import { parseCommandArgs } from "./args.ts";
import type { Command } from "./context.ts";

type Scope = boolean | string[] | { allow?: string[]; ignore?: boolean };

/** The `daemon` permission set of deno.json: what `deno task compile` bakes in. */
export const DAEMON_PERMISSIONS = denoConfig.permissions.daemon as Record<
  string,
  Scope
>;

function descriptor(name: string, scope?: string): Deno.PermissionDescriptor {
  switch (name) {
    case "read":
    case "write":
      return scope ? { name, path: scope } : { name };
    case "net":
      return scope ? { name, host: scope } : { name };
    case "run":
      return scope ? { name, command: scope } : { name };
    case "env":
      return scope ? { name, variable: scope } : { name };
    case "sys":
      return scope
        ? {
          name,
          kind: scope as NonNullable<Deno.SysPermissionDescriptor["kind"]>,
        }
        : { name };
    default:
      return { name: name as "ffi" };
  }
}

/** Scopes of a permission in the set: `[]` means all. */
function scopes(scope: Scope): string[] {
  if (Array.isArray(scope)) return scope;
  if (typeof scope === "object") return scope.allow ?? [];
  return [];
}

/**
 * One line per permission: the baked scope and whether this process holds it.
 *
 * @returns Lines such as `read   /etc/ups-monitor /run (granted)`.
 */
export async function permissionLines(): Promise<string[]> {
  const lines: string[] = [];
  for (const [name, scope] of Object.entries(DAEMON_PERMISSIONS)) {
    const list = scopes(scope);
    const whole =
      (await Deno.permissions.query(descriptor(name))).state === "granted";
    let held = whole;
    if (!whole) {
      held = list.length > 0;
      for (const item of list) {
        if (
          (await Deno.permissions.query(descriptor(name, item))).state !==
            "granted"
        ) held = false;
      }
    }
    const shown = list.length === 0 ? "all" : list.join(" ");
    const extra = name === "env" ? " (others read as unset)" : "";
    lines.push(
      `  ${name.padEnd(6)} ${shown}${extra} (${
        whole ? "granted: all" : held ? "granted" : "NOT granted"
      })`,
    );
  }
  return lines;
}

/** The `version` subcommand. */
export const versionCommand: Command = {
  summary: "print the version, the Deno version and the permissions",
  usage: `Usage: ups-monitor version

Prints the ups-monitor version, the Deno runtime it runs on, and the permission
set the binary is compiled with ("daemon" in deno.json), each marked with
whether this process holds it.`,
  async run(context) {
    parseCommandArgs(context.args, {});
    const lines = [
      `ups-monitor ${VERSION}`,
      `deno ${Deno.version.deno} (v8 ${Deno.version.v8}, typescript ${Deno.version.typescript})`,
      "permissions (the daemon set):",
      ...await permissionLines(),
    ];
    context.stdout.write(lines.join("\n") + "\n");
    return 0;
  },
};
