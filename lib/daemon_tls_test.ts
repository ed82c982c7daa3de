import assert from "node:assert/strict";
import { startDaemon } from "./testing/daemon.ts";
import { makeFakeTools } from "./testing/fake_tools.ts";
import { startRecordingServer } from "./testing/http_server.ts";
import { makeRunDir } from "./testing/temp_dir.ts";
import { makeCertificates, startTlsNutServer } from "./testing/tls.ts";

Deno.test({
  name:
    "ups-monitor run logs the fix for an untrusted upsd certificate at start and notifies it once",
  timeout: 60_000,
}, async () => {
  const certs = await makeCertificates();
  await using nut = await startTlsNutServer(certs);
  await using receiver = startRecordingServer();
  await using tools = await makeFakeTools();
  await using run = await makeRunDir();
  const config = run.join("config.yaml");
  await Deno.writeTextFile(
    config,
    `ups:
  name: "dev1@127.0.0.1:${nut.port}"
  tls: starttls
  check_interval: 200ms
  connect_timeout: 1s
  max_stale_data_tolerance: 3
triggers: {depletion: {window: 10s, min_samples: 5}}
notifications:
  channels:
    - {kind: webhook, name: hook, url: "${receiver.url}/ups"}
shutdown:
  dry_run: true
  vms: {enabled: false}
  local: {command: ["${tools.path("shutdown")}"]}
paths: {state: ${run.path}/state, flag: ${run.path}/flag, history: ${run.path}/history, pid: ${run.path}/pid}
logging: {file: null}
`,
  );
  const fix =
    `Cannot start TLS with upsd at "127.0.0.1:${nut.port}": the server's certificate is not trusted (invalid peer certificate: UnknownIssuer); set ups.ca_file to the CA certificate that signed it, or set ups.tls: off (plaintext)`;
  await using daemon = startDaemon(["--config", config], tools.env);
  const failed = await daemon.waitFor((e) => e.event === "nut.connect_failed");
  assert.equal(failed.msg, fix);
  await daemon.waitFor((e) => e.event === "connection.lost");
  // Polls go on failing (every 200 ms, reconnecting with backoff): the
  // notification must not repeat.
  await new Promise((resolve) => setTimeout(resolve, 3000));
  // Readiness GETs the channel too: only the posts are notifications.
  const lost = receiver.requests.filter((r) => r.method === "POST")
    .map((r) => JSON.parse(r.body)).filter((b) =>
      b.event === "connection.lost"
    );
  assert.equal(lost.length, 1, JSON.stringify(lost));
  assert.ok(lost[0].message.includes(fix), lost[0].message);
});
