import assert from "node:assert/strict";
import { makeFakeTools } from "../testing/fake_tools.ts";
import { runProgram } from "../testing/program.ts";
import { makeRunDir } from "../testing/temp_dir.ts";
import { makeCertificates, startTlsNutServer } from "../testing/tls.ts";

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
