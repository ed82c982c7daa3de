import assert from "node:assert/strict";
import { parseConfig } from "../config/load.ts";
import { parseUpsAddress } from "../config/ups_address.ts";
import { readReading } from "../power/reading.ts";
import { initialState } from "../power/state.ts";
import { step } from "../power/triggers.ts";
import { assessState, statusReport } from "./status_report.ts";

const CONFIG = parseConfig(
  "ups: {name: rack@127.0.0.1}\ntriggers: {persistence_polls: 3}\n",
  "test.yaml",
);
const ADDRESS = (() => {
  const parsed = parseUpsAddress(CONFIG.ups.name);
  if (!parsed.ok) throw new TypeError(parsed.message);
  return parsed.value;
})();

Deno.test("statusReport() before the daemon's first reading: the UPS, no values, no trigger", () => {
  const state = initialState();
  const { decision, snap } = assessState(state, CONFIG, 1000);
  assert.deepEqual(
    statusReport({
      address: ADDRESS,
      mfr: null,
      model: null,
      reading: null,
      snap,
      budget: null,
      trigger: decision,
      daemon: 42,
      readiness: null,
      timing: null,
      fleet: { role: "secondary", clients: [] },
    }),
    {
      ups: "rack",
      endpoint: "127.0.0.1:3493",
      mfr: null,
      model: null,
      status: null,
      flags: [],
      words: [],
      charge: null,
      "runtime_s": null,
      "input_voltage": null,
      "nominal_voltage": null,
      load: null,
      "input_frequency": null,
      "battery_voltage": null,
      temperature: null,
      unknown: {},
      "on_battery_s": null,
      "depletion_rate_per_min": null,
      budget: null,
      daemon: 42,
      trigger: null,
      readiness: null,
      timing: null,
      fleet: { role: "secondary", clients: [] },
    },
  );
});

Deno.test("assessState() says what the reading would fire if it lasted, before the daemon's persistence is met", () => {
  const reading = readReading({
    "ups.status": "OB DISCHRG",
    "battery.charge": "12",
    "battery.runtime": "NaN",
  }, 1000);
  const { state, decision } = step(
    initialState(),
    { kind: "reading", reading },
    { config: CONFIG, monoMs: 1000, wallMs: 0 },
  );
  assert.equal(decision, null, "persistence_polls 3: not yet for the daemon");
  const assessed = assessState(state, CONFIG, 1000);
  assert.equal(assessed.decision?.trigger, "low_charge");
  const report = statusReport({
    address: ADDRESS,
    mfr: "Rig",
    model: null,
    reading,
    snap: assessed.snap,
    budget: assessed.snap.budget ?? null,
    trigger: assessed.decision,
    daemon: null,
    readiness: null,
    timing: null,
    fleet: { role: "secondary", clients: [] },
  });
  assert.equal(report.charge, 12);
  assert.equal(report.on_battery_s, 0);
  assert.deepEqual(report.flags, ["OB", "DISCHRG"]);
  assert.deepEqual(report.words, ["on battery", "discharging"]);
  assert.deepEqual(report.unknown, {
    runtime: 'battery.runtime "NaN" is not a number',
    "input_voltage": "input.voltage is missing",
    load: "ups.load is missing",
  });
});
