/**
 * The config a scenario's program reads from `/etc/ups-monitor/config.yaml`
 * (its private directory bound there): short poll and thresholds, the rig's
 * upsd, the fake Discord, the stand-ins and rig-owned side effects, every
 * runtime file in the scenario's private directory; the profile's
 * `config` section merged over it. A user's own config (`--config`) is
 * rehearsed instead with dry-run forced and the same redirections.
 *
 * @module
 */
import { stringify } from "../lib/config/yaml.ts";

/** Where and what a scenario's program talks to. */
export interface ScenarioTargets {
  /** The scenario's private directory under `/run`. */
  dir: string;
  /** `ups@127.0.0.1:PORT`. */
  ups: string;
  /**
   * The other UPSes of the profile (`upses:`), `name@127.0.0.1:PORT` each,
   * listed after the first with the same settings. @default []
   */
  otherUpses?: readonly string[];
  /** The monitor user of the rig's upsd. */
  username: string;
  /** Its password. */
  password: string;
  /** Base URL of the fake Discord. */
  discordUrl: string;
  /** Path of the power-off stand-in. */
  powerOff: string;
  /** The container engine the step uses, when containers are rig-owned. */
  containerEngine: "docker" | "podman" | null;
  /** Label selecting exactly this scenario's containers, `key=value`. */
  containerLabel: string;
  /** Mounts to unmount, the hanging one last. */
  mounts: readonly string[];
  /** The NAS's sshd port on 127.0.0.1, or null without a NAS. */
  nasPort: number | null;
}

/** The Discord webhook path of the fake Discord (the token is fake). */
export const DISCORD_PATH = "/api/webhooks/4242/rig-token";
/** The path the generic webhook channel posts to. */
export const WEBHOOK_PATH = "/rig-webhook";

/**
 * The rig's scenario config, before the profile's overrides.
 *
 * @param targets Addresses and paths of this scenario.
 * @returns The config as a plain object.
 */
export function baseConfig(targets: ScenarioTargets): Record<string, unknown> {
  const ups = (name: string) => ({
    name,
    username: targets.username,
    password: targets.password,
    tls: "off",
    "check_interval": "200ms",
    "connect_timeout": "500ms",
    "reply_timeout": "1s",
    "max_stale_data_tolerance": 3,
  });
  const others = targets.otherUpses ?? [];
  return {
    // One UPS stays a mapping, as most users write it.
    ups: others.length === 0
      ? ups(targets.ups)
      : [targets.ups, ...others].map(ups),
    triggers: {
      "persistence_polls": 2,
      depletion: {
        "critical_rate": 15,
        window: "10s",
        "grace_period": "1h",
        "min_samples": 5,
      },
      "extended_time": { enabled: true, after: "1h" },
      // Profiles test the fixed thresholds; the budget-* ones turn it on.
      budget: { enabled: false },
    },
    notifications: {
      timeout: "2s",
      "crisis_timeout": "2s",
      "crisis_budget": "10s",
      channels: [
        { kind: "discord", url: `${targets.discordUrl}${DISCORD_PATH}` },
        { kind: "webhook", url: `${targets.discordUrl}${WEBHOOK_PATH}` },
      ],
    },
    shutdown: {
      "dry_run": false,
      "rearm_after": "1s",
      vms: { "max_wait": "2s", timeout: "5s" },
      containers: targets.containerEngine === null ? { enabled: false } : {
        engine: targets.containerEngine,
        "stop_timeout": "1s",
        timeout: "30s",
        include: { labels: [targets.containerLabel] },
      },
      sync: { timeout: "10s" },
      filesystems: {
        timeout: "1500ms",
        mounts: targets.mounts.map((path) => ({ path })),
      },
      remotes: targets.nasPort === null ? [] : [{
        name: "nas",
        host: "127.0.0.1",
        port: targets.nasPort,
        user: "nas-admin",
        "identity_file": "/etc/ups-monitor/nas_key",
        "known_hosts": "/etc/ups-monitor/known_hosts",
        "host_key_policy": "strict",
        "connect_timeout": "5s",
        timeout: "15s",
      }],
      local: { command: [targets.powerOff, "-h", "now"], timeout: "5s" },
    },
    paths: privatePaths(targets.dir),
    // The default file, which is the private log directory in the namespace.
    logging: { file: "/var/log/ups-monitor.log" },
  };
}

/** The runtime files of a scenario, all in its private directory. */
function privatePaths(dir: string): Record<string, string> {
  return {
    state: `${dir}/run/ups-monitor.state`,
    flag: `${dir}/run/ups-shutdown-scheduled`,
    history: `${dir}/run/ups-battery-history`,
    durations: `${dir}/run/ups-monitor.durations`,
    pid: `${dir}/run/ups-monitor.pid`,
  };
}

/**
 * Merges `over` into `base`: objects key by key, anything else replaced.
 *
 * @param base The defaults.
 * @param over The overrides.
 * @returns A new object; neither input is changed.
 */
export function deepMerge(
  base: Record<string, unknown>,
  over: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const current = out[key];
    out[key] = isObject(current) && isObject(value)
      ? deepMerge(current, value)
      : value;
  }
  return out;
}

/**
 * Merges a profile's `config` over the rig's: as {@linkcode deepMerge}, but
 * where the rig lists several UPSes, a mapping under `ups` is merged into
 * each of them and a list entry by entry (the first into the first UPS).
 *
 * @param base The rig's config.
 * @param over The profile's `config` section.
 * @returns A new object; neither input is changed.
 */
export function mergeProfileConfig(
  base: Record<string, unknown>,
  over: Record<string, unknown>,
): Record<string, unknown> {
  const upses = base["ups"];
  const upsOver = over["ups"];
  if (!Array.isArray(upses) || upsOver === undefined) {
    return deepMerge(base, over);
  }
  const merged = upses.map((entry: Record<string, unknown>, index) => {
    const part = Array.isArray(upsOver) ? upsOver[index] : upsOver;
    return isObject(part) ? deepMerge(entry, part) : entry;
  });
  return { ...deepMerge(base, { ...over, ups: null }), ups: merged };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * A user's config made safe to rehearse: dry-run forced, `ups` pointed at
 * the rig's upsd, notifications sent to the fake Discord only, every path
 * moved into the private directory; the triggers and the shutdown plan stay
 * the user's.
 *
 * @param user The user's config as parsed YAML.
 * @param targets Addresses and paths of this scenario.
 * @returns The config to write.
 */
export function rehearsalConfig(
  user: Record<string, unknown>,
  targets: ScenarioTargets,
): Record<string, unknown> {
  const base = baseConfig(targets);
  const shutdown = isObject(user["shutdown"]) ? user["shutdown"] : {};
  const notifications = isObject(user["notifications"])
    ? user["notifications"]
    : {};
  return {
    ...user,
    ups: rehearsalUps(user["ups"], base["ups"]),
    notifications: {
      ...notifications,
      channels: (base["notifications"] as Record<string, unknown>)["channels"],
    },
    shutdown: { ...shutdown, "dry_run": true },
    paths: privatePaths(targets.dir),
    logging: {
      ...(isObject(user["logging"]) ? user["logging"] : {}),
      file: "/var/log/ups-monitor.log",
    },
  };
}

/**
 * The user's UPS settings pointed at the rig's UPSes: for each of the rig's
 * UPSes the user's entry at the same place (the last one past the end of a
 * shorter list, the mapping of a single UPS), its address and login the rig's.
 */
function rehearsalUps(user: unknown, rig: unknown): unknown {
  const userList = Array.isArray(user) ? user : [user];
  const rigList = Array.isArray(rig) ? rig : [rig];
  const upses = rigList.map((entry: Record<string, unknown>, index) => {
    const own = userList[Math.min(index, userList.length - 1)];
    return {
      ...(isObject(own) ? own : {}),
      ...entry,
      "password_file": null,
      "ca_file": null,
    };
  });
  return Array.isArray(rig) ? upses : upses[0];
}

/**
 * The config as YAML text.
 *
 * @param config The config object.
 * @returns YAML.
 */
export function configYaml(config: Record<string, unknown>): string {
  return stringify(config);
}
