import assert from "node:assert/strict";
import { makeFakeTools } from "../testing/fake_tools.ts";
import { runProgram } from "../testing/program.ts";
import { makeRunDir } from "../testing/temp_dir.ts";
import { makeCertificates, startTlsNutServer } from "../testing/tls.ts";
import { IGNORE_WITHOUT_UPSD, startUpsd } from "../testing/upsd.ts";

Deno.test({
  name:
    "ups-monitor check --remote reads the UPS through upsd and names the fix for an untrusted certificate",
  timeout: 60_000,
}, async () => {
  const certs = await makeCertificates();
  await using server = await startTlsNutServer(certs);
  await using tools = await makeFakeTools();
  await using run = await makeRunDir();
  const config = run.join("config.yaml");
  const write = (extra: string) =>
    Deno.writeTextFile(
      config,
      `ups: {name: "dev1@127.0.0.1:${server.port}", tls: starttls${extra}}
shutdown: {vms: {enabled: false}, local: {command: ["${
        tools.path("shutdown")
      }"]}}
paths: {state: ${run.path}/state, flag: ${run.path}/flag, history: ${run.path}/history, pid: ${run.path}/pid}
logging: {file: null}
`,
    );
  await write("");
  const untrusted = await runProgram(
    ["check", "--remote", "--config", config],
    {
      env: tools.env,
    },
  );
  assert.equal(untrusted.code, 1, untrusted.stderr);
  assert.deepEqual(untrusted.stdout.split("\n").slice(-3), [
    `ups dev1@127.0.0.1:${server.port}: FAILED: Cannot start TLS with upsd at "127.0.0.1:${server.port}": the server's certificate is not trusted (invalid peer certificate: UnknownIssuer); set ups.ca_file to the CA certificate that signed it, or set ups.tls: off (plaintext)`,
    "No remote machines are configured",
    "",
  ]);

  await Deno.writeTextFile(run.join("ca.pem"), certs.ca);
  await write(`, ca_file: ${run.join("ca.pem")}`);
  const trusted = await runProgram(["check", "--remote", "--config", config], {
    env: tools.env,
  });
  assert.equal(trusted.code, 0, trusted.stderr);
  assert.deepEqual(trusted.stdout.split("\n").slice(-3), [
    `ups dev1@127.0.0.1:${server.port}: ok: upsd at "127.0.0.1:${server.port}" answers over TLS (ups.status "OL TLS")`,
    "No remote machines are configured",
    "",
  ]);
});

Deno.test({
  name:
    "ups-monitor check --remote proves the power cycle's command is offered and its user accepted, without acting",
  ignore: IGNORE_WITHOUT_UPSD,
  timeout: 60_000,
}, async () => {
  await using upsd = await startUpsd();
  await using tools = await makeFakeTools();
  await using run = await makeRunDir();
  const config = run.join("config.yaml");
  await Deno.writeTextFile(run.join("admin-password"), "adminpass\n");
  const write = (command: string) =>
    Deno.writeTextFile(
      config,
      `ups: {name: "${upsd.target()}", tls: "off"}
shutdown:
  vms: {enabled: false}
  containers: {enabled: false}
  power_cycle: {enabled: true, command: ${command}, username: admin, password_file: ${
        run.join("admin-password")
      }}
  local: {command: ["${tools.path("shutdown")}"]}
paths: {state: ${run.path}/state, flag: ${run.path}/flag, history: ${run.path}/history, pid: ${run.path}/pid}
logging: {file: null}
`,
    );
  await write("load.off");
  const offered = await runProgram(["check", "--remote", "--config", config], {
    env: tools.env,
  });
  assert.equal(offered.code, 0, offered.stderr);
  assert.deepEqual(offered.stdout.split("\n").slice(-5), [
    `ups ${upsd.target()}: ok: upsd at "127.0.0.1:${upsd.port}" answers in plaintext (ups.status "OL CHRG")`,
    'power cycle command "load.off": ok: UPS "dev1" offers the command "load.off" (LIST CMD)',
    'power cycle user "admin": ok: upsd accepts the credentials and "actions = SET" (a SET of a variable no UPS has was refused for the variable, not for the user); its instcmds rights show only when the command runs',
    "No remote machines are configured",
    "",
  ]);
  assert.ok(!(offered.stdout + offered.stderr).includes("adminpass"));

  await write("shutdown.return");
  const missing = await runProgram(["check", "--remote", "--config", config], {
    env: tools.env,
  });
  assert.equal(missing.code, 1, missing.stderr);
  assert.ok(
    missing.stdout.includes(
      'power cycle command "shutdown.return": FAILED: UPS "dev1" does not offer the command "shutdown.return" (it offers "load.off"): set shutdown.power_cycle.command to one it offers, or set shutdown.power_cycle.enabled to false\n',
    ),
    missing.stdout,
  );
});
