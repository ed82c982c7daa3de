/**
 * What a readiness check is: one non-destructive probe of something the
 * shutdown path or the notifications need (a step kind, a remote, a channel,
 * the NUT login), run on a normal day so a broken path shows before an
 * outage. The results are data; `state.ts` turns them into changes.
 *
 * @pure
 * @module
 */

/** The outcome of one probe. */
export interface CheckResult {
  /** Whether the thing would work now. */
  readonly ready: boolean;
  /**
   * Why not (or what was proven), for people: names the problem and the fix,
   * e.g. `host key of "nas" changed: ssh-keygen -R nas -f …`.
   */
  readonly detail: string;
}

/** A readiness check as the scheduler runs it. */
export interface ReadinessCheck<Context> {
  /** Stable id, e.g. `vms`, `remotes.0`, `channels.1`, `nut`. */
  readonly id: string;
  /** Human name, e.g. "VMs", `Remote "nas"`, `Channel "discord"`. */
  readonly title: string;
  /**
   * Probes without side effects, bounded by the context's timeouts.
   * Never rejects: a failure to probe is a not-ready result.
   */
  run(context: Context): Promise<CheckResult>;
}
