import assert from "node:assert/strict";
import {
  DEFAULT_DEV,
  IGNORE_WITHOUT_UPSD,
  query,
  startUpsd,
  USERS,
} from "../testing/upsd.ts";
import { runProgram } from "../testing/program.ts";
import { makeRunDir } from "../testing/temp_dir.ts";
import { makeCertificates, startTlsNutServer } from "../testing/tls.ts";

async function setVar(
  port: number,
  ups: string,
  name: string,
  value: string,
): Promise<void> {
  const reply = await query(
    port,
    `USERNAME ${USERS.admin.name}\nPASSWORD ${USERS.admin.password}\nSET VAR ${ups} ${name} "${value}"`,
  );
  assert.match(reply, /^OK/, reply);
}

Deno.test({
  name:
    "ups-monitor status reads the UPS once, in words and JSON, and says which trigger would fire",
  ignore: IGNORE_WITHOUT_UPSD,
  timeout: 60_000,
}, async () => {
  await using upsd = await startUpsd({ maxAge: 5 });
  const dir = await Deno.makeTempDir({ dir: "/run" });
  try {
    const { ups, host, port } = upsd.address();
    const config = `${dir}/config.yaml`;
    await Deno.writeTextFile(
      config,
      `ups: {name: "${ups}@${host}:${port}", tls: off}
paths: {state: ${dir}/state, flag: ${dir}/flag, history: ${dir}/history, durations: ${dir}/durations, pid: ${dir}/pid}
logging: {file: null}
`,
    );
    const text = await runProgram(["status", "--config", config]);
    assert.equal(text.code, 0, text.stderr);
    assert.equal(
      text.stdout,
      [
        `UPS "${ups}" at ${host}:${port} (Rig Power Rig 1500)`,
        "  status       OL CHRG (on line power, charging)",
        "  charge       100%",
        "  runtime      30 min 0 s",
        "  input        230.1 V (nominal 230 V)",
        "  load         23%",
        "  role         secondary; no client logged in",
        "  time needed  4 min 54 s (margin 2 min 0 s)",
        "  full charge  covers the time needed + margin",
        "  daemon       not running",
        "  trigger      none: no shutdown trigger matches this reading",
        "  readiness    unknown: no daemon is running",
        "",
      ].join("\n"),
    );

    await setVar(port, ups, "ups.status", "OB DISCHRG");
    await setVar(port, ups, "battery.charge", "15");
    await setVar(port, ups, "battery.runtime", "0");
    let report: Record<string, unknown> = {};
    for (let i = 0; i < 30 && report["charge"] !== 15; i++) {
      const json = await runProgram(["status", "--config", config, "--json"]);
      assert.equal(json.code, 0, json.stderr);
      report = JSON.parse(json.stdout);
      if (report["charge"] !== 15) {
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
    }
    assert.deepEqual(report["flags"], ["OB", "DISCHRG"]);
    assert.equal(report["readiness"], null);
    assert.equal(report["runtime_s"], null);
    assert.deepEqual(report["unknown"], {
      runtime: `battery.runtime "0" is a sentinel`,
    });
    // Charge 15 % is under the floor: the projection is 0 s only once
    // trusted; with the runtime a sentinel the time left is unknown.
    assert.deepEqual(report["budget"], {
      "time_left_s": null,
      "runtime_s": null,
      "projected_s": null,
      "needed_s": 294,
      "margin_s": 120,
      "fits_at_full_charge": null,
      "nearest_trigger": { trigger: "extended_time", "in_s": 900 },
    });
    assert.deepEqual(report["trigger"], {
      trigger: "low_charge",
      reason: "charge 15% < 20% for 1 poll",
      numbers: { charge: 15, "low_battery": 20, polls: 1 },
    });

    await upsd.stopUpsd();
    const down = await runProgram(["status", "--config", config]);
    assert.equal(down.code, 1);
    assert.equal(down.stdout, "");
    assert.match(
      down.stderr,
      new RegExp(
        `Cannot connect to upsd at "${host}:${port}": connection refused`,
      ),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name:
    "ups-monitor status shows input frequency, battery voltage and temperature when the UPS reports them",
  ignore: IGNORE_WITHOUT_UPSD,
  timeout: 60_000,
}, async () => {
  await using upsd = await startUpsd({
    maxAge: 5,
    upses: {
      dev1: DEFAULT_DEV +
        "input.frequency: 49.9\nbattery.voltage: 27.1\nups.temperature: 31.5\n",
    },
  });
  const dir = await Deno.makeTempDir({ dir: "/run" });
  try {
    const { ups, host, port } = upsd.address();
    const config = `${dir}/config.yaml`;
    await Deno.writeTextFile(
      config,
      `ups: {name: "${ups}@${host}:${port}", tls: off}
paths: {state: ${dir}/state, flag: ${dir}/flag, history: ${dir}/history, durations: ${dir}/durations, pid: ${dir}/pid}
logging: {file: null}
`,
    );
    const text = await runProgram(["status", "--config", config]);
    assert.equal(text.code, 0, text.stderr);
    assert.equal(
      text.stdout,
      [
        `UPS "${ups}" at ${host}:${port} (Rig Power Rig 1500)`,
        "  status       OL CHRG (on line power, charging)",
        "  charge       100%",
        "  runtime      30 min 0 s",
        "  battery      27.1 V",
        "  input        230.1 V (nominal 230 V)",
        "  frequency    49.9 Hz",
        "  load         23%",
        "  temperature  31.5 °C",
        "  role         secondary; no client logged in",
        "  time needed  4 min 54 s (margin 2 min 0 s)",
        "  full charge  covers the time needed + margin",
        "  daemon       not running",
        "  trigger      none: no shutdown trigger matches this reading",
        "  readiness    unknown: no daemon is running",
        "",
      ].join("\n"),
    );

    await setVar(port, ups, "input.frequency", "n/a");
    let report: Record<string, unknown> = {};
    for (let i = 0; i < 30 && report["input_frequency"] !== null; i++) {
      if (i > 0) await new Promise((resolve) => setTimeout(resolve, 300));
      const json = await runProgram(["status", "--config", config, "--json"]);
      assert.equal(json.code, 0, json.stderr);
      report = JSON.parse(json.stdout);
    }
    assert.equal(report["input_frequency"], null);
    assert.equal(report["battery_voltage"], 27.1);
    assert.equal(report["temperature"], 31.5);
    assert.deepEqual(report["unknown"], {
      "input_frequency": 'input.frequency "n/a" is not a number',
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name:
    "ups-monitor status names the fix when upsd's certificate is not trusted",
  timeout: 60_000,
}, async () => {
  const certs = await makeCertificates();
  await using server = await startTlsNutServer(certs);
  await using run = await makeRunDir();
  const config = run.join("config.yaml");
  await Deno.writeTextFile(
    config,
    `ups: {name: "dev1@127.0.0.1:${server.port}", tls: required}
paths: {state: ${run.path}/state, flag: ${run.path}/flag, history: ${run.path}/history, durations: ${run.path}/durations, pid: ${run.path}/pid}
logging: {file: null}
`,
  );
  const json = await runProgram([
    "status",
    "--config",
    config,
    "--log-format",
    "json",
  ]);
  assert.equal(json.code, 1);
  assert.equal(json.stdout, "");
  const line = JSON.parse(json.stderr);
  assert.equal(line.event, "command.failed");
  assert.equal(
    line.msg,
    `Cannot start TLS with upsd at "127.0.0.1:${server.port}": the server's certificate is not trusted (invalid peer certificate: UnknownIssuer); set ups.ca_file to the CA certificate that signed it, or set ups.tls: off (plaintext)`,
  );
});
