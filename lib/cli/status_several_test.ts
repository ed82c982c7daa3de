import assert from "node:assert/strict";
import { runProgram } from "../testing/program.ts";
import { makeRunDir } from "../testing/temp_dir.ts";
import { IGNORE_WITHOUT_UPSD, startUpsd } from "../testing/upsd.ts";

Deno.test({
  name:
    "ups-monitor status with two UPSes shows a block per UPS and the supplies; an unreadable UPS is unknown and exits 1",
  ignore: IGNORE_WITHOUT_UPSD,
  timeout: 60_000,
}, async () => {
  await using a = await startUpsd({ maxAge: 5 });
  await using b = await startUpsd({ maxAge: 5 });
  await using dir = await makeRunDir();
  const config = `${dir.path}/config.yaml`;
  await Deno.writeTextFile(
    config,
    `ups:
  - {name: "${a.target()}", tls: off}
  - {name: "${b.target()}", tls: off, supplies: 2}
power: {min_supplies: 2}
paths: {state: ${dir.path}/state, flag: ${dir.path}/flag, history: ${dir.path}/history, durations: ${dir.path}/durations, pid: ${dir.path}/pid}
logging: {file: null}
`,
  );
  const text = await runProgram(["status", "--config", config]);
  assert.equal(text.code, 0, text.stderr);
  assert.equal(text.stdout.match(/^UPS "/gm)?.length, 2);
  assert.match(
    text.stdout,
    new RegExp(
      `\\nsupplies       3 of 3 supplies fed by safe UPSes \\(min_supplies 2\\): "${a.target()}" safe \\(on line\\), "${b.target()}" safe \\(on line\\)\\n$`,
    ),
  );

  await b.stopUpsd();
  const json = await runProgram(["status", "--config", config, "--json"]);
  assert.equal(json.code, 1);
  const report = JSON.parse(json.stdout);
  assert.equal(report.upses[0].ups, "dev1");
  assert.equal(report.upses[1].name, b.target());
  assert.match(report.upses[1].error, /connection refused/);
  assert.deepEqual(
    [report.supplies.fed, report.supplies.total, report.supplies.shutdown],
    [1, 3, true],
  );
});
