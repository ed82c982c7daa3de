import assert from "node:assert/strict";
import { startDaemon } from "./testing/daemon.ts";
import { makeFakeTools } from "./testing/fake_tools.ts";
import { startRecordingServer } from "./testing/http_server.ts";
import { runProgram } from "./testing/program.ts";
import { IGNORE_WITHOUT_UPSD, startUpsd } from "./testing/upsd.ts";

Deno.test({
  name:
    "ups-monitor run checks readiness on a schedule, reports a broken channel once and its repair once, and status shows it",
  ignore: IGNORE_WITHOUT_UPSD,
  timeout: 90_000,
}, async () => {
  await using upsd = await startUpsd();
  await using tools = await makeFakeTools({ engines: ["docker"] });
  let broken = true;
  // "/alerts" receives the notifications; "/backup" is the channel that breaks.
  await using receiver = startRecordingServer((request) =>
    request.path === "/backup" && broken
      ? new Response("no such hook", { status: 404 })
      : new Response(null, { status: 204 })
  );
  const dir = await Deno.makeTempDir({ dir: "/run" });
  try {
    const { ups, host, port } = upsd.address();
    const config = `${dir}/config.yaml`;
    await Deno.writeTextFile(
      config,
      `ups: {name: "${ups}@${host}:${port}", tls: off, check_interval: 200ms}
notifications:
  channels:
    - {kind: webhook, name: alerts, url: "${receiver.url}/alerts"}
    - {kind: webhook, name: backup, url: "${receiver.url}/backup"}
shutdown: {dry_run: true, vms: {enabled: false}, local: {command: ["${
        tools.path("shutdown")
      }"]}}
paths: {state: ${dir}/state, flag: ${dir}/flag, history: ${dir}/history, durations: ${dir}/durations, pid: ${dir}/pid}
logging: {file: null}
readiness: {interval: 1s, timeout: 2s}
`,
    );
    await using daemon = startDaemon(["--config", config], tools.env);
    const notReady = await daemon.waitFor((e) =>
      e.event === "readiness.not_ready"
    );
    assert.match(notReady.msg, /^Channel "backup": not ready: HTTP 404/);
    assert.doesNotMatch(notReady.msg, /127\.0\.0\.1/, "the URL is a secret");
    // Three more rounds: the broken channel is not reported again.
    const rounds = (from: number) =>
      daemon.events.slice(from).filter((e) => e.event === "readiness.checked");
    const mark = daemon.events.length;
    while (rounds(mark).length < 3) {
      await daemon.waitFor((e) => e.event === "readiness.checked", {
        from: daemon.events.length,
      });
    }
    const status = await runProgram(["status", "--config", config]);
    assert.equal(status.code, 0, status.stderr);
    assert.match(
      status.stdout,
      /readiness {4}1 of \d+ checks NOT READY \(checked \d+ s ago\)/,
    );
    assert.match(
      status.stdout,
      /Channel "backup"\s+NOT READY for \d+ s: HTTP 404/,
    );
    assert.match(
      status.stdout,
      /daemon {7}running \(pid \d+\), poll [\d.]+ ms median \(max [\d.]+ ms\), reply to decision [\d.]+ ms/,
    );

    broken = false;
    const ready = await daemon.waitFor((e) => e.event === "readiness.ready");
    assert.match(ready.msg, /^Channel "backup": ready again/);
    // The state file takes the new round at the next poll (200 ms here).
    let json = { stdout: "{}" } as Awaited<ReturnType<typeof runProgram>>;
    let report: Record<string, Record<string, Record<string, unknown>>> = {};
    for (let i = 0; i < 20; i++) {
      json = await runProgram(["status", "--config", config, "--json"]);
      report = JSON.parse(json.stdout);
      if (report["readiness"]?.["channels.1"]?.["ready"] === true) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    assert.equal(report["readiness"]?.["channels.1"]?.["ready"], true);
    // The daemon's own timings: the poll on the wire and reply to decision.
    const timing = report["timing"] as Record<string, unknown> & {
      "poll_ms": { median: number };
      "decide_ms": { max: number };
    };
    assert.ok((timing["polls"] as number) > 0, json.stdout);
    assert.ok(timing.poll_ms.median > 0, json.stdout);
    assert.ok(timing.decide_ms.max >= 0, json.stdout);
    assert.equal(await daemon.stop("SIGTERM"), 0);

    const said = (event: string) =>
      daemon.events.filter((e) => e.event === event).length;
    assert.equal(said("readiness.not_ready"), 1);
    assert.equal(said("readiness.ready"), 1);
    const posted = receiver.requests.filter((r) =>
      r.method === "POST" && r.path === "/alerts"
    ).map((r) => JSON.parse(r.body)["event"]);
    assert.equal(posted.filter((e) => e === "readiness.not_ready").length, 1);
    assert.equal(posted.filter((e) => e === "readiness.ready").length, 1);
    // Each round GETs each channel once (it never posts a test message).
    const gets = receiver.requests.filter((r) =>
      r.method === "GET" && r.path === "/backup"
    );
    // (A round cut short by the stop may have sent its GET without ending.)
    const ended = said("readiness.checked");
    assert.ok(
      gets.length === ended || gets.length === ended + 1,
      `${gets.length} GETs for ${ended} rounds`,
    );
    assert.ok(gets.every((r) => r.body === ""));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
