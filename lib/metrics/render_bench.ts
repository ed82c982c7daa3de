/**
 * What building an answer costs in the daemon, without the network: the
 * families and text of `/metrics` and the JSON of `/status` for a UPS 300 s
 * into an outage (a full depletion window), beside the power core's step of
 * one poll on the same state. The daemon's whole cost of a scrape against a
 * poll, sockets included, is `lib/metrics/scrape_system_bench.ts`.
 * Run with `deno task bench`.
 *
 * @module
 */
import { parseConfig } from "../config/load.ts";
import { parseUpsAddress } from "../config/ups_address.ts";
import { readReading } from "../power/reading.ts";
import { step } from "../power/triggers.ts";
import { assessState, statusReport } from "../cli/status_report.ts";
import { onBattery, Sim } from "../testing/power_sim.ts";
import { metricFamilies, type MetricsInput } from "./families.ts";
import { PollStats } from "./poll_stats.ts";
import { renderMetrics } from "./render.ts";

const CONFIG = parseConfig(
  "ups:\n  name: rack@127.0.0.1\ntriggers: {budget: {enabled: true}}\n",
  "bench.yaml",
);
const POWER = { ...CONFIG, neededMs: 180_000 };

const sim = new Sim(POWER);
for (let t = 0; t <= 300_000; t += 1000) {
  sim.poll(onBattery(Math.round(95 - t / 12_000)), 1000);
}
const polls = new PollStats();
for (let i = 0; i < 10_000; i++) polls.record(0.3 + (i % 7) / 10, null);
const readiness = Object.fromEntries(
  ["vms", "containers", "filesystems", "remotes.0", "local", "channels.0"].map((
    id,
  ) => [id, {
    title: `Step "${id}"`,
    ready: true,
    detail: "ok",
    sinceMs: 0,
    checkedMs: 0,
  }]),
);
const ADDRESS = parseUpsAddress("rack@127.0.0.1");
if (!ADDRESS.ok) throw new TypeError(ADDRESS.message);

function input(): MetricsInput {
  return {
    version: "0.1.0",
    ups: "rack",
    identity: { mfr: "Rig Power", model: "Rig 1500" },
    reading: sim.state.last,
    snap: assessState(sim.state, POWER, sim.monoMs).snap,
    polls,
    readiness,
    queues: [{ channel: "alerts", depth: 0, dropped: 0 }],
    sequenceRunning: false,
    lastSequence: {
      endWallMs: 1_700_000_000_000,
      dryRun: false,
      steps: ["vms", "containers", "sync", "filesystems", "remotes"].map((
        id,
      ) => ({ id, ms: 12_000 })),
    },
    httpRejections: { busy: 0, deadline: 0, "too_large": 0, "bad_request": 0 },
  };
}

Deno.bench({
  name: "GET /metrics: families and text",
  group: "answer",
  baseline: true,
  fn() {
    const text = renderMetrics(metricFamilies(input()));
    if (text.length < 1000) throw new Error("Cannot bench: too little text");
  },
});

Deno.bench({
  name: "GET /status: report and JSON",
  group: "answer",
  fn() {
    const { decision, snap } = assessState(sim.state, POWER, sim.monoMs);
    const report = statusReport({
      address: ADDRESS.value,
      mfr: "Rig Power",
      model: "Rig 1500",
      reading: sim.state.last,
      snap,
      budget: snap.budget ?? null,
      trigger: decision,
      daemon: 1,
      readiness: null,
      timing: null,
      fleet: { role: "secondary", clients: [] },
    });
    JSON.stringify(report, null, 2);
  },
});

const pollInput = {
  kind: "reading" as const,
  reading: readReading(onBattery(70), sim.monoMs + 1000),
};
Deno.bench({
  name: "one poll's step() on the same state (for scale)",
  group: "answer",
  fn() {
    step(sim.state, pollInput, {
      config: POWER,
      monoMs: sim.monoMs + 1000,
      wallMs: sim.wallMs + 1000,
    });
  },
});
