/**
 * The startup self-check: every path, host and program the config names is
 * asked of `Deno.permissions.query` before the first poll, so a missing
 * permission shows at start (exit 2, with the config line that asked) and
 * never first in the middle of a shutdown.
 *
 * @module
 */
import type { Config } from "../config/schema.ts";
import { formatEndpoint, parseUpsAddress } from "../config/ups_address.ts";
import { channelKindOf } from "../notify/channel_kinds.ts";

/** One permission the config needs, and the config key that needs it. */
export interface PermissionNeed {
  /** What to query. */
  descriptor: Deno.PermissionDescriptor;
  /** Dotted config key that asks for it; absent for the program's own needs. */
  key?: string;
  /** Human text, e.g. `write access to "/var/run"`. */
  what: string;
}

/** The kernel's id of this boot: persisted outages are only resumed within it. */
export const BOOT_ID_PATH = "/proc/sys/kernel/random/boot_id";

/**
 * Deno 2.9 grants files under /proc only with --allow-all: the boot id is
 * read through libc (the `ffi` permission) or, without it, by running `cat`
 * (proc_file.ts). `cat` is the need listed: FFI is the faster path, not a
 * requirement.
 */
const PROC_READER = "cat";

function dirname(path: string): string {
  const cut = path.lastIndexOf("/");
  return cut <= 0 ? "/" : path.slice(0, cut);
}

/**
 * Read access to a path.
 *
 * @param path Absolute path.
 * @param key Dotted config key that asks for it. @default none
 * @returns The need.
 */
function read(path: string, key?: string): PermissionNeed {
  return {
    descriptor: { name: "read", path },
    ...(key ? { key } : {}),
    what: `read access to "${path}"`,
  };
}

function write(path: string, key?: string): PermissionNeed {
  return {
    descriptor: { name: "write", path },
    ...(key ? { key } : {}),
    what: `write access to "${path}"`,
  };
}

/**
 * Permission to run a program.
 *
 * @param command Program name or path.
 * @param key Dotted config key that asks for it.
 * @returns The need.
 */
function run(command: string, key: string): PermissionNeed {
  return {
    descriptor: { name: "run", command },
    key,
    what: `permission to run "${command}"`,
  };
}

/**
 * Network access to a host.
 *
 * @param host `host:port`.
 * @param key Dotted config key that asks for it.
 * @returns The need.
 */
function net(host: string, key: string): PermissionNeed {
  return {
    descriptor: { name: "net", host },
    key,
    what: `network access to "${host}"`,
  };
}

/** host:port of a URL, as Deno's net permission spells it. */
function urlHost(url: string): string {
  const parsed = new URL(url);
  const port = parsed.port || (parsed.protocol === "https:" ? "443" : "80");
  return `${parsed.hostname}:${port}`;
}

// For the needs of other parts (the shutdown steps' programs and files).
export { net as netNeed, read as readNeed, run as runNeed };

/** Options of {@linkcode permissionNeeds}. */
export interface PermissionNeedsOptions {
  /** What the enabled shutdown steps need (`stepPermissionNeeds`). */
  steps: readonly PermissionNeed[];
}

/**
 * Everything the config asks of the runtime.
 *
 * @param config A validated config.
 * @param configPath Where the config was read from.
 * @param options The needs of the shutdown steps, placed in config order.
 * @returns The needs, in config order.
 */
export function permissionNeeds(
  config: Config,
  configPath: string,
  options: PermissionNeedsOptions,
): PermissionNeed[] {
  const needs: PermissionNeed[] = [
    read(configPath),
    {
      descriptor: { name: "run", command: PROC_READER },
      what: `permission to run "${PROC_READER}" (reads ${BOOT_ID_PATH})`,
    },
    {
      descriptor: { name: "sys", kind: "osUptime" },
      what: 'system information "osUptime"',
    },
  ];
  config.upses.forEach((ups, index) => {
    const at = config.upses.length > 1 ? `ups.${index}` : "ups";
    const address = parseUpsAddress(ups.name);
    if (address.ok) {
      needs.push(net(formatEndpoint(address.value), `${at}.name`));
    }
    if (ups.password_file) {
      needs.push(read(ups.password_file, `${at}.password_file`));
    }
    if (ups.ca_file) needs.push(read(ups.ca_file, `${at}.ca_file`));
  });
  if (config.http.listen) needs.push(net(config.http.listen, "http.listen"));
  config.notifications.channels.forEach((channel, i) => {
    // The host only: the URL itself is a secret.
    const kind = channelKindOf(channel);
    needs.push(
      net(urlHost(kind.url()), `notifications.channels.${i}.${kind.urlKey}`),
    );
  });
  // What the shutdown steps need comes from their kinds (see shutdown/).
  needs.push(...options.steps);
  for (
    const name of ["state", "flag", "history", "durations", "pid"] as const
  ) {
    const path = config.paths[name];
    // Atomic writes put a temp file next to the target: the directory must be writable.
    needs.push(
      read(path, `paths.${name}`),
      write(dirname(path), `paths.${name}`),
    );
  }
  if (config.logging.file) {
    // Read: the logger looks at the path (lstat) before it opens it.
    needs.push(
      read(config.logging.file, "logging.file"),
      write(config.logging.file, "logging.file"),
    );
  }
  return needs;
}

/**
 * Queries each need and returns those not granted. Under `--no-prompt` a
 * permission that would prompt reads `"prompt"`: it counts as missing.
 *
 * @param needs What the config asks for.
 * @returns The needs that are not granted.
 */
export async function missingPermissions(
  needs: readonly PermissionNeed[],
): Promise<PermissionNeed[]> {
  const missing: PermissionNeed[] = [];
  for (const need of needs) {
    const status = await Deno.permissions.query(need.descriptor);
    if (status.state !== "granted") missing.push(need);
  }
  return missing;
}
