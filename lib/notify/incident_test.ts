import assert from "node:assert/strict";
import {
  fallBack,
  foldStep,
  type Incident,
  incidentWork,
  isStepNotification,
  markShown,
  MAX_INCIDENT_EDITS,
  planSend,
  type SendPlan,
  startsSequence,
  type StepNotification,
} from "./incident.ts";
import type { Notification, StepProgress } from "./notification.ts";
import { FRESH_PACE, paceRecord, type RateLimit } from "./pace.ts";

const LIMITS: RateLimit[] = [{ requests: 5, perMs: 2000 }];

function step(
  id: string,
  phase: StepProgress["phase"],
  extra: Partial<StepProgress> & { timeMs?: number } = {},
): StepNotification {
  const { timeMs = 1000, ...progress } = extra;
  return {
    event: "shutdown.step",
    severity: "info",
    title: id,
    message: phase,
    ups: "ups@nas",
    timeMs,
    step: { id, title: `Step ${id}`, phase, dryRun: false, ...progress },
  };
}

function fold(...notes: StepNotification[]): Incident {
  return notes.reduce<Incident | null>(foldStep, null)!;
}

Deno.test("isStepNotification() and startsSequence() sort a sequence's notifications", () => {
  const plain: Notification = { ...step("a", "start"), event: "x" };
  delete plain.step;
  assert.equal(isStepNotification(step("a", "start")), true);
  assert.equal(isStepNotification(plain), false);
  for (const event of ["shutdown.triggered", "shutdown.resumed"]) {
    assert.equal(startsSequence({ ...plain, event }), true, event);
  }
  for (const event of ["shutdown.summary", "shutdown.step", "power.restored"]) {
    assert.equal(startsSequence({ ...plain, event }), false, event);
  }
});

Deno.test("foldStep() keeps one row per step in start order, updated as it ends", () => {
  const incident = fold(
    step("vms", "start", { timeMs: 1000 }),
    step("vms", "done", {
      durationMs: 2100,
      summary: "3 VMs shut down",
      details: ["VM a: shut down"],
      timeMs: 3100,
    }),
    step("sync", "start", { timeMs: 3200 }),
  );
  assert.deepEqual(incident.table, {
    rows: [
      {
        id: "vms",
        title: "Step vms",
        status: "done",
        durationMs: 2100,
        summary: "3 VMs shut down",
        details: ["VM a: shut down"],
      },
      {
        id: "sync",
        title: "Step sync",
        status: "running",
        durationMs: null,
        summary: "",
        details: [],
      },
    ],
    dryRun: false,
    ups: "ups@nas",
    updatedMs: 3200,
  });
  assert.equal(incident.version, 3);
  assert.deepEqual(incident.unshown.map((s) => s.version), [1, 2, 3]);
  assert.equal(incident.messageId, null);
  assert.equal(incident.mode, "table");
});

Deno.test("markShown() forgets what the receiver shows and counts edits, not the post", () => {
  const posted = markShown(fold(step("a", "start"), step("a", "done")), {
    version: 1,
    messageId: "42",
  });
  assert.deepEqual(
    [posted.shownVersion, posted.messageId, posted.edits],
    [1, "42", 0],
  );
  assert.deepEqual(posted.unshown.map((s) => s.version), [2]);
  const edited = markShown(posted, { version: 2 });
  assert.deepEqual(
    [edited.shownVersion, edited.messageId, edited.edits, edited.unshown],
    [2, "42", 1, []],
  );
  assert.equal(
    markShown(edited, { version: 1 }).shownVersion,
    2,
    "a late answer for an older version does not go back",
  );
});

Deno.test("fallBack() hands back every step notification no table showed, oldest first", () => {
  const notes = [step("a", "start"), step("a", "done"), step("b", "start")];
  const shown = markShown(fold(...notes), { version: 1, messageId: "42" });
  const { incident, notifications } = fallBack(shown);
  assert.deepEqual(notifications, notes.slice(1));
  assert.equal(incident.mode, "fallback");
  assert.equal(incidentWork(incident, true), "none");
  assert.deepEqual(fallBack(incident).notifications, [], "nothing twice");
});

Deno.test("incidentWork() posts once the anchor is at the head, then edits, and gives up past the edit cap", () => {
  const fresh = fold(step("a", "start"));
  const posted = markShown(fresh, { version: 1, messageId: "42" });
  const dirty = foldStep(posted, step("a", "done"));
  const worn = { ...dirty, edits: MAX_INCIDENT_EDITS };
  const cases: [string, Incident, boolean, string][] = [
    ["not posted, others queued before it", fresh, false, "none"],
    ["not posted, its turn", fresh, true, "post"],
    ["posted, nothing new", posted, true, "none"],
    ["posted, a step ended", dirty, false, "edit"],
    ["out of edits", worn, false, "fallback"],
    ["fallen back", fallBack(dirty).incident, true, "none"],
  ];
  for (const [name, incident, anchorAtHead, expected] of cases) {
    assert.equal(incidentWork(incident, anchorAtHead), expected, name);
  }
});

Deno.test("planSend() puts the incident first, waits for the rate limit, and idles when nothing is left", () => {
  const full = [0, 10, 20, 30, 40].reduce(
    (pace, nowMs) => paceRecord(pace, { limits: LIMITS, nowMs }),
    FRESH_PACE,
  );
  const cases: [string, Parameters<typeof planSend>[0], SendPlan][] = [
    ["nothing", {
      work: "none",
      queued: 0,
      pace: full,
      limits: LIMITS,
      nowMs: 50,
    }, { kind: "idle" }],
    ["edit and messages, room left", {
      work: "edit",
      queued: 3,
      pace: FRESH_PACE,
      limits: LIMITS,
      nowMs: 50,
    }, { kind: "incident", work: "edit" }],
    ["messages only", {
      work: "none",
      queued: 3,
      pace: FRESH_PACE,
      limits: LIMITS,
      nowMs: 50,
    }, { kind: "queue" }],
    ["edit, window full", {
      work: "edit",
      queued: 0,
      pace: full,
      limits: LIMITS,
      nowMs: 50,
    }, { kind: "wait", ms: 1950 }],
    ["edit, window free again", {
      work: "post",
      queued: 1,
      pace: full,
      limits: LIMITS,
      nowMs: 2000,
    }, { kind: "incident", work: "post" }],
    ["out of edits: no request, no wait", {
      work: "fallback",
      queued: 0,
      pace: full,
      limits: LIMITS,
      nowMs: 50,
    }, { kind: "fallback" }],
  ];
  for (const [name, state, expected] of cases) {
    assert.deepEqual(planSend(state), expected, name);
  }
});

Deno.test("planSend() coalesces edits that come faster than the rate limit: the latest table goes, never a queue of stale ones", () => {
  // 40 step notifications, one every 50 ms (two per step, 20 steps); each
  // request takes 10 ms. Replayed against the planner with time as data.
  const arrivals = Array.from({ length: 40 }, (_, i) => ({
    atMs: i * 50,
    note: step(`s${Math.floor(i / 2)}`, i % 2 === 0 ? "start" : "done", {
      durationMs: 40,
    }),
  }));
  let incident: Incident | null = null;
  let pace = FRESH_PACE;
  const sent: { atMs: number; version: number }[] = [];
  let nowMs = 0;
  while (nowMs < 10_000) {
    while (arrivals.length > 0 && arrivals[0]!.atMs <= nowMs) {
      incident = foldStep(incident, arrivals.shift()!.note);
    }
    if (incident === null) {
      nowMs = arrivals[0]!.atMs;
      continue;
    }
    const plan = planSend({
      work: incidentWork(incident, true),
      queued: 0,
      pace,
      limits: LIMITS,
      nowMs,
    });
    if (plan.kind === "idle") {
      if (arrivals.length === 0) break;
      nowMs = arrivals[0]!.atMs;
    } else if (plan.kind === "wait") {
      nowMs = Math.min(nowMs + plan.ms, arrivals[0]?.atMs ?? Infinity);
    } else {
      assert.equal(plan.kind, "incident");
      const version: number = incident.version;
      nowMs += 10;
      sent.push({ atMs: nowMs, version });
      pace = paceRecord(pace, { limits: LIMITS, nowMs });
      incident = markShown(incident, {
        version,
        ...(incident.messageId === null ? { messageId: "42" } : {}),
      });
    }
  }
  // Never more than 5 requests in any 2 s.
  for (const [i, request] of sent.entries()) {
    const window = sent.filter((s) =>
      s.atMs > request.atMs - 2000 && s.atMs <= request.atMs
    );
    assert.ok(window.length <= 5, `request ${i}: ${window.length} in 2 s`);
  }
  // Far fewer requests than notifications, each newer than the last, the final table last.
  assert.ok(sent.length <= 10, `${sent.length} requests for 40 updates`);
  assert.deepEqual(
    sent.map((s) => s.version),
    [...sent.map((s) => s.version)].sort((a, b) => a - b),
  );
  assert.equal(sent.at(-1)?.version, 40);
  assert.equal(incident!.table.rows.length, 20);
  assert.ok(incident!.table.rows.every((r) => r.status === "done"));
});
