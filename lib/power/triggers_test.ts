import assert from "node:assert/strict";
import { parseConfig } from "../config/load.ts";
import type { Config } from "../config/schema.ts";
import { readReading } from "./reading.ts";
import { onBattery, onLine, Sim } from "../testing/power_sim.ts";
import { snapshot } from "./snapshot.ts";
import type { PowerState, TriggerName } from "./state.ts";
import { decide } from "./triggers.ts";

function config(triggers = ""): Config {
  const section = triggers === "" ? "" : `triggers:\n${triggers}`;
  return parseConfig(`ups:\n  name: u\n${section}`, "t.yaml");
}

const CONFIG = config();
const ONE_POLL = config("  persistence_polls: 1\n");

function triggerOf(sim: Sim): TriggerName | null {
  return sim.decisions[0]?.decision.trigger ?? null;
}

Deno.test("decide() prefers FSD over low battery", () => {
  const sim = new Sim(CONFIG);
  sim.poll(onLine());
  for (let i = 0; i < 3; i++) {
    sim.poll(
      onBattery(5, { "ups.status": "FSD OB LB", "battery.runtime": "60" }),
    );
  }
  assert.equal(triggerOf(sim), "fsd");
  assert.equal(decide(sim.state, CONFIG, sim.monoMs)?.trigger, "fsd");
});

Deno.test("decide() tries the triggers in order, first match wins", () => {
  // A state where every trigger holds; each stage removes the condition of
  // the trigger that matched and expects the next one.
  const sim = new Sim({
    ...config("  persistence_polls: 1\n"),
    neededMs: 300_000,
  });
  sim.poll(onLine());
  const full = onBattery(5, {
    "ups.status": "FSD OB LB",
    "battery.runtime": "60",
  });
  let state: PowerState = {
    ...sim.state,
    last: readReading(full, sim.monoMs),
    onBattery: true,
    outageStartMs: sim.monoMs - 1_000_000,
    depletion: { ratePerMin: 20, samples: 300, spanMs: 300_000 },
    streaks: { charge: 3, runtime: 3, depletion: 3, budget: 3 },
    trackers: {
      ...sim.state.trackers,
      failures: 3,
      lastFailure: { kind: "timeout", detail: "no reply" },
    },
  };
  const stages: [TriggerName | null, (s: PowerState) => PowerState][] = [
    [
      "fsd",
      (s) => ({
        ...s,
        last: readReading({ ...full, "ups.status": "OB LB" }, 0),
      }),
    ],
    [
      "low_battery_flag",
      (s) => ({ ...s, last: readReading({ ...full, "ups.status": "OB" }, 0) }),
    ],
    ["budget", (s) => ({ ...s, streaks: { ...s.streaks, budget: 0 } })],
    ["low_charge", (s) => ({ ...s, streaks: { ...s.streaks, charge: 0 } })],
    ["low_runtime", (s) => ({ ...s, streaks: { ...s.streaks, runtime: 0 } })],
    ["depletion", (s) => ({ ...s, streaks: { ...s.streaks, depletion: 0 } })],
    ["extended_time", (s) => ({ ...s, outageStartMs: sim.monoMs - 1000 })],
    ["fail_safe", (s) => ({ ...s, trackers: { ...s.trackers, failures: 2 } })],
    [null, (s) => s],
  ];
  for (const [expected, remove] of stages) {
    assert.equal(
      decide(state, sim.config, sim.monoMs)?.trigger ?? null,
      expected,
    );
    state = remove(state);
  }
});

Deno.test("step() triggers on charge strictly below low_battery: 20 % no, 19.9 % yes", () => {
  const cases: [string, string | null][] = [
    ["20", null],
    ["20.0", null],
    ["19.9", "charge 19.9% < 20% for 3 polls"],
    ["18", "charge 18% < 20% for 3 polls"],
  ];
  for (const [charge, reason] of cases) {
    const sim = new Sim(CONFIG);
    for (let i = 0; i < 3; i++) sim.poll(onBattery(charge));
    assert.equal(sim.decisions[0]?.decision.reason ?? null, reason, charge);
  }
});

Deno.test("step() triggers on runtime strictly below critical_runtime: 600 s no, 599 s yes", () => {
  const cases: [string, string | null][] = [
    ["600", null],
    ["599", "runtime 599s < 600s for 3 polls"],
    ["540", "runtime 540s < 600s for 3 polls"],
    ["0", null],
    ["-1", null],
    ["65535", null],
  ];
  for (const [runtime, reason] of cases) {
    const sim = new Sim(CONFIG);
    for (let i = 0; i < 3; i++) {
      sim.poll(onBattery(80, { "battery.runtime": runtime }));
    }
    assert.equal(sim.decisions[0]?.decision.reason ?? null, reason, runtime);
  }
});

Deno.test("step() needs persistence_polls consecutive polls for charge and runtime", () => {
  const cases: [string[], boolean][] = [
    [["18", "18"], false],
    [["18", "18", "18"], true],
    [["18", "18", "25", "18", "18"], false],
    [["50", "5", "50", "50", "50"], false],
    // An unknown charge neither bumps nor resets the streak.
    [["18", "abc", "18", "18"], true],
    [["18", "abc", "abc", "18"], false],
  ];
  for (const [charges, fires] of cases) {
    const sim = new Sim(CONFIG);
    for (const charge of charges) sim.poll(onBattery(charge));
    assert.equal(sim.decisions.length > 0, fires, charges.join(","));
  }
  const sim = new Sim(CONFIG);
  sim.poll(onBattery(18));
  sim.fail();
  sim.poll(onBattery(18));
  assert.equal(sim.decisions.length, 0);
  sim.poll(onBattery(18));
  assert.equal(triggerOf(sim), "low_charge", "a failed poll keeps the streak");
});

Deno.test("step() never applies thresholds on line power", () => {
  const sim = new Sim(CONFIG);
  for (let i = 0; i < 1000; i++) {
    sim.poll(onLine(5, { "battery.runtime": "60" }), 1000);
  }
  assert.equal(sim.decisions.length, 0);
  assert.equal(decide(sim.state, CONFIG, sim.monoMs), null);
});

Deno.test("step() obeys OB + LB at once, but not during CAL", () => {
  const sim = new Sim(CONFIG);
  sim.poll(onBattery(95, { "ups.status": "OB DISCHRG LB" }));
  assert.equal(
    sim.decisions[0]?.decision.reason,
    'UPS low-battery flag on battery (status "OB DISCHRG LB", charge 95%)',
  );
  const cal = new Sim(CONFIG);
  cal.poll(onBattery(95, { "ups.status": "OB DISCHRG LB CAL" }));
  assert.equal(cal.decisions.length, 0);
});

Deno.test("step() reports LB/RB/OFF/ALARM flicker on line power as alarms, never a shutdown", () => {
  const sim = new Sim(CONFIG);
  sim.poll(onLine());
  for (let i = 0; i < 20; i++) {
    sim.poll(onLine(100, { "ups.status": i % 2 === 0 ? "OL LB RB" : "OL" }));
    sim.poll(
      onLine(100, { "ups.status": i % 3 === 0 ? "ALARM OL OFF" : "OL" }),
    );
  }
  assert.equal(sim.decisions.length, 0);
  assert.deepEqual(sim.names().sort(), [
    "battery.low_flag",
    "ups.alarm",
    "ups.alarm",
    "ups.alarm",
  ]);
});

Deno.test("step() waits out the grace period before the depletion trigger", () => {
  // 30 %/min from 100 %: charge stays above 20 % past the grace period.
  const cases: [Config, number][] = [[ONE_POLL, 90_000], [CONFIG, 92_000]];
  for (const [cfg, at] of cases) {
    const sim = new Sim(cfg);
    for (let t = 0; t <= 120_000; t += 1000) {
      sim.poll(onBattery(100 - t / 2000));
      if (sim.decisions.length > 0) break;
    }
    assert.equal(triggerOf(sim), "depletion");
    assert.equal(sim.decisions[0]!.monoMs - (sim.state.outageStartMs ?? 0), at);
  }
});

Deno.test("step() needs min_samples readings in the window for the depletion trigger", () => {
  // Polls every 10 s at 16 %/min: the 30th sample comes at 290 s.
  const sim = new Sim(ONE_POLL);
  for (let t = 0; t <= 400_000; t += 10_000) {
    sim.poll(onBattery(100 - t * 16 / 60_000), 10_000);
    if (sim.decisions.length > 0) break;
  }
  assert.equal(triggerOf(sim), "depletion");
  assert.equal(sim.elapsedMs - 10_000, 290_000);
  assert.match(
    sim.decisions[0]!.decision.reason,
    /^depletion 16%\/min > 15%\/min over 290s \(30 samples\)$/,
  );
});

Deno.test("step() judges depletion on steady and on noisy data", () => {
  let seed = 42;
  const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
  const cases: [string, number, boolean, boolean][] = [
    ["steady 15.5", 15.5, false, true],
    ["steady 14.5", 14.5, false, false],
    ["noisy 20", 20, true, true],
    ["noisy 10", 10, true, false],
  ];
  for (const [name, rate, noisy, fires] of cases) {
    const sim = new Sim(CONFIG);
    for (let t = 0; t <= 240_000; t += 1000) {
      const charge = 100 - rate * t / 60_000;
      const shown = noisy
        ? Math.round(Math.floor(charge) + random() * 2 - 1)
        : charge;
      sim.poll(onBattery(Math.min(100, shown)));
    }
    assert.equal(triggerOf(sim) === "depletion", fires, name);
    if (fires) {
      assert.ok(
        sim.decisions[0]!.monoMs - sim.state.outageStartMs! < 95_000,
        name,
      );
    }
  }
});

Deno.test("step() triggers on time on battery at extended_time, when enabled", () => {
  for (const enabled of [true, false]) {
    const sim = new Sim(config(`  extended_time:\n    enabled: ${enabled}\n`));
    sim.poll(onBattery(90), 10_000);
    for (let i = 0; i < 89; i++) sim.poll(onBattery(90), 10_000);
    assert.equal(sim.decisions.length, 0, "not at 890 s");
    sim.poll(onBattery(90), 10_000);
    if (enabled) {
      assert.equal(
        sim.decisions[0]?.decision.reason,
        "on battery 900s >= 900s",
      );
    } else {
      for (let i = 0; i < 100; i++) sim.poll(onBattery(90), 10_000);
      assert.equal(sim.decisions.length, 0);
    }
  }
});

Deno.test("step() resets the on-battery timers when power returns before a trigger and holds", () => {
  const sim = new Sim(CONFIG);
  for (let i = 0; i < 80; i++) sim.poll(onBattery(90), 10_000);
  sim.poll(onLine(90), 10_000);
  assert.deepEqual(sim.state.history, []);
  assert.equal(sim.events.at(-1)?.name, "power.restored");
  assert.equal(sim.events.at(-1)?.fields["on_battery_ms"], 800_000);
  // The line holds for FLAP_HOLD_POLLS (5) polls: the outage is over.
  for (let i = 0; i < 4; i++) sim.poll(onLine(90), 10_000);
  sim.poll(onBattery(90), 10_000);
  for (let i = 0; i < 89; i++) sim.poll(onBattery(90), 10_000);
  assert.equal(sim.decisions.length, 0);
  sim.poll(onBattery(90), 10_000);
  assert.equal(triggerOf(sim), "extended_time");
  assert.deepEqual(sim.names().filter((n) => n.startsWith("power.")), [
    "power.on_battery",
    "power.restored",
    "power.on_battery",
  ]);
});

Deno.test("step() reports FSD latched at start on line power and does not obey it", () => {
  const sim = new Sim(CONFIG);
  sim.fail();
  sim.poll(onLine(100, { "ups.status": "FSD OL" }));
  for (let i = 0; i < 5; i++) sim.poll(onLine(100, { "ups.status": "FSD OL" }));
  assert.equal(sim.decisions.length, 0);
  assert.deepEqual(sim.names(), ["fsd.latched_at_start"]);
  assert.equal(sim.events[0]!.level, "error");
  assert.equal(sim.events[0]!.fields["obeyed"], false);
  assert.equal(snapshot(sim.state, sim.monoMs)["fsd_ignored"], true);
  sim.poll(onBattery(90, { "ups.status": "FSD OB" }));
  assert.equal(triggerOf(sim), "fsd", "FSD with OB is obeyed");
});

Deno.test("step() obeys FSD that appears while running, with OB at start, or as configured", () => {
  const cases: [string, Config, Record<string, string>[]][] = [
    ["appears while running", CONFIG, [
      onLine(),
      onLine(100, { "ups.status": "FSD OL" }),
    ]],
    ["cleared and back", CONFIG, [
      onLine(100, { "ups.status": "FSD OL" }),
      onLine(),
      onLine(100, { "ups.status": "OL FSD" }),
    ]],
    ["with OB at start", CONFIG, [onBattery(90, { "ups.status": "FSD OB" })]],
    ["obey_fsd_at_start", config("  obey_fsd_at_start: true\n"), [
      onLine(100, { "ups.status": "FSD OL" }),
    ]],
  ];
  for (const [name, cfg, polls] of cases) {
    const sim = new Sim(cfg);
    for (const vars of polls) sim.poll(vars);
    assert.equal(triggerOf(sim), "fsd", name);
    assert.equal(sim.decisions[0]!.monoMs, sim.monoMs, name);
  }
});

Deno.test("step() hands out a decision once and re-arms after rearm_after on line power", () => {
  const sim = new Sim(CONFIG);
  sim.poll(onBattery(50, { "ups.status": "OB LB" }));
  sim.poll(onBattery(50, { "ups.status": "OB LB" }));
  assert.equal(sim.decisions.length, 1);
  sim.poll(onLine());
  for (let i = 0; i < 59; i++) sim.poll(onLine());
  assert.equal(sim.state.armed, false, "59 s on line");
  sim.poll(onLine());
  assert.equal(sim.state.armed, true, "60 s on line");
  assert.equal(sim.events.at(-1)?.name, "shutdown.rearmed");
  sim.poll(onBattery(50, { "ups.status": "OB LB" }));
  assert.equal(sim.decisions.length, 2);
});

Deno.test("step() does not re-arm while a latched FSD would trigger again", () => {
  const sim = new Sim(CONFIG);
  sim.poll(onLine());
  for (let i = 0; i < 300; i++) {
    sim.poll(onLine(100, { "ups.status": "FSD OL" }));
  }
  assert.equal(sim.decisions.length, 1);
  assert.equal(sim.state.armed, false);
  assert.ok(!sim.names().includes("shutdown.rearmed"));
});

Deno.test("step() keeps a threshold streak through an unknown value on battery", () => {
  const two = config("  persistence_polls: 2\n");
  const runtime = (r: string) => onBattery(90, { "battery.runtime": r });
  const cases: [string, Record<string, string>[], string | null][] = [
    [
      "charge 5/NaN/5",
      [onBattery(5), onBattery("NaN"), onBattery(5)],
      "charge 5% < 20% for 2 polls",
    ],
    [
      "charge 5/NaN/NaN",
      [onBattery(5), onBattery("NaN"), onBattery("NaN")],
      null,
    ],
    [
      "charge 5/missing/5",
      [onBattery(5), onBattery(""), onBattery(5)],
      "charge 5% < 20% for 2 polls",
    ],
    ["charge 5/NaN/50/5", [
      onBattery(5),
      onBattery("NaN"),
      onBattery(50),
      onBattery(5),
    ], null],
    ["runtime 300/65535/300", [
      runtime("300"),
      runtime("65535"),
      runtime("300"),
    ], "runtime 300s < 600s for 2 polls"],
    ["runtime 300/NaN/0/300", [
      runtime("300"),
      runtime("NaN"),
      runtime("0"),
      runtime("300"),
    ], "runtime 300s < 600s for 2 polls"],
  ];
  for (const [name, polls, reason] of cases) {
    const sim = new Sim(two);
    sim.poll(onLine());
    for (const vars of polls) sim.poll(vars);
    assert.equal(sim.decisions[0]?.decision.reason ?? null, reason, name);
    if (reason !== null) {
      assert.equal(
        sim.decisions[0]!.monoMs,
        sim.monoMs,
        `${name}: on the last poll`,
      );
    }
  }
});
