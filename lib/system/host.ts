/**
 * Facts about this process and host read through one seam, like the clock:
 * the daemon's pid, the time since boot and the environment.
 *
 * @module
 */

/** What the daemon reads about its process and host. */
export interface Host {
  /** This process's id. */
  readonly pid: number;
  /** Milliseconds since the host booted, or undefined when not readable. */
  uptimeMs(): number | undefined;
  /** An environment variable, or undefined. */
  env(name: string): string | undefined;
}

/** The real host: `Deno.pid`, `Deno.osUptime()`, `Deno.env`. */
export const realHost: Host = {
  pid: Deno.pid,
  uptimeMs() {
    try {
      return Deno.osUptime() * 1000;
    } catch {
      // Without the sys permission the outage file's uptime check is skipped.
      return undefined;
    }
  },
  env: (name) => Deno.env.get(name),
};
