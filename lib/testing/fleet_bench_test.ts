import assert from "node:assert/strict";
import { parseConfig } from "../config/load.ts";
import { configForUps } from "../config/ups_view.ts";
import { writeFleetConfig } from "./fleet_bench.ts";
import { jitterFigures } from "./fleet_report.ts";
import { makeTempDir } from "./temp_dir.ts";

Deno.test("writeFleetConfig() writes a valid config whose state files are the daemon's", async () => {
  await using dir = await makeTempDir();
  const upsd = { host: "127.0.0.1", port: 3493 };
  for (const upses of [["u0"], ["u0", "u1", "u2"]]) {
    const fleet = await writeFleetConfig(dir.path, upsd, { upses });
    const config = parseConfig(
      await Deno.readTextFile(fleet.config),
      fleet.config,
    );
    assert.deepEqual(config.upses.map((ups) => ups.name), [
      ...upses.map((ups) => `${ups}@127.0.0.1:3493`),
    ]);
    assert.ok(config.upses.every((ups) => ups.check_interval === 1000));
    assert.deepEqual(
      fleet.states,
      upses.map((_, i) => configForUps(config, i).paths.state),
    );
  }
});

Deno.test("jitterFigures() sums up the jitter across UPSes", () => {
  const timing = (median: number, max: number, polls: number) => ({
    polls,
    "poll_ms": { median: median / 10, max: 1 },
    "decide_ms": { median: 0.01, max: 0.02 },
    "jitter_ms": { median, max },
  });
  assert.deepEqual(
    jitterFigures([timing(1, 3, 60), timing(4, 9, 58), timing(2, 2, 60)]),
    {
      median: 2,
      worstMedian: 4,
      max: 9,
      pollMedian: 0.2,
      fewestPolls: 58,
    },
  );
});
