/**
 * The preamble every config-reading subcommand shares: load the config named
 * by `--config`, apply its logging settings (`--log-format` wins) and register
 * its secrets with the logger before anything can print them.
 *
 * @module
 */
import {
  DEFAULT_CONFIG_PATH,
  loadConfig,
  type LoadedConfig,
  type LoadOptions,
} from "../config/load.ts";
import { secretsOf } from "../config/schema.ts";
import type { CommandContext } from "./context.ts";

/**
 * Applies a loaded config's logging settings and secrets to the command's logger.
 *
 * @param context The command's context.
 * @param loaded The loaded config.
 */
export function applyConfigLogging(
  context: CommandContext,
  loaded: LoadedConfig,
): void {
  const { config } = loaded;
  context.logger.configure({
    format: context.logFormatFlag ?? config.logging.format,
    level: config.logging.level,
  });
  context.logger.addSecrets(secretsOf(config));
  // Every UPS's password, from the config or its password_file.
  for (const { nutPassword } of loaded.upsSecrets) {
    if (nutPassword) context.logger.addSecrets([nutPassword]);
  }
  if (loaded.powerCyclePassword) {
    context.logger.addSecrets([loaded.powerCyclePassword]);
  }
}

/**
 * Loads the config of `--config` (or the default path) for a command.
 *
 * @param context The command's context.
 * @param configFlag The value of `--config`, if given.
 * @param options What else to check (see {@linkcode LoadOptions}).
 * @returns The loaded config.
 * @throws {ConfigError} When the file is missing or invalid.
 */
export async function loadForCommand(
  context: CommandContext,
  configFlag: unknown,
  options: LoadOptions = {},
): Promise<LoadedConfig> {
  const loaded = await loadConfig(
    configFlag === undefined ? DEFAULT_CONFIG_PATH : String(configFlag),
    options,
  );
  applyConfigLogging(context, loaded);
  return loaded;
}
