import assert from "node:assert/strict";
import { parseConfig } from "../lib/config/load.ts";
import {
  baseConfig,
  configYaml,
  mergeProfileConfig,
  rehearsalConfig,
  type ScenarioTargets,
} from "./scenario_config.ts";

const TARGETS: ScenarioTargets = {
  dir: "/run/ups-monitor-rig/t/s",
  ups: "rig@127.0.0.1:4001",
  username: "mon",
  password: "monpass",
  discordUrl: "http://127.0.0.1:4003",
  powerOff: "/run/ups-monitor-rig/t/s/bin/shutdown",
  containerEngine: null,
  containerLabel: "ups-monitor-rig.scenario=s",
  mounts: [],
  nasPort: null,
};

const TWO = { ...TARGETS, otherUpses: ["rig2@127.0.0.1:4002"] };

function upsesOf(config: Record<string, unknown>) {
  return config["ups"] as Record<string, unknown>[];
}

Deno.test("baseConfig() keeps one UPS a mapping and lists several with the same settings", () => {
  const one = baseConfig(TARGETS)["ups"] as Record<string, unknown>;
  assert.equal(one["name"], "rig@127.0.0.1:4001");
  const two = upsesOf(baseConfig(TWO));
  assert.deepEqual(two.map((ups) => ups["name"]), [
    "rig@127.0.0.1:4001",
    "rig2@127.0.0.1:4002",
  ]);
  assert.deepEqual({ ...two[1], name: one["name"] }, one);
});

Deno.test("mergeProfileConfig() merges a ups mapping into every UPS and a list entry by entry", () => {
  const base = baseConfig(TWO);
  const everyOne = upsesOf(mergeProfileConfig(base, {
    ups: { "max_stale_data_tolerance": 5 },
    power: { "min_supplies": 1 },
  }));
  assert.deepEqual(everyOne.map((u) => u["max_stale_data_tolerance"]), [5, 5]);
  const merged = mergeProfileConfig(base, {
    ups: [{}, { supplies: 2 }],
    power: { "min_supplies": 1 },
  });
  assert.deepEqual(upsesOf(merged).map((u) => u["supplies"]), [
    undefined,
    2,
  ]);
  assert.deepEqual(upsesOf(merged).map((u) => u["name"]), [
    "rig@127.0.0.1:4001",
    "rig2@127.0.0.1:4002",
  ]);
  assert.deepEqual(merged["power"], { "min_supplies": 1 });
  // One UPS: as deepMerge.
  const single = mergeProfileConfig(baseConfig(TARGETS), {
    ups: { "check_interval": "1s" },
  })["ups"] as Record<string, unknown>;
  assert.equal(single["check_interval"], "1s");
  assert.equal(single["name"], "rig@127.0.0.1:4001");
});

Deno.test("baseConfig() with two UPSes is a config the program accepts", () => {
  const config = parseConfig(
    configYaml(mergeProfileConfig(baseConfig(TWO), {
      power: { "min_supplies": 1 },
    })),
    "/etc/ups-monitor/config.yaml",
  );
  assert.deepEqual(config.upses.map((ups) => ups.name), [
    "rig@127.0.0.1:4001",
    "rig2@127.0.0.1:4002",
  ]);
  assert.equal(config.power.min_supplies, 1);
});

Deno.test("rehearsalConfig() points the user's UPS settings at each of the rig's UPSes", () => {
  const user = {
    ups: [
      { name: "ups1@nas", "check_interval": "2s", "password_file": "/x" },
      { name: "ups2@nas", supplies: 2 },
    ],
    power: { "min_supplies": 2 },
  };
  const two = upsesOf(rehearsalConfig(user, TWO));
  assert.deepEqual(two.map((u) => [u["name"], u["supplies"]]), [
    ["rig@127.0.0.1:4001", undefined],
    ["rig2@127.0.0.1:4002", 2],
  ]);
  assert.equal(two[0]!["check_interval"], "200ms");
  assert.equal(two[0]!["password_file"], null);
  // One rig UPS: the user's first entry, as a mapping.
  const one = rehearsalConfig(user, TARGETS)["ups"] as Record<string, unknown>;
  assert.equal(one["name"], "rig@127.0.0.1:4001");
  assert.equal(one["password_file"], null);
  const single = rehearsalConfig({ ups: { name: "u", supplies: 3 } }, TWO);
  assert.deepEqual(upsesOf(single).map((u) => u["supplies"]), [3, 3]);
});
