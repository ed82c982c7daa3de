import assert from "node:assert/strict";
import { parseConfig } from "../config/load.ts";
import {
  MAX_RESTORE_GAP_MS,
  OUTAGE_FORMAT,
  type RestoreContext,
  restoreOutage,
  type RestoreResult,
  serializeOutage,
} from "./outage.ts";
import { onBattery, onLine, Sim } from "../testing/power_sim.ts";
import type { ResumedOutage } from "./state.ts";

const CONFIG = parseConfig("ups:\n  name: u\n", "t.yaml");
const WINDOW = CONFIG.triggers.depletion.window;
const BOOT = "6f1c2a6e-5b8a-4a0e-9f59-0d1f3c6b2a11";

/** Saves the outage of `before`, then restores it in a new process. */
function restart(
  before: Sim,
  downMs: number,
  overrides: Partial<RestoreContext> = {},
): { result: RestoreResult; after: Sim | null } {
  const text = serializeOutage(before.state, {
    bootId: BOOT,
    monoMs: before.monoMs,
    wallMs: before.wallMs,
  });
  // The new process has its own monotonic origin.
  const monoMs = 42_000;
  const wallMs = before.wallMs + downMs;
  const result = restoreOutage(text, {
    bootId: BOOT,
    monoMs,
    wallMs,
    windowMs: WINDOW,
    uptimeMs: 3_600_000,
    ...overrides,
  });
  if (result.kind !== "resumed") return { result, after: null };
  const after = new Sim(before.config, result.outage);
  after.monoMs = monoMs;
  after.wallMs = wallMs;
  return { result, after };
}

function resumed(result: RestoreResult): ResumedOutage {
  assert.equal(result.kind, "resumed", JSON.stringify(result));
  if (result.kind !== "resumed") throw new TypeError("Cannot happen");
  return result.outage;
}

Deno.test("restoreOutage() continues the grace period and the history after a restart", () => {
  // 30 %/min from 100 %: the depletion trigger is due 92 s into the outage.
  const before = new Sim(CONFIG);
  for (let t = 0; t <= 60_000; t += 1000) {
    before.poll(onBattery(100 - t / 2000));
  }
  const { result, after } = restart(before, 5000);
  const outage = resumed(result);
  assert.equal(outage.history.length, 61);
  assert.equal(after!.monoMs - outage.outageStartMs, 65_000);
  assert.match(
    (result as { message: string }).message,
    /^on battery since 65s ago \(before the restart\), 61 charge samples kept$/,
  );
  let t = 65_000;
  while (after!.decisions.length === 0 && t < 200_000) {
    after!.poll(onBattery(100 - t / 2000));
    t += 1000;
  }
  assert.equal(after!.decisions[0]?.decision.trigger, "depletion");
  assert.equal(after!.decisions[0]!.monoMs - outage.outageStartMs, 92_000);
  assert.equal(after!.events[0]!.name, "power.on_battery");
  assert.equal(after!.events[0]!.fields["resumed"], true);
  assert.equal(after!.events[0]!.fields["on_battery_ms"], 66_000);
});

Deno.test("restoreOutage() continues the extended-time countdown after a restart", () => {
  const before = new Sim(CONFIG);
  for (let i = 0; i < 80; i++) before.poll(onBattery(90), 10_000);
  const { after } = restart(before, 3000);
  assert.ok(after);
  for (let i = 0; i < 10; i++) after.poll(onBattery(90), 10_000);
  assert.equal(after.decisions.length, 0, "at 893 s");
  after.poll(onBattery(90), 10_000);
  assert.equal(after.decisions[0]?.decision.reason, "on battery 903s >= 900s");
});

Deno.test("restoreOutage() waits for a reading before the extended time fires on a resumed outage", () => {
  const before = new Sim(CONFIG);
  for (let i = 0; i < 91; i++) before.poll(onBattery(90), 10_000);
  const { after } = restart(before, 3000);
  after!.fail("refused");
  assert.equal(after!.decisions.length, 0, "power may be back: no reading yet");
  after!.poll(onBattery(90), 1000);
  assert.equal(after!.decisions[0]?.decision.trigger, "extended_time");
});

Deno.test("restoreOutage() ends a resumed outage when the first reading is on line power", () => {
  const before = new Sim(CONFIG);
  for (let i = 0; i < 30; i++) before.poll(onBattery(90), 10_000);
  const { after } = restart(before, 2000);
  after!.poll(onLine(90), 1000);
  assert.deepEqual(after!.names(), ["power.restored"]);
  assert.equal(after!.events[0]!.fields["on_battery_ms"], 293_000);
  assert.equal(after!.state.outageStartMs, null);
  assert.deepEqual(after!.state.history, []);
});

Deno.test("restoreOutage() keeps the fail-safe armed until the first reading", () => {
  const before = new Sim(CONFIG);
  before.poll(onBattery(90));
  const { after } = restart(before, 2000);
  for (let i = 0; i < 3; i++) after!.fail("refused");
  assert.equal(after!.decisions[0]?.decision.trigger, "fail_safe");
});

Deno.test("restoreOutage() discards another boot and wall-clock jumps, with a reason", () => {
  const before = new Sim(CONFIG);
  for (let i = 0; i < 10; i++) before.poll(onBattery(90), 10_000);
  const cases: [string, number, Partial<RestoreContext>, string][] = [
    [
      "another boot",
      2000,
      { bootId: "0e8b" },
      `the boot id changed ("${BOOT}" to "0e8b"): the host rebooted`,
    ],
    [
      "clock went back",
      -60_000,
      {},
      "the record was saved 60s in the future: the wall clock went back",
    ],
    [
      "clock went forward past the boot",
      2000,
      { uptimeMs: 30_000 },
      "the outage began 62s before the boot: the wall clock jumped",
    ],
    [
      "too old",
      MAX_RESTORE_GAP_MS + 1000,
      { uptimeMs: null },
      "the record was saved 901s ago, more than 900s: too old to trust",
    ],
  ];
  for (const [name, downMs, overrides, reason] of cases) {
    const { result } = restart(before, downMs, overrides);
    assert.deepEqual(result, { kind: "discarded", reason }, name);
  }
  const { result } = restart(before, -5000);
  assert.equal(result.kind, "resumed", "a small step back is slack");
});

Deno.test("restoreOutage() discards corrupt and foreign files, never throws", () => {
  const good = JSON.parse(serializeOutage(new Sim(CONFIG).state, {
    bootId: BOOT,
    monoMs: 0,
    wallMs: 1_700_000_000_000,
  }));
  const cases: [string, RegExp][] = [
    ["", /^the file is not JSON: /],
    ["{", /^the file is not JSON: /],
    ["null", /^the file is not an outage record: /],
    ["[]", /^the file is not an outage record: /],
    ['{"format":"other"}', /^the file is not an outage record: format: /],
    [
      JSON.stringify({ ...good, version: 2 }),
      /^the file is not an outage record: version: /,
    ],
    [
      JSON.stringify({ ...good, samples: [[1, 200]] }),
      /^the file is not an outage record: samples\.0\.1: /,
    ],
    [
      JSON.stringify({ ...good, extra: true }),
      /^the file is not an outage record: /,
    ],
    [
      JSON.stringify({
        ...good,
        "on_battery_since_wall_ms": good["saved_wall_ms"] + 1,
      }),
      /^the outage begins after the record was saved$/,
    ],
  ];
  for (const [text, reason] of cases) {
    const result = restoreOutage(text, {
      bootId: BOOT,
      monoMs: 0,
      wallMs: 1_700_000_001_000,
      windowMs: WINDOW,
    });
    assert.equal(result.kind, "discarded", text);
    if (result.kind === "discarded") assert.match(result.reason, reason, text);
  }
});

Deno.test("serializeOutage() records no outage on line power", () => {
  const sim = new Sim(CONFIG);
  sim.poll(onLine());
  const text = serializeOutage(sim.state, {
    bootId: BOOT,
    monoMs: sim.monoMs,
    wallMs: sim.wallMs,
  });
  const record = JSON.parse(text);
  assert.equal(record.format, OUTAGE_FORMAT);
  assert.equal(record["on_battery_since_wall_ms"], null);
  assert.deepEqual(record.samples, []);
  assert.deepEqual(
    restoreOutage(text, {
      bootId: BOOT,
      monoMs: 0,
      wallMs: sim.wallMs + 1000,
      windowMs: WINDOW,
    }),
    { kind: "none" },
  );
});
