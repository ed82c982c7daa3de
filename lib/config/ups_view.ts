/**
 * One UPS of a config seen as a whole config: `ups` is that UPS, `triggers`
 * its own (the top-level ones under its overrides) and, with several UPSes,
 * the state and history files its own (`<path>.<ups>`), so the poll loop,
 * the login and the client of one UPS read it as they read a config with
 * one UPS. Pure.
 *
 * @pure
 * @module
 */
import type { Config } from "./schema.ts";

/**
 * The config as one UPS of it sees it.
 *
 * @param config A validated config.
 * @param index The UPS's index in `config.upses`.
 * @returns The view; `config` itself for a config with one UPS.
 */
export function configForUps(config: Config, index: number): Config {
  const ups = config.upses[index];
  if (ups === undefined) throw new RangeError(`No UPS at index ${index}`);
  if (config.upses.length === 1) return config;
  const suffix = fileSuffix(ups.name);
  return {
    ...config,
    ups,
    triggers: ups.triggers,
    paths: {
      ...config.paths,
      state: `${config.paths.state}.${suffix}`,
      history: `${config.paths.history}.${suffix}`,
    },
  };
}

/**
 * A UPS name as a file name suffix: `ups@nas:3493` → `ups@nas%3A3493`, as
 * `encodeURIComponent` writes it but with `@` kept, so two names never share
 * a file and no `/` gets in.
 *
 * @param name `ups.name`.
 * @returns The suffix.
 */
export function fileSuffix(name: string): string {
  return encodeURIComponent(name).replaceAll("%40", "@");
}
