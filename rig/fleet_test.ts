import assert from "node:assert/strict";
import { NutClient } from "../lib/nut/client.ts";
import { systemClock } from "../lib/system/clock.ts";
import { MemoryLogger } from "../lib/testing/memory_logger.ts";
import { makeTempDir } from "../lib/testing/temp_dir.ts";
import { IGNORE_WITHOUT_UPSD, startUpsd, USERS } from "../lib/testing/upsd.ts";
import {
  parsePowerOffRecord,
  parseRecords,
  parseUpsdLog,
  writePowerOffProbe,
} from "./fleet.ts";

Deno.test("parseRecords() reads the recorders' lines and skips others", () => {
  assert.deepEqual(
    parseRecords(
      "1795774008411\tnotify:FSD\tUPS rig@10.88.2.167:3493: forced shutdown in progress\n" +
        "garbage\n" +
        "1795774009414\tshutdowncmd\treturns; POWERDOWNFLAG present\n" +
        "1795774009416\texit\t0\n",
    ),
    [
      {
        epochMs: 1795774008411,
        event: "notify:FSD",
        text: "UPS rig@10.88.2.167:3493: forced shutdown in progress",
      },
      {
        epochMs: 1795774009414,
        event: "shutdowncmd",
        text: "returns; POWERDOWNFLAG present",
      },
      { epochMs: 1795774009416, event: "exit", text: "0" },
    ],
  );
});

Deno.test("parseUpsdLog() finds upsd 2.8.0's logins, logouts and FSD", () => {
  // As "podman logs --timestamps" printed it: stdout's block runs into
  // stderr's without a newline.
  const text = [
    "2026-11-27T10:06:03.709517317Z Running as foreground process, not saving a PID file",
    "2026-11-27T10:06:04.852848919Z User mon@10.88.0.1 logged into UPS [rig]",
    "2026-11-27T10:06:05.654285341Z User mon@10.88.0.1 logged out from UPS [rig]",
    "2026-11-27T10:06:47.475418319Z Client admin@10.88.0.1 set FSD on UPS [rig]" +
    "2026-11-27T10:06:44.078741852Z User mon@10.88.2.170 logged into UPS [rig]",
    "2026-11-27T10:06:03.646938419Z rig-entrypoint: serving rig on 0.0.0.0:3493 (MAXAGE 6)",
  ].join("\n");
  assert.deepEqual(parseUpsdLog(text), [
    {
      epochMs: Date.parse("2026-11-27T10:06:04.852Z"),
      kind: "login",
      user: "mon",
      address: "10.88.0.1",
    },
    {
      epochMs: Date.parse("2026-11-27T10:06:05.654Z"),
      kind: "logout",
      user: "mon",
      address: "10.88.0.1",
    },
    {
      epochMs: Date.parse("2026-11-27T10:06:44.078Z"),
      kind: "login",
      user: "mon",
      address: "10.88.2.170",
    },
    {
      epochMs: Date.parse("2026-11-27T10:06:47.475Z"),
      kind: "fsd",
      user: "admin",
      address: "10.88.0.1",
    },
  ]);
});

Deno.test({
  name:
    "writePowerOffProbe() records whom a real upsd lists, then runs the power-off with its arguments",
  ignore: IGNORE_WITHOUT_UPSD,
  timeout: 30_000,
  async fn() {
    await using upsd = await startUpsd();
    await using dir = await makeTempDir();
    await using secondary = new NutClient({
      address: upsd.address(),
      username: USERS.mon.name,
      password: USERS.mon.password,
      clock: systemClock,
      logger: new MemoryLogger(),
    });
    await secondary.login();
    const powerOff = `${dir.path}/power-off`;
    await Deno.writeTextFile(
      powerOff,
      `#!/bin/bash\necho "$*" >'${dir.path}/args'\n`,
      { mode: 0o755 },
    );
    const probe = await writePowerOffProbe(dir.path, {
      powerOff,
      host: upsd.host,
      port: upsd.port,
      ups: "dev1",
    });
    const before = Date.now();
    const run = await new Deno.Command(probe.script, { args: ["-h", "now"] })
      .output();
    assert.equal(run.code, 0, new TextDecoder().decode(run.stderr));
    const [entry, ...rest] = parsePowerOffRecord(
      await Deno.readTextFile(probe.record),
    );
    assert.deepEqual(rest, []);
    assert.deepEqual(entry!.clients, ["127.0.0.1"]);
    assert.ok(entry!.epochMs >= before && entry!.epochMs <= Date.now());
    assert.equal(await Deno.readTextFile(`${dir.path}/args`), "-h now\n");
  },
});
