/**
 * Judges what a full shutdown sequence really did (`side_effects: true`):
 * the scenario's containers stopped and the rig's own still running, the
 * NAS's recorded shutdown, the mounts, the VMs and the power-off.
 *
 * @module
 */
import type { TimedEvent } from "./expect.ts";
import { type SideEffectFacts, VMS } from "./side_effects.ts";

/**
 * Judges the real side effects of a full shutdown sequence
 * (`side_effects: true`).
 *
 * @param check Receives each check.
 * @param facts What was read back.
 * @param events The program's events.
 * @param containersAvailable Whether containers and the NAS ran.
 */
export function judgeFacts(
  check: (ok: boolean, text: string) => void,
  facts: SideEffectFacts,
  events: readonly TimedEvent[],
  containersAvailable: boolean,
) {
  if (containersAvailable) {
    const running = facts.containers.filter((c) => c.running);
    check(
      facts.containers.length > 0 && running.length === 0,
      running.length === 0
        ? `Containers stopped: "${
          facts.containers.map((c) => c.name).join('", "')
        }"`
        : `Expected the scenario's containers stopped, but "${
          running.map((c) => c.name).join('", "')
        }" still run`,
    );
    const touched = facts.untouched.filter((c) => !c.running);
    check(
      touched.length === 0,
      touched.length === 0
        ? "The rig's own containers still run"
        : `Expected only labelled containers stopped, but "${
          touched.map((c) => c.name).join('", "')
        }" stopped too`,
    );
    const calls = facts.nasCalls ?? [];
    check(
      calls.some((c) => c.uid === 0 && c.args.join(" ") === "-s"),
      calls.length > 0
        ? `The NAS recorded "synoshutdown ${calls[0]!.args.join(" ")}" as uid ${
          calls[0]!.uid
        }`
        : "Expected the NAS to record synoshutdown -s, but it recorded nothing",
    );
  }
  check(
    facts.stillMounted !== null && facts.stillMounted.length === 0,
    facts.stillMounted === null
      ? "Cannot read the program's mount table"
      : facts.stillMounted.length === 0
      ? "Tmpfs mounts unmounted"
      : `Expected the tmpfs mounts unmounted, but "${
        facts.stillMounted.join('", "')
      }" still mounted`,
  );
  const fs = events.find((e) =>
    e.event === "shutdown.step" && e.fields["step"] === "filesystems" &&
    e.fields["phase"] !== "start"
  );
  const details = String(fs?.fields["details"] ?? "");
  check(
    fs !== undefined && fs.fields["phase"] === "timeout" &&
      details.includes(facts.hangMount),
    fs !== undefined && details.includes(facts.hangMount)
      ? `The hung unmount of "${facts.hangMount}" was reported (${
        fs.fields["phase"]
      })`
      : `Expected the hung unmount of "${facts.hangMount}" reported, got "${
        fs?.fields["phase"] ?? "no filesystems step"
      }: ${details}"`,
  );
  const destroyed = facts.virshCalls.some((c) =>
    c[0] === "destroy" && c.includes(VMS[2])
  );
  const allOff = VMS.every((vm) => facts.vmStates[vm] === "shut off");
  check(
    destroyed && allOff,
    destroyed && allOff
      ? `VMs shut off, "${VMS[2]}" destroyed`
      : `Expected every VM off and "${VMS[2]}" destroyed, got ${
        JSON.stringify(facts.vmStates)
      }`,
  );
  check(
    facts.powerOffCalled,
    facts.powerOffCalled
      ? "The power-off stand-in ran"
      : "Expected the power-off stand-in to run, but it did not",
  );
}
