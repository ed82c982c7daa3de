import assert from "node:assert/strict";
import {
  ARMED,
  type CrisisEvent,
  FLAG_FUTURE_TOLERANCE_MS,
  transition,
  UNKNOWN_BOOT_ID,
} from "./crisis_machine.ts";
import {
  BOOT,
  type Case,
  done,
  flag,
  held,
  NOW,
  REASON,
  RESULT,
  running,
  started,
  triggered,
} from "../testing/crisis_fixtures.ts";

const CASES: Case[] = [
  // A trigger.
  {
    name: "a trigger while armed starts a sequence",
    from: ARMED,
    event: triggered(),
    to: "running",
    effects: ["write_flag", "enter_crisis", "announce", "run_steps"],
  },
  {
    name: "a trigger while a sequence runs is moot",
    from: running(),
    event: triggered(),
    to: "running",
    effects: [],
  },
  {
    name: "a trigger after a sequence ended is moot",
    from: done(),
    event: triggered(),
    to: "done",
    effects: [],
  },
  {
    name: "a rehearsal's trigger never overwrites a real sequence it holds",
    from: held(),
    event: triggered(true),
    to: "held",
    effects: [],
  },
  // Steps and the end of the sequence.
  {
    name: "a step that ends is written to the flag",
    from: running(),
    event: { kind: "step_ended", result: RESULT },
    to: "running",
    effects: ["write_flag"],
  },
  {
    name: "a step result without a running sequence is ignored",
    from: ARMED,
    event: { kind: "step_ended", result: RESULT },
    to: "armed",
    effects: [],
  },
  {
    name: "the end of the sequence writes the done flag and reports",
    from: running(),
    event: { kind: "sequence_ended", nowMs: NOW },
    to: "done",
    effects: ["write_flag", "report_complete"],
  },
  {
    name: "the end of the sequence applies a deferred reload",
    from: running(flag(), true),
    event: { kind: "sequence_ended", nowMs: NOW },
    to: "done",
    effects: ["write_flag", "report_complete", "apply_reload"],
  },
  // Power back (the power core re-armed after rearm_after on line power).
  {
    name: "power back after the sequence clears the flag and leaves crisis",
    from: done(),
    event: { kind: "power_back" },
    to: "armed",
    effects: ["clear_flag", "leave_crisis"],
  },
  {
    name: "power back never stops a running sequence",
    from: running(),
    event: { kind: "power_back" },
    to: "running",
    effects: [],
  },
  {
    name: "power back keeps a rehearsal holding a real sequence held",
    from: held(),
    event: { kind: "power_back" },
    to: "held",
    effects: ["hold_triggers"],
  },
  {
    name: "power back while armed does nothing",
    from: ARMED,
    event: { kind: "power_back" },
    to: "armed",
    effects: [],
  },
  // The flag removed by hand.
  {
    name: "a flag removed by hand after the sequence re-arms",
    from: done(),
    event: { kind: "flag_removed" },
    to: "armed",
    effects: ["rearm_triggers", "leave_crisis", "log"],
  },
  {
    name: "a flag removed by hand re-arms a rehearsal that held it",
    from: held(),
    event: { kind: "flag_removed" },
    to: "armed",
    effects: ["rearm_triggers", "leave_crisis", "log"],
  },
  {
    name: "a flag removed by hand during the sequence changes nothing",
    from: running(),
    event: { kind: "flag_removed" },
    to: "running",
    effects: [],
  },
  // Restart in the same boot.
  {
    name: "a start without a flag stays armed",
    from: ARMED,
    event: started({ state: "armed" }),
    to: "armed",
    effects: [],
  },
  {
    name: "a restart in the same boot resumes an interrupted sequence",
    from: ARMED,
    event: started({ state: "running", flag: flag() }),
    to: "running",
    effects: ["enter_crisis", "announce", "run_steps"],
  },
  {
    name: "a restart in the same boot after the sequence keeps it done",
    from: ARMED,
    event: started({ state: "done", flag: flag({ state: "done" }) }),
    to: "done",
    effects: ["log"],
  },
  {
    name: "a daemon that is not in dry-run archives an interrupted rehearsal",
    from: ARMED,
    event: started({ state: "running", flag: flag({ dryRun: true }) }),
    to: "armed",
    effects: ["archive_flag"],
  },
  {
    name: "a dry-run daemon leaves a real interrupted sequence alone",
    from: ARMED,
    event: started({ state: "running", flag: flag() }, { dryRun: true }),
    to: "held",
    effects: ["log", "hold_triggers"],
  },
  {
    name: "a flag from the future is archived, not resumed",
    from: ARMED,
    event: started({
      state: "running",
      flag: flag({ startedAt: NOW + FLAG_FUTURE_TOLERANCE_MS + 1 }),
    }),
    to: "armed",
    effects: ["archive_flag"],
  },
  {
    name: "an unreadable flag is archived",
    from: ARMED,
    event: started({ state: "invalid", error: "not a flag" }),
    to: "armed",
    effects: ["archive_flag"],
  },
  // Restart in another boot.
  {
    name: "a restart in another boot archives a running flag",
    from: ARMED,
    event: started({ state: "running", flag: flag({ bootId: "boot-b" }) }),
    to: "armed",
    effects: ["archive_flag"],
  },
  {
    name: "a restart in another boot archives a done flag",
    from: ARMED,
    event: started({
      state: "done",
      flag: flag({ state: "done", bootId: "boot-b" }),
    }),
    to: "armed",
    effects: ["archive_flag"],
  },
  {
    name: "an unknown boot id never resumes",
    from: ARMED,
    event: started({ state: "running", flag: flag() }, {
      bootId: UNKNOWN_BOOT_ID,
    }),
    to: "armed",
    effects: ["archive_flag"],
  },
  // Sessions (start, reload).
  {
    name: "a session after the sequence holds its triggers",
    from: done(),
    event: { kind: "session_started", dryRun: false },
    to: "done",
    effects: ["hold_triggers", "log"],
  },
  {
    name: "a rehearsal's done flag does not hold a real daemon",
    from: done(flag({ state: "done", dryRun: true })),
    event: { kind: "session_started", dryRun: false },
    to: "armed",
    effects: [],
  },
  {
    name: "a rehearsal holding a real sequence holds every session",
    from: held(),
    event: { kind: "session_started", dryRun: true },
    to: "held",
    effects: ["hold_triggers"],
  },
  {
    name: "a session while armed is armed",
    from: ARMED,
    event: { kind: "session_started", dryRun: false },
    to: "armed",
    effects: [],
  },
  // Reload.
  {
    name: "a reload during a sequence waits until it is over",
    from: running(),
    event: { kind: "reload_requested" },
    to: "running",
    effects: ["log"],
  },
  {
    name: "a reload while armed applies now",
    from: ARMED,
    event: { kind: "reload_requested" },
    to: "armed",
    effects: ["apply_reload"],
  },
  {
    name: "a reload after the sequence applies now",
    from: done(),
    event: { kind: "reload_requested" },
    to: "done",
    effects: ["apply_reload"],
  },
];

Deno.test("transition() reaches the right mode with the right effects for every event", async (t) => {
  for (const c of CASES) {
    await t.step(c.name, () => {
      const next = transition(c.from, c.event);
      assert.equal(next.mode.mode, c.to);
      assert.deepEqual(next.effects.map((e) => e.kind), c.effects);
    });
  }
});

Deno.test("transition() records each ended step in the flag it writes", () => {
  const next = transition(running(), { kind: "step_ended", result: RESULT });
  assert.equal(next.mode.mode, "running");
  const written = next.effects[0];
  assert.ok(written?.kind === "write_flag");
  assert.deepEqual(written.flag.completedSteps, ["vms"]);
  assert.deepEqual(written.flag.results, [RESULT]);
  assert.deepEqual(
    next.mode.mode === "running" && next.mode.flag,
    written.flag,
  );
});

Deno.test("transition() stamps a new flag with the trigger, the boot and dry-run", () => {
  const next = transition(ARMED, triggered(true));
  const written = next.effects[0];
  assert.ok(written?.kind === "write_flag");
  assert.deepEqual(written.flag, {
    state: "running",
    reason: REASON,
    startedAt: NOW,
    bootId: BOOT,
    dryRun: true,
    completedSteps: [],
    results: [],
  });
});

Deno.test("transition() marks the flag done with the end time", () => {
  const next = transition(running(), { kind: "sequence_ended", nowMs: NOW });
  const written = next.effects[0];
  assert.ok(written?.kind === "write_flag");
  assert.equal(written.flag.state, "done");
  assert.equal(written.flag.finishedAt, NOW);
});

Deno.test("transition() says why a flag is archived", () => {
  const archived = (event: CrisisEvent) => {
    const effect = transition(ARMED, event).effects[0];
    assert.ok(effect?.kind === "archive_flag");
    return effect.why;
  };
  assert.equal(
    archived(started({ state: "running", flag: flag({ bootId: "b" }) })),
    "A shutdown sequence (running) from another boot was found and is not resumed",
  );
  assert.equal(
    archived(started({ state: "done", flag: flag({ startedAt: NOW * 2 }) })),
    "A shutdown sequence (running) that starts in the future was found and is not resumed",
  );
});

Deno.test("transition() leaves a real sequence to a real daemon, loudly", () => {
  const next = transition(
    ARMED,
    started({ state: "running", flag: flag() }, { dryRun: true }),
  );
  const [said] = next.effects;
  assert.ok(said?.kind === "log");
  assert.equal(said.level, "error");
  assert.equal(said.event, "shutdown.real_sequence_left");
  // Nothing that writes, clears, archives or runs.
  assert.ok(
    next.effects.every((e) =>
      !["write_flag", "clear_flag", "archive_flag", "run_steps"].includes(
        e.kind,
      )
    ),
  );
});
