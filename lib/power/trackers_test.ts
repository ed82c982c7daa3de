import assert from "node:assert/strict";
import { parseConfig } from "../config/load.ts";
import type { Config } from "../config/schema.ts";
import type { PowerEvent } from "./events.ts";
import { type PollFailureKind, readReading } from "./reading.ts";
import {
  ALARM_HOLD_MS,
  INITIAL_TRACKERS,
  type TrackerState,
  trackFailure,
  trackReading,
} from "./trackers.ts";
import { snapNominal, voltageThresholds } from "./voltage.ts";

function config(yaml = ""): Config {
  return parseConfig(`ups:\n  name: u\n${yaml}`, "t.yaml");
}

const CONFIG = config();

/** Feeds readings (or failures) to the trackers, collecting event names. */
class Trackers {
  state: TrackerState = INITIAL_TRACKERS;
  monoMs = 0;
  readonly events: PowerEvent[] = [];

  constructor(readonly config: Config = CONFIG) {}

  read(vars: Record<string, string>, afterMs = 1000): string[] {
    this.monoMs += afterMs;
    const update = trackReading(
      this.state,
      readReading(vars, this.monoMs),
      this.config,
      this.monoMs,
    );
    return this.#take(update);
  }

  fail(kind: PollFailureKind, afterMs = 1000): string[] {
    this.monoMs += afterMs;
    const failure = { kind, detail: kind };
    return this.#take(
      trackFailure(this.state, failure, this.config, this.monoMs),
    );
  }

  #take(update: ReturnType<typeof trackReading>): string[] {
    this.state = update.state;
    this.events.push(...update.events);
    return update.events.map((e) => e.name);
  }
}

function line(volts: number | string, extra: Record<string, string> = {}) {
  return {
    "ups.status": "OL",
    "input.voltage": String(volts),
    "input.voltage.nominal": "230",
    ...extra,
  };
}

Deno.test("snapNominal() snaps to the standard grid voltages", () => {
  const cases: [number, number][] = [
    [230, 230],
    [235, 230],
    [228, 230],
    [240, 240],
    [118, 120],
    [125, 127],
    [100, 100],
    [211, 208],
    [24, 24],
    [400, 400],
  ];
  for (const [reported, grid] of cases) {
    assert.equal(snapNominal(reported), grid, String(reported));
  }
});

Deno.test("voltageThresholds() derives, clamps inside the transfer window, or takes the config", () => {
  const cases: [
    string,
    Record<string, string>,
    Config,
    [number | null, number | null],
  ][] = [
    ["nominal ± 10 %", { "input.voltage.nominal": "230" }, CONFIG, [207, 253]],
    ["snapped nominal", { "input.voltage.nominal": "235" }, CONFIG, [207, 253]],
    ["120 V grid", { "input.voltage.nominal": "120" }, CONFIG, [108, 132]],
    [
      "inside a narrow transfer window",
      {
        "input.voltage.nominal": "230",
        "input.transfer.low": "210",
        "input.transfer.high": "250",
      },
      CONFIG,
      [212.3, 247.7],
    ],
    [
      "a wide transfer window changes nothing",
      {
        "input.voltage.nominal": "230",
        "input.transfer.low": "170",
        "input.transfer.high": "280",
      },
      CONFIG,
      [207, 253],
    ],
    [
      "nominal from the transfer window",
      { "input.transfer.low": "196", "input.transfer.high": "264" },
      CONFIG,
      [207, 253],
    ],
    [
      "margin 5 %",
      { "input.voltage.nominal": "230" },
      config("triggers:\n  voltage:\n    margin_percent: 5\n"),
      [218.5, 241.5],
    ],
    [
      "set by hand",
      { "input.voltage.nominal": "230", "input.transfer.low": "210" },
      config(
        "triggers:\n  voltage:\n    brownout: 200\n    overvoltage: 260\n",
      ),
      [200, 260],
    ],
    ["no nominal, no window", {}, CONFIG, [null, null]],
    ["a bogus nominal", { "input.voltage.nominal": "12" }, CONFIG, [
      null,
      null,
    ]],
  ];
  for (const [name, vars, cfg, [brownout, overvoltage]] of cases) {
    const t = voltageThresholds(readReading(vars, 0), cfg.triggers.voltage);
    assert.deepEqual(
      [t.brownout, t.overvoltage],
      [brownout, overvoltage],
      name,
    );
  }
});

Deno.test("trackReading() reports a brownout once and ends it with hysteresis", () => {
  const t = new Trackers();
  assert.deepEqual(t.read(line(230)), []);
  assert.deepEqual(t.read(line(207)), [], "exactly the threshold");
  assert.deepEqual(t.read(line(206.9)), ["voltage.brownout"]);
  assert.deepEqual(t.read(line(200)), []);
  assert.deepEqual(t.read(line(208)), [], "inside the hysteresis");
  assert.deepEqual(t.read(line(206)), []);
  assert.deepEqual(t.read(line(209.3)), ["voltage.normal"]);
  assert.equal(t.events[0]!.message, "Brownout: input 206.9V < 207V");
  assert.deepEqual(t.events[0]!.fields, {
    "input_voltage": 206.9,
    "brownout_v": 207,
    "overvoltage_v": 253,
    "nominal_v": 230,
  });
});

Deno.test("trackReading() does not storm on a flapping input", () => {
  const t = new Trackers();
  for (let i = 0; i < 100; i++) t.read(line(i % 2 === 0 ? 206.5 : 207.5));
  assert.deepEqual(t.events.map((e) => e.name), ["voltage.brownout"]);
});

Deno.test("trackReading() reports over-voltage, and goes from one extreme to the other", () => {
  const t = new Trackers();
  assert.deepEqual(t.read(line(254)), ["voltage.overvoltage"]);
  assert.deepEqual(t.read(line(252)), []);
  assert.deepEqual(t.read(line(190)), ["voltage.brownout"]);
  assert.deepEqual(t.read(line(230)), ["voltage.normal"]);
});

Deno.test("trackReading() holds voltage and AVR while on battery", () => {
  const t = new Trackers();
  t.read(line(230, { "ups.status": "OL BOOST" }));
  assert.deepEqual(
    t.read({
      "ups.status": "OB",
      "input.voltage": "0",
      "input.voltage.nominal": "230",
    }),
    [],
  );
  assert.equal(t.state.voltage, "normal");
  assert.equal(t.state.avr, "boost");
  assert.deepEqual(t.read(line(230)), ["avr.off"]);
});

Deno.test("trackReading() reports AVR boost, trim and off once each", () => {
  const t = new Trackers();
  const seen = [
    "OL",
    "OL BOOST",
    "OL BOOST",
    "OL TRIM",
    "OL TRIM",
    "OL",
    "OL",
  ].flatMap((status) => t.read(line(230, { "ups.status": status })));
  assert.deepEqual(seen, ["avr.boost", "avr.trim", "avr.off"]);
});

Deno.test("trackReading() reports overload by flag or load, resolved below 95 %", () => {
  const t = new Trackers();
  const seen = [
    ["OL", "90"],
    ["OL OVER", "90"],
    ["OL", "98"],
    ["OL", "94"],
    ["OL", "101"],
    ["OL", "100"],
    ["OL", "95"],
  ].map(([status, load]) =>
    t.read(line(230, { "ups.status": status!, "ups.load": load! }))
  );
  assert.deepEqual(seen, [
    [],
    ["ups.overload"],
    [],
    ["ups.overload_resolved"],
    ["ups.overload"],
    [],
    ["ups.overload_resolved"],
  ]);
});

Deno.test("trackReading() reports bypass on and off", () => {
  const t = new Trackers();
  assert.deepEqual(t.read(line(230, { "ups.status": "OL BYPASS" })), [
    "ups.bypass",
  ]);
  assert.deepEqual(t.read(line(230, { "ups.status": "OL BYPASS" })), []);
  assert.deepEqual(t.read(line(230)), ["ups.bypass_off"]);
});

Deno.test("trackReading() reports a flickering alarm flag once until it stays away", () => {
  const t = new Trackers();
  const names: string[] = [];
  for (let i = 0; i < 30; i++) {
    names.push(
      ...t.read(line(230, { "ups.status": i % 2 === 0 ? "OL LB" : "OL" })),
    );
  }
  assert.deepEqual(names, ["battery.low_flag"]);
  assert.deepEqual(t.read(line(230), ALARM_HOLD_MS - 2000), []);
  assert.deepEqual(t.read(line(230), 2000), ["battery.low_flag_cleared"]);
  assert.deepEqual(
    t.read(
      line(230, {
        "ups.status": "ALARM OL RB",
        "ups.alarm": "Replace battery!",
      }),
    ),
    ["ups.alarm", "ups.alarm"],
  );
  assert.equal(
    t.events.at(-2)!.message,
    "UPS flag RB on line power: Replace battery!",
  );
});

Deno.test("trackFailure() changes the connection state only at max_stale_data_tolerance", () => {
  const cases: [PollFailureKind[], string[]][] = [
    [["data_stale", "data_stale"], []],
    [["data_stale", "data_stale", "data_stale"], ["connection.stale"]],
    [["driver_not_connected", "wait", "no_status", "wait"], [
      "connection.stale",
    ]],
    [["refused", "refused", "refused", "refused"], ["connection.lost"]],
    [["data_stale", "data_stale", "data_stale", "closed"], [
      "connection.stale",
      "connection.lost",
    ]],
    [["timeout", "error", "data_stale"], ["connection.stale"]],
  ];
  for (const [kinds, expected] of cases) {
    const t = new Trackers();
    t.read(line(230));
    const names = kinds.flatMap((kind) => t.fail(kind));
    assert.deepEqual(names, expected, kinds.join(","));
  }
});

Deno.test("trackReading() reports the connection restored once, with the failures", () => {
  const t = new Trackers(
    config("  max_stale_data_tolerance: 2\n"),
  );
  t.read(line(230));
  t.fail("refused");
  assert.deepEqual(t.fail("refused"), ["connection.lost"]);
  assert.deepEqual(t.read(line(230)), ["connection.restored"]);
  assert.deepEqual(t.events.at(-1)!.fields, { failures: 2, "down_ms": 2000 });
  assert.deepEqual(t.read(line(230)), []);
});

Deno.test("trackReading() tracks the flags of a blind reading on battery but counts it as a failed poll", () => {
  const t = new Trackers();
  t.read(line(230));
  t.fail("refused");
  const blind = {
    "ups.status": "OB LB",
    "battery.charge": "NaN",
    "battery.runtime": "NaN",
  };
  assert.deepEqual(t.read(blind), ["battery.low_flag"]);
  assert.deepEqual(t.read(blind), ["connection.stale"], "upsd answered");
  assert.equal(t.state.failures, 3);
  assert.equal(t.state.lastFailure?.kind, "no_battery_data");
  assert.deepEqual(Object.keys(t.state.alarms), ["LB"]);
  assert.deepEqual(
    t.read({ ...blind, "battery.runtime": "300" }),
    ["connection.restored"],
  );
});
