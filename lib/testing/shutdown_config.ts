/**
 * Configs for shutdown tests: the defaults, with the sections a test gives,
 * paths in a temp dir and the local shutdown pointed at a stand-in, so no
 * test can power the machine off. Test support only.
 *
 * @module
 */
import { type Config, configSchema } from "../config/schema.ts";

/**
 * A validated config for a shutdown test.
 *
 * @param dir Directory for the flag, pid, state and history files.
 * @param shutdown The `shutdown` section as written in YAML. Without `local`
 *   the local step is disabled; with it, `local.command` must name a
 *   stand-in unless `dry_run` is true.
 * @param extra Other top-level sections (`triggers`, `notifications`).
 * @returns The config.
 * @throws {Error} When the local command could power the machine off.
 */
export function shutdownConfig(
  dir: string,
  shutdown: Record<string, unknown>,
  extra: Record<string, unknown> = {},
): Config {
  const config = configSchema.parse({
    ups: { name: "ups@127.0.0.1" },
    paths: {
      flag: `${dir}/flag`,
      pid: `${dir}/pid`,
      state: `${dir}/state`,
      history: `${dir}/history`,
      durations: `${dir}/durations`,
    },
    logging: { file: null },
    ...extra,
    // Without a local section the local shutdown is off.
    shutdown: { local: { enabled: false }, ...shutdown },
  });
  const local = config.shutdown.local;
  const program = local.command[0] ?? "";
  if (
    local.enabled && !config.shutdown.dry_run &&
    !program.startsWith(`${dir}/`) && !program.includes("/ups-monitor-fakes-")
  ) {
    throw new Error(
      `Cannot use a test config whose local command "${
        local.command.join(" ")
      }" is not a stand-in`,
    );
  }
  return config;
}
