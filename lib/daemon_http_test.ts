import assert from "node:assert/strict";
import { startDaemon } from "./testing/daemon.ts";
import { makeFakeTools } from "./testing/fake_tools.ts";
import { runProgram } from "./testing/program.ts";
import { makeRunDir } from "./testing/temp_dir.ts";
import { IGNORE_WITHOUT_UPSD, startUpsd } from "./testing/upsd.ts";

/** Poll interval of the test daemon, ms. */
const POLL_MS = 200;

function configText(
  dir: string,
  ups: string,
  listen: string,
  shutdown: string,
): string {
  return `ups: {name: "${ups}", tls: off, check_interval: ${POLL_MS}ms}
shutdown: ${shutdown}
paths: {state: ${dir}/state, flag: ${dir}/flag, history: ${dir}/history, durations: ${dir}/durations, pid: ${dir}/pid}
logging: {file: null}
readiness: {enabled: false}
http: {listen: "${listen}"}
`;
}

async function get(base: string, path: string) {
  const response = await fetch(`${base}${path}`);
  return { status: response.status, text: await response.text() };
}

/** The value of the one sample of `name` with these labels, or undefined. */
function sample(text: string, line: string): number | undefined {
  const found = text.split("\n").find((l) => l.startsWith(line + " "));
  return found === undefined ? undefined : Number(found.slice(line.length + 1));
}

Deno.test({
  name:
    "ups-monitor run serves /metrics and /status from memory; /status is what status --json prints; a stalled client holds up neither scrapes nor polls",
  ignore: IGNORE_WITHOUT_UPSD,
  timeout: 90_000,
}, async (t) => {
  await using upsd = await startUpsd();
  await using tools = await makeFakeTools({ engines: ["docker"] });
  await using dir = await makeRunDir();
  const { ups, host, port } = upsd.address();
  const config = dir.join("config.yaml");
  const shutdown = `{dry_run: true, vms: {enabled: false}, local: {command: ["${
    tools.path("shutdown")
  }"]}}`;
  await Deno.writeTextFile(
    config,
    configText(dir.path, `${ups}@${host}:${port}`, "127.0.0.1:0", shutdown),
  );
  await using daemon = startDaemon(["--config", config], tools.env);
  const listening = await daemon.waitFor((e) => e.event === "http.listening");
  const base = `http://${listening["address"]}`;
  assert.match(String(listening["address"]), /^127\.0\.0\.1:\d+$/);

  await t.step("/metrics shows the UPS and the daemon", async () => {
    let metrics = "";
    // The first poll and the make and model come within a few polls.
    for (let i = 0; i < 50 && !metrics.includes("nut_ups_info"); i++) {
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      metrics = (await get(base, "/metrics")).text;
    }
    for (
      const line of [
        `nut_ups_info{ups="${ups}",mfr="Rig Power",model="Rig 1500"} 1`,
        `nut_battery_charge{ups="${ups}"} 1`,
        `nut_battery_runtime_seconds{ups="${ups}"} 1800`,
        `nut_input_voltage_volts{ups="${ups}"} 230.1`,
        `nut_load{ups="${ups}"} 0.23`,
        `nut_ups_status{ups="${ups}",flag="OL"} 1`,
        `nut_ups_status{ups="${ups}",flag="OB"} 0`,
        `ups_monitor_armed{ups="${ups}"} 1`,
        `ups_monitor_on_battery_seconds{ups="${ups}"} 0`,
        `ups_monitor_connection_state{ups="${ups}",state="ok"} 1`,
        `ups_monitor_poll_failures_total{ups="${ups}",kind="timeout"} 0`,
        "ups_monitor_shutdown_running 0",
      ]
    ) {
      assert.ok(metrics.split("\n").includes(line), `${line}\n---\n${metrics}`);
    }
    assert.doesNotMatch(metrics, /undefined|NaN|null/);
  });

  await t.step("/status is the object status --json prints", async () => {
    const fromDaemon = JSON.parse((await get(base, "/status")).text);
    const cli = await runProgram(["status", "--config", config, "--json"]);
    assert.equal(cli.code, 0, cli.stderr);
    const fromCli = JSON.parse(cli.stdout);
    // The timings are the daemon's last polls, written to its state file a
    // little later: the figures differ, the shape does not.
    assert.deepEqual(Object.keys(fromDaemon.timing), [
      "polls",
      "poll_ms",
      "decide_ms",
      "jitter_ms",
    ]);
    assert.deepEqual(Object.keys(fromCli.timing), [
      "polls",
      "poll_ms",
      "decide_ms",
      "jitter_ms",
    ]);
    delete fromDaemon.timing;
    delete fromCli.timing;
    // The daemon does not ask upsd for its clients on a request.
    assert.equal(fromDaemon.fleet.role, fromCli.fleet.role);
    delete fromDaemon.fleet;
    delete fromCli.fleet;
    assert.deepEqual(fromDaemon, fromCli);
    assert.equal(fromDaemon.daemon, daemon.pid);
    assert.equal(fromDaemon.mfr, "Rig Power");
  });

  await t.step(
    "a client that stalls mid-request is cut off; scrapes and polls go on meanwhile",
    async () => {
      const { port: httpPort } = new URL(base);
      using slow = await Deno.connect({
        hostname: "127.0.0.1",
        port: Number(httpPort),
      });
      await slow.write(new TextEncoder().encode("GET /metrics HTTP/1.1\r\nHo"));
      const stalledAt = performance.now();
      const cut = slow.read(new Uint8Array(64)).then(
        () => performance.now() - stalledAt,
        () => performance.now() - stalledAt,
      );
      const polls = async () =>
        sample(
          (await get(base, "/metrics")).text,
          `ups_monitor_poll_duration_seconds_count{ups="${ups}"}`,
        )!;
      const scrapeMs: number[] = [];
      const before = await polls();
      for (let i = 0; i < 10; i++) {
        const started = performance.now();
        await polls();
        scrapeMs.push(performance.now() - started);
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      }
      const after = await polls();
      const elapsedMs = performance.now() - stalledAt;
      // 200 ms polls: one missed now and then on a loaded machine at most.
      assert.ok(
        after - before >= Math.floor(elapsedMs / POLL_MS) - 3,
        `${after - before} polls in ${Math.round(elapsedMs)} ms`,
      );
      assert.ok(
        Math.max(...scrapeMs) < 500,
        `scrapes took ${scrapeMs.map(Math.round).join(", ")} ms`,
      );
      const cutAfterMs = await cut;
      assert.ok(
        cutAfterMs >= 4500 && cutAfterMs < 8000,
        `cut after ${Math.round(cutAfterMs)} ms`,
      );
      const metrics = (await get(base, "/metrics")).text;
      assert.equal(
        sample(metrics, 'ups_monitor_http_rejected_total{reason="deadline"}'),
        1,
      );
    },
  );

  await t.step(
    "a reload to a taken address is a warning; the daemon goes on and a later reload binds again",
    async () => {
      using taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
      const takenAddress = `127.0.0.1:${taken.addr.port}`;
      const target = `${ups}@${host}:${port}`;
      await Deno.writeTextFile(
        config,
        configText(dir.path, target, takenAddress, shutdown),
      );
      let from = daemon.events.length;
      daemon.signal("SIGHUP");
      const failed = await daemon.waitFor(
        (e) => e.event === "http.listen_failed",
        { from },
      );
      assert.equal(
        failed.msg,
        `Cannot listen on "${takenAddress}": address already in use: /metrics and /status are off until the next reload`,
      );
      await assert.rejects(fetch(`${base}/metrics`));
      await Deno.writeTextFile(
        config,
        configText(dir.path, target, "127.0.0.1:0", shutdown),
      );
      from = daemon.events.length;
      daemon.signal("SIGHUP");
      const again = await daemon.waitFor((e) => e.event === "http.listening", {
        from,
      });
      // 503 until the new session has started.
      let metrics = { status: 0, text: "" };
      for (let i = 0; i < 25 && metrics.status !== 200; i++) {
        if (i > 0) await new Promise((resolve) => setTimeout(resolve, POLL_MS));
        metrics = await get(`http://${again["address"]}`, "/metrics");
        assert.ok([200, 503].includes(metrics.status), metrics.text);
      }
      assert.equal(metrics.status, 200);
    },
  );

  assert.equal(await daemon.stop("SIGTERM"), 0);
});

Deno.test(
  "ups-monitor run refuses to start when http.listen is taken: exit 2, naming the address",
  {
    timeout: 30_000,
  },
  async () => {
    await using dir = await makeRunDir();
    using taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const address = `127.0.0.1:${taken.addr.port}`;
    const config = dir.join("config.yaml");
    await Deno.writeTextFile(
      config,
      configText(
        dir.path,
        "ups@127.0.0.1:1",
        address,
        "{dry_run: true, vms: {enabled: false}, containers: {enabled: false}, local: {enabled: false}}",
      ),
    );
    const result = await runProgram(["run", "--config", config]);
    assert.equal(result.code, 2, result.stderr);
    assert.equal(
      result.stderr,
      `Invalid configuration:\n${config}:6:8: http.listen: cannot listen on "${address}": address already in use\n`,
    );
  },
);
