import assert from "node:assert/strict";
import { parseConfig } from "../config/load.ts";
import { readReading } from "../power/reading.ts";
import { snapshot } from "../power/snapshot.ts";
import { initialState, type PowerState } from "../power/state.ts";
import { step } from "../power/triggers.ts";
import { addRun } from "../shutdown/durations.ts";
import {
  lastSequenceOf,
  metricFamilies,
  type MetricsInput,
} from "./families.ts";
import { PollStats } from "./poll_stats.ts";
import { renderMetrics } from "./render.ts";

const CONFIG = parseConfig(
  `ups: {name: "rack@127.0.0.1"}
triggers: {budget: {enabled: true, margin: 60s}}
`,
  "test.yaml",
);
const POWER = { ...CONFIG, neededMs: 120_000 };

const LINE = {
  "ups.status": "OL CHRG",
  "battery.charge": "57",
  "battery.charge.low": "20",
  "battery.runtime": "1800",
  "ups.load": "23",
  "input.voltage": "230.1",
  "input.voltage.nominal": "230",
  "output.voltage": "230",
};

/** The state after one poll of `vars` at monotonic `monoMs`. */
function stateOf(vars: Record<string, string>, monoMs = 1000): PowerState {
  const reading = readReading(vars, monoMs);
  return step(initialState(), { kind: "reading", reading }, {
    config: POWER,
    monoMs,
    wallMs: 1_700_000_000_000,
  }).state;
}

function inputOf(
  state: PowerState,
  extra: Partial<MetricsInput> = {},
): MetricsInput {
  return {
    version: "1.2.3",
    ups: "rack",
    identity: null,
    reading: state.last,
    snap: snapshot(state, 2000, POWER),
    polls: new PollStats(),
    readiness: {},
    queues: [],
    sequenceRunning: false,
    lastSequence: null,
    httpRejections: {},
    ...extra,
  };
}

/** The sample lines of one metric name (any labels). */
function linesOf(text: string, name: string): string[] {
  return text.split("\n").filter((line) =>
    line.startsWith(`${name}{`) || line.startsWith(`${name} `)
  );
}

Deno.test("metricFamilies() shows the reading under the NUT exporters' names, in base units", () => {
  const text = renderMetrics(metricFamilies(inputOf(stateOf(LINE), {
    identity: { mfr: "Rig Power", model: 'Rig "1500"' },
  })));
  const cases: [string, string[]][] = [
    ["nut_battery_charge", ['nut_battery_charge{ups="rack"} 0.57']],
    ["nut_battery_charge_low", ['nut_battery_charge_low{ups="rack"} 0.2']],
    ["nut_load", ['nut_load{ups="rack"} 0.23']],
    [
      "nut_battery_runtime_seconds",
      ['nut_battery_runtime_seconds{ups="rack"} 1800'],
    ],
    ["nut_input_voltage_volts", ['nut_input_voltage_volts{ups="rack"} 230.1']],
    [
      "nut_input_voltage_nominal_volts",
      ['nut_input_voltage_nominal_volts{ups="rack"} 230'],
    ],
    ["nut_output_voltage_volts", ['nut_output_voltage_volts{ups="rack"} 230']],
    // Not served: absent, not 0.
    ["nut_input_frequency_hertz", []],
    ["nut_temperature_celsius", []],
    ["nut_battery_voltage_volts", []],
    [
      "nut_ups_info",
      ['nut_ups_info{ups="rack",mfr="Rig Power",model="Rig \\"1500\\""} 1'],
    ],
  ];
  for (const [name, lines] of cases) {
    assert.deepEqual(linesOf(text, name), lines, name);
  }
  assert.doesNotMatch(text, /undefined|NaN|null/);
});

Deno.test("metricFamilies() gives every known status flag as 0 or 1, and vendor flags as 1", () => {
  const text = renderMetrics(
    metricFamilies(inputOf(stateOf({ ...LINE, "ups.status": "OB LB XFER" }))),
  );
  const status = linesOf(text, "nut_ups_status");
  assert.equal(status.length, 16, status.join("\n"));
  for (
    const line of [
      'nut_ups_status{ups="rack",flag="OB"} 1',
      'nut_ups_status{ups="rack",flag="LB"} 1',
      'nut_ups_status{ups="rack",flag="OL"} 0',
      'nut_ups_status{ups="rack",flag="FSD"} 0',
      'nut_ups_status{ups="rack",flag="XFER"} 1',
    ]
  ) {
    assert.ok(status.includes(line), line);
  }
});

Deno.test("metricFamilies() leaves out what is unknown: before the first reading, and a value that is not a number", () => {
  const before = renderMetrics(metricFamilies(inputOf(initialState())));
  assert.deepEqual(before.match(/^nut_\w+/gm), null, "no nut_* samples");
  assert.deepEqual(linesOf(before, "ups_monitor_reading_age_seconds"), []);
  assert.deepEqual(linesOf(before, "ups_monitor_on_battery_seconds"), [
    'ups_monitor_on_battery_seconds{ups="rack"} 0',
  ]);
  const broken = renderMetrics(metricFamilies(inputOf(
    stateOf({ ...LINE, "battery.charge": "NaN", "ups.load": "" }),
  )));
  assert.deepEqual(linesOf(broken, "nut_battery_charge"), []);
  assert.deepEqual(linesOf(broken, "nut_load"), []);
  assert.deepEqual(linesOf(broken, "nut_battery_runtime_seconds"), [
    'nut_battery_runtime_seconds{ups="rack"} 1800',
  ]);
  for (const text of [before, broken]) {
    assert.doesNotMatch(text, /undefined|NaN|null/);
  }
});

Deno.test("metricFamilies() shows the budget, the nearest trigger and time on battery on battery", () => {
  const onBattery = {
    ...LINE,
    "ups.status": "OB DISCHRG",
    "battery.runtime": "600",
  };
  const state = stateOf(onBattery, 1000);
  const text = renderMetrics(metricFamilies({
    ...inputOf(state),
    snap: snapshot(state, 31_000, POWER),
  }));
  const expect: [string, string[]][] = [
    ["ups_monitor_on_battery", ['ups_monitor_on_battery{ups="rack"} 1']],
    ["ups_monitor_on_battery_seconds", [
      'ups_monitor_on_battery_seconds{ups="rack"} 30',
    ]],
    ["ups_monitor_budget_time_left_seconds", [
      'ups_monitor_budget_time_left_seconds{ups="rack"} 600',
    ]],
    ["ups_monitor_budget_time_needed_seconds", [
      'ups_monitor_budget_time_needed_seconds{ups="rack"} 120',
    ]],
    ["ups_monitor_budget_margin_seconds", [
      'ups_monitor_budget_margin_seconds{ups="rack"} 480',
    ]],
    ["ups_monitor_budget_trigger_margin_seconds", [
      'ups_monitor_budget_trigger_margin_seconds{ups="rack"} 60',
    ]],
    ["ups_monitor_armed", ['ups_monitor_armed{ups="rack"} 1']],
  ];
  for (const [name, lines] of expect) {
    assert.deepEqual(linesOf(text, name), lines, name);
  }
  const nearest = linesOf(text, "ups_monitor_nearest_trigger_seconds");
  assert.equal(nearest.length, 1, text);
  assert.match(nearest[0]!, /\{ups="rack",trigger="\w+"\} \d+/);
  // On line power there is no time left to speak of.
  const line = renderMetrics(metricFamilies(inputOf(stateOf(LINE))));
  assert.deepEqual(linesOf(line, "ups_monitor_budget_margin_seconds"), []);
  assert.deepEqual(linesOf(line, "ups_monitor_nearest_trigger_seconds"), []);
});

Deno.test("metricFamilies() shows the loop, readiness, queues, the last sequence and the endpoint's rejections", () => {
  const polls = new PollStats();
  polls.record(0.3, null);
  polls.record(5000, "timeout");
  const text = renderMetrics(metricFamilies(inputOf(stateOf(LINE), {
    polls,
    readiness: {
      "channels.0": {
        title: 'Channel "alerts"',
        ready: false,
        detail: "HTTP 404",
        sinceMs: 0,
        checkedMs: 0,
      },
    },
    queues: [{ channel: "alerts", depth: 2, dropped: 5 }],
    sequenceRunning: true,
    lastSequence: {
      endWallMs: 1_700_000_000_500,
      dryRun: true,
      steps: [{ id: "vms", ms: 12_300 }],
    },
    httpRejections: { busy: 1, deadline: 2 },
    timing: {
      polls: 60,
      "poll_ms": { median: 0.5, max: 2 },
      "decide_ms": { median: 0.01, max: 0.1 },
      "jitter_ms": { median: 0.8, max: 2.5 },
    },
  })));
  for (
    const line of [
      'ups_monitor_poll_start_late_seconds{ups="rack",stat="median"} 0.0008',
      'ups_monitor_poll_start_late_seconds{ups="rack",stat="max"} 0.0025',
      'ups_monitor_poll_decide_seconds{ups="rack",stat="median"} 0.00001',
      'ups_monitor_poll_decide_seconds{ups="rack",stat="max"} 0.0001',
      'ups_monitor_poll_duration_seconds_bucket{ups="rack",le="0.0005"} 1',
      'ups_monitor_poll_duration_seconds_bucket{ups="rack",le="2.5"} 1',
      'ups_monitor_poll_duration_seconds_bucket{ups="rack",le="5"} 2',
      'ups_monitor_poll_duration_seconds_count{ups="rack"} 2',
      'ups_monitor_poll_failures_total{ups="rack",kind="timeout"} 1',
      'ups_monitor_poll_failures_total{ups="rack",kind="refused"} 0',
      'ups_monitor_readiness_ready{check="channels.0",title="Channel \\"alerts\\""} 0',
      'ups_monitor_notification_queue_depth{channel="alerts"} 2',
      'ups_monitor_notifications_dropped_total{channel="alerts"} 5',
      "ups_monitor_shutdown_running 1",
      'ups_monitor_last_sequence_step_duration_seconds{step="vms"} 12.3',
      "ups_monitor_last_sequence_end_timestamp_seconds 1700000000.5",
      "ups_monitor_last_sequence_dry_run 1",
      'ups_monitor_http_rejected_total{reason="deadline"} 2',
      'ups_monitor_build_info{version="1.2.3"} 1',
    ]
  ) {
    assert.ok(text.split("\n").includes(line), `${line}\n---\n${text}`);
  }
});

Deno.test("metricFamilies() names follow the conventions: unique, valid, counters end in _total", () => {
  const families = metricFamilies(inputOf(stateOf(LINE)));
  const names = families.map((f) => f.name);
  assert.equal(new Set(names).size, names.length, "unique");
  for (const family of families) {
    assert.match(family.name, /^(nut|ups_monitor)_[a-z_]+$/);
    assert.equal(family.name.endsWith("_total"), family.type === "counter");
    assert.ok(family.help.length > 0 && !family.help.endsWith("."));
  }
});

Deno.test("lastSequenceOf() takes the runs of the latest sequence", () => {
  let history = addRun(
    {},
    [
      { id: "vms", status: "done", durationMs: 9000 },
      { id: "sync", status: "done", durationMs: 200 },
    ],
    false,
    1000,
  );
  history = addRun(
    history,
    [
      { id: "vms", status: "done", durationMs: 8000 },
      { id: "containers", status: "timeout", durationMs: 30_000 },
      { id: "sync", status: "failed", durationMs: 100 },
      { id: "local", status: "done", durationMs: 50 },
    ],
    true,
    2000,
  );
  assert.deepEqual(lastSequenceOf(history), {
    endWallMs: 2000,
    dryRun: true,
    // A failed step and the local shutdown are not recorded.
    steps: [{ id: "vms", ms: 8000 }, { id: "containers", ms: 30_000 }],
  });
  assert.equal(lastSequenceOf({}), null);
});
