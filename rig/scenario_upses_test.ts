/**
 * A scenario's UPSes against real upsd processes (the native engine, NUT
 * from the host's packages): one server per UPS, a SET aimed at one reaches
 * its server alone. Without NUT the test is ignored (failed under CI=true).
 */
import assert from "node:assert/strict";
import { detectEngine, EngineUnavailableError } from "./engine.ts";
import { queryNut } from "./nut_server.ts";
import { programName, startRigUpses } from "./scenario_upses.ts";

const IN_CI = Deno.env.get("CI") === "true";
const NATIVE = await detectEngine("native").catch((error: unknown) => {
  if (!(error instanceof EngineUnavailableError)) throw error;
  if (!IN_CI) {
    Deno.stderr.writeSync(
      new TextEncoder().encode(`${error.message}: rig tests ignored\n`),
    );
  }
  return null;
});

/** Polls `GET VAR` until the value is `want`; returns the last reply. */
async function valueOf(port: number, ups: string, want: string) {
  let reply = "";
  for (let i = 0; i < 40; i++) {
    reply = await queryNut(port, `GET VAR ${ups} battery.charge`);
    if (reply === `VAR ${ups} battery.charge "${want}"`) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return reply;
}

Deno.test({
  name:
    "startRigUpses() serves each UPS on a upsd of its own and aims a SET at one UPS only",
  ignore: NATIVE === null && !IN_CI,
  timeout: 60_000,
}, async () => {
  assert.ok(NATIVE, "the native engine (nut-server) is needed under CI");
  const values = { "ups.status": "OL", "battery.charge": "100" };
  await using upses = await startRigUpses(
    { ups: values, upses: { rig2: values }, maxage: 6 },
    { engine: NATIVE, images: null, keep: false },
  );
  const [first, second] = [upses.first, upses.get("rig2")];
  assert.equal(upses.get(), first);
  assert.deepEqual(upses.others, [second]);
  assert.notEqual(first.server.port, second.server.port);
  assert.equal(programName(second), `rig2@127.0.0.1:${second.server.port}`);
  assert.throws(() => upses.get("rig3"), {
    name: "TypeError",
    message: 'Cannot act on UPS "rig3": the scenario has no such UPS',
  });

  await second.admin.setVar("battery.charge", "15");
  assert.equal(
    await valueOf(second.server.port, "rig2", "15"),
    'VAR rig2 battery.charge "15"',
  );
  assert.equal(
    await queryNut(first.server.port, "GET VAR rig battery.charge"),
    'VAR rig battery.charge "100"',
  );
  assert.equal(
    await queryNut(first.server.port, "GET VAR rig2 battery.charge"),
    "ERR UNKNOWN-UPS",
  );
});
