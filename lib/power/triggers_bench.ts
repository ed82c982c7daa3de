/**
 * Benchmarks of the power core: one step over a full 300 s window of
 * history at 1 s and at 100 ms polls, and reading a 50-variable poll.
 * Run with `deno task bench`.
 *
 * @module
 */
import { parseConfig } from "../config/load.ts";
import { readReading } from "./reading.ts";
import {
  MONO_START,
  onBattery,
  Sim,
  WALL_START,
} from "../testing/power_sim.ts";
import { step } from "./triggers.ts";

const CONFIG = parseConfig("ups:\n  name: u\n", "bench.yaml");

/** A simulation 300 s into an outage, polled every `cadenceMs`. */
function fullWindow(cadenceMs: number): Sim {
  const sim = new Sim(CONFIG);
  for (let t = 0; t <= 300_000; t += cadenceMs) {
    // 5 %/min with whole-percent jitter: no trigger fires.
    const charge = Math.round(95 - t / 12_000 + ((t / cadenceMs) % 3) - 1);
    sim.poll(onBattery(charge), cadenceMs);
  }
  return sim;
}

for (const cadenceMs of [1000, 100]) {
  const sim = fullWindow(cadenceMs);
  const samples = sim.state.history.length;
  const input = {
    kind: "reading" as const,
    reading: readReading(onBattery(70), sim.monoMs + cadenceMs),
  };
  const ctx = {
    config: CONFIG,
    monoMs: sim.monoMs + cadenceMs,
    wallMs: sim.wallMs + cadenceMs,
  };
  Deno.bench({
    name: `step() on battery with ${samples} samples (${cadenceMs} ms polls)`,
    group: "step",
    baseline: cadenceMs === 1000,
    fn() {
      const result = step(sim.state, input, ctx);
      if (result.decision !== null) throw new Error("Cannot bench: triggered");
    },
  });
}

const POLL: Record<string, string> = {
  "battery.charge": "91",
  "battery.charge.low": "10",
  "battery.charge.warning": "20",
  "battery.charger.status": "floating",
  "battery.date": "2019/01/01",
  "battery.mfr.date": "2019/01/01",
  "battery.runtime": "2460",
  "battery.runtime.low": "180",
  "battery.temperature": "25.9",
  "battery.type": "PbAc",
  "battery.voltage": "27.4",
  "battery.voltage.nominal": "24.0",
  "device.mfr": "PHOENIXTEC",
  "device.model": "SLC-1500-TWIN PRO3",
  "device.serial": "CP10M3031700001",
  "device.type": "ups",
  "driver.name": "usbhid-ups",
  "driver.parameter.pollfreq": "30",
  "driver.parameter.pollinterval": "2",
  "driver.parameter.port": "auto",
  "driver.version": "2.8.0",
  "driver.version.data": "MGE HID 1.40",
  "driver.version.internal": "0.47",
  "input.frequency": "49.9",
  "input.frequency.nominal": "50",
  "input.transfer.high": "264",
  "input.transfer.low": "196",
  "input.voltage": "231.4",
  "input.voltage.nominal": "230",
  "outlet.1.status": "on",
  "output.current": "1.20",
  "output.frequency": "50.0",
  "output.frequency.nominal": "50",
  "output.voltage": "230.2",
  "output.voltage.nominal": "230",
  "ups.beeper.status": "enabled",
  "ups.delay.shutdown": "20",
  "ups.delay.start": "30",
  "ups.firmware": "00.01.9319",
  "ups.load": "023",
  "ups.mfr": "PHOENIXTEC",
  "ups.model": "SLC-1500-TWIN PRO3",
  "ups.power": "300",
  "ups.power.nominal": "1500",
  "ups.realpower": "270",
  "ups.realpower.nominal": "1500",
  "ups.status": "OL CHRG",
  "ups.temperature": "25.9",
  "ups.test.result": "Done and passed",
  "ups.timer.shutdown": "-1",
};
const POLL_MAP = new Map(Object.entries(POLL));

Deno.bench({
  name: `readReading() of a ${POLL_MAP.size}-variable poll (Map)`,
  group: "read",
  baseline: true,
  fn() {
    readReading(POLL_MAP, MONO_START);
  },
});

Deno.bench({
  name: `readReading() of a ${Object.keys(POLL).length}-variable poll (record)`,
  group: "read",
  fn() {
    readReading(POLL, WALL_START);
  },
});
