import assert from "node:assert/strict";
import {
  aborting,
  type Case,
  flag,
  NOW,
  RESULT,
  running,
  started,
  triggered,
} from "../testing/crisis_fixtures.ts";
import { ARMED, transition } from "./crisis_machine.ts";

/** The point of no return and the abort: the mode reached and the effects. */
const CASES: Case[] = [
  // The point of no return.
  {
    name: "the first irreversible step commits the sequence and records it",
    from: running(),
    event: { kind: "step_starting", reversible: false },
    to: "running",
    effects: ["write_flag", "log"],
  },
  {
    name: "a reversible step does not commit",
    from: running(),
    event: { kind: "step_starting", reversible: true },
    to: "running",
    effects: [],
  },
  {
    name: "later irreversible steps change nothing",
    from: running(flag(), false, true),
    event: { kind: "step_starting", reversible: false },
    to: "running",
    effects: [],
  },
  // Abort: power back for the hold.
  {
    name: "power back for the hold before the point of no return aborts",
    from: running(),
    event: { kind: "power_stable", nowMs: NOW },
    to: "aborting",
    effects: ["write_flag", "announce_abort"],
  },
  {
    name: "power back for the hold past the point of no return does not abort",
    from: running(flag(), false, true),
    event: { kind: "power_stable", nowMs: NOW },
    to: "running",
    effects: [],
  },
  {
    name: "a sequence that FSD started is never aborted",
    from: running(flag({ reason: { trigger: "fsd", message: "FSD" } })),
    event: { kind: "power_stable", nowMs: NOW },
    to: "running",
    effects: [],
  },
  {
    name: "a sequence that the fail-safe started is never aborted",
    from: running(flag({ reason: { trigger: "fail_safe", message: "lost" } })),
    event: { kind: "power_stable", nowMs: NOW },
    to: "running",
    effects: [],
  },
  {
    name: "power back while armed does not abort anything",
    from: ARMED,
    event: { kind: "power_stable", nowMs: NOW },
    to: "armed",
    effects: [],
  },
  {
    name: "the step in progress at the abort is still recorded",
    from: aborting(),
    event: { kind: "step_ended", result: RESULT },
    to: "aborting",
    effects: ["write_flag"],
  },
  {
    name: "the sequence stopped after the abort: roll back",
    from: aborting(),
    event: { kind: "sequence_ended", nowMs: NOW },
    to: "aborting",
    effects: ["run_rollback"],
  },
  {
    name:
      "the rollback ended: recorded, reported, triggers re-armed, crisis left",
    from: aborting(),
    event: { kind: "rollback_ended", lines: ["VM web started"], nowMs: NOW },
    to: "armed",
    effects: [
      "write_flag",
      "report_rollback",
      "rearm_triggers",
      "leave_crisis",
    ],
  },
  {
    name: "a reload waits for the rollback",
    from: aborting(),
    event: { kind: "reload_requested" },
    to: "aborting",
    effects: ["log"],
  },
  {
    name: "the reload deferred during an abort applies after the rollback",
    from: aborting(flag({ state: "aborting" }), true),
    event: { kind: "rollback_ended", lines: [], nowMs: NOW },
    to: "armed",
    effects: [
      "write_flag",
      "report_rollback",
      "rearm_triggers",
      "leave_crisis",
      "apply_reload",
    ],
  },
  {
    name: "a trigger during a rollback is moot",
    from: aborting(),
    event: triggered(),
    to: "aborting",
    effects: [],
  },
  {
    name: "a restart during a rollback resumes the rollback",
    from: ARMED,
    event: started({ state: "aborting", flag: flag({ state: "aborting" }) }),
    to: "aborting",
    effects: ["enter_crisis", "log", "run_rollback"],
  },
  {
    name: "a restart after an aborted sequence is armed",
    from: ARMED,
    event: started({ state: "aborted", flag: flag({ state: "aborted" }) }),
    to: "armed",
    effects: [],
  },
];

Deno.test("transition() aborts only before the point of no return, never for FSD or the fail-safe", async (t) => {
  for (const c of CASES) {
    await t.step(c.name, () => {
      const next = transition(c.from, c.event);
      assert.equal(next.mode.mode, c.to);
      assert.deepEqual(next.effects.map((e) => e.kind), c.effects);
    });
  }
});

Deno.test("transition() resumes a committed sequence as committed: no abort after a restart", () => {
  const resumed = transition(
    ARMED,
    started({ state: "running", flag: flag({ committed: true }) }),
  );
  assert.ok(resumed.mode.mode === "running" && resumed.mode.committed);
  const stable = transition(resumed.mode, { kind: "power_stable", nowMs: NOW });
  assert.equal(stable.mode.mode, "running");
});

Deno.test("transition() records the abort and the rollback in the flag", () => {
  const aborted = transition(running(), { kind: "power_stable", nowMs: NOW });
  const [written] = aborted.effects;
  assert.ok(written?.kind === "write_flag");
  assert.equal(written.flag.state, "aborting");
  assert.equal(written.flag.abortedAt, NOW);
  const over = transition(aborted.mode, {
    kind: "rollback_ended",
    lines: ["VM web started"],
    nowMs: NOW + 5,
  });
  const [done] = over.effects;
  assert.ok(done?.kind === "write_flag");
  assert.equal(done.flag.state, "aborted");
  assert.deepEqual(done.flag.rollback, ["VM web started"]);
  assert.equal(done.flag.finishedAt, NOW + 5);
});
