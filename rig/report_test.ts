import assert from "node:assert/strict";
import type { Verdict } from "./expect.ts";
import {
  formatResult,
  formatSummary,
  markersOf,
  renderHtml,
} from "./report.ts";
import type { ScenarioResult } from "./scenario.ts";

const CHROMIUM = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find(
  (path) => {
    try {
      return Deno.statSync(path).isFile;
    } catch {
      return false; // not installed there
    }
  },
);
const IN_CI = Deno.env.get("CI") === "true";

function result(name: string, passed: boolean): ScenarioResult {
  const verdict: Verdict = {
    passed,
    checks: [{ ok: passed, text: passed ? "Trigger fired" : "Expected x" }],
    firstFailure: passed ? null : "Expected x",
    trigger: {
      name: "low_charge",
      message: "Shutdown triggered: charge 25% < 30% for 2 polls",
      t: 8000,
      mark: "low",
      delayMs: 900,
    },
    steps: [
      { step: "vms", phase: "done", durationMs: 2050, details: "" },
      { step: "filesystems", phase: "timeout", durationMs: 1500, details: "" },
    ],
  };
  const ramp = Array.from({ length: 8 }, (_, i) => ({
    t: 1000 + i * 1000,
    v: 100 - i * 10,
  }));
  return {
    name,
    description: `Scenario ${name}`,
    verdict,
    wallMs: 15_000,
    spanMs: 12_000,
    series: {
      charge: [{ t: 0, v: 100 }, ...ramp],
      runtime: [{ t: 0, v: 1800 }, { t: 4000, v: 900 }, { t: 7000, v: 480 }],
      voltage: [{ t: 0, v: 230 }, { t: 1000, v: 0 }],
    },
    events: [
      { t: 1200, event: "power.on_battery", msg: "On battery", fields: {} },
      {
        t: 8000,
        event: "shutdown.triggered",
        msg: "Shutdown triggered",
        fields: { reason: "low_charge" },
      },
      {
        t: 10_100,
        event: "shutdown.step",
        msg: "VMs",
        fields: { step: "vms", phase: "done", "duration_ms": 2050 },
      },
    ],
    marks: { start: 0, low: 7100 },
    faults: [{ t: 3000, fault: "link_down" }],
    facts: null,
  };
}

Deno.test("formatSummary() ends with the count line CI adds up", () => {
  const text = formatSummary([result("a", true), result("b", false)], 61_000);
  assert.equal(text.split("\n").at(-1), "1 passed, 1 failed");
  assert.match(text, /Total wall time 61\.0 s/);
});

Deno.test("formatResult() names the first failure, the trigger and the steps", () => {
  const text = formatResult(result("low-battery", false));
  assert.equal(
    text,
    [
      "FAIL low-battery (15.0 s wall)",
      "  first failure: Expected x",
      '  trigger: low_charge, 900 ms after "low": Shutdown triggered: charge 25% < 30% for 2 polls',
      "  steps: vms done 2050 ms, filesystems timeout 1500 ms",
    ].join("\n"),
  );
});

Deno.test("formatResult() lists what a rollback restored", () => {
  const rollback = (step: string, msg: string) => ({
    t: 9000,
    event: "shutdown.rollback",
    msg,
    fields: { step },
  });
  const base = result("abort-during-containers", true);
  const text = formatResult({
    ...base,
    events: [
      ...base.events,
      rollback("containers", "Containers a, b started"),
      rollback("vms", "VM web started"),
    ],
  });
  assert.equal(
    text.split("\n").at(-1),
    "  rolled back: containers: Containers a, b started; vms: VM web started",
  );
});

Deno.test("markersOf() marks an abort and its rollback, not each action", () => {
  const markers = markersOf({
    ...result("abort-during-vms", true),
    events: ["shutdown.aborted", "shutdown.rollback", "shutdown.rolled_back"]
      .map((event, i) => ({ t: 6000 + i, event, msg: event, fields: {} })),
    faults: [],
  });
  assert.deepEqual(markers.map((m) => m.label), [
    "shutdown.aborted",
    "shutdown.rolled_back",
  ]);
});

Deno.test("markersOf() marks a readiness change and the rekey, not every round", () => {
  const round = (t: number) => ({
    t,
    event: "readiness.checked",
    msg: "Readiness: all 11 checks ready",
    fields: {},
  });
  const markers = markersOf({
    ...result("nas-host-key-changed", true),
    events: [
      round(-300),
      round(1700),
      round(3700),
      {
        t: 5800,
        event: "readiness.not_ready",
        msg: 'Remote "nas": not ready: the host key changed',
        fields: { check: "remotes.0" },
      },
      round(5800),
    ],
    faults: [{ t: 4000, fault: "nas_rekey" }],
  });
  assert.deepEqual(markers, [
    { t: 5800, label: "readiness.not_ready", kind: "event" },
    { t: 4000, label: "nas_rekey", kind: "fault" },
  ]);
});

Deno.test("markersOf() marks a UPS turning unsafe and a fault with the UPS it aimed at", () => {
  const markers = markersOf({
    ...result("supplies-link-lost", true),
    events: [{
      t: 3000,
      event: "supplies.degraded",
      msg: 'UPS "rig@127.0.0.1:4001" is unsafe',
      fields: {},
    }],
    faults: [{ t: 5000, fault: "link_down", ups: "rig2" }, {
      t: 6000,
      fault: "pause",
    }],
  });
  assert.deepEqual(markers, [
    { t: 3000, label: "supplies.degraded", kind: "event" },
    { t: 5000, label: "link_down rig2", kind: "fault" },
    { t: 6000, label: "pause", kind: "fault" },
  ]);
});

/** Runs headless Chromium on a file; returns stdout. */
async function chromium(args: string[], profile: string): Promise<string> {
  const output = await new Deno.Command(CHROMIUM!, {
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--no-first-run",
      `--user-data-dir=${profile}`,
      ...args,
    ],
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).output();
  assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
  return new TextDecoder().decode(output.stdout);
}

/** The decompressed, still filtered, pixel bytes of a PNG. */
async function pngPixels(
  png: Uint8Array<ArrayBuffer>,
): Promise<Uint8Array> {
  assert.deepEqual([...png.subarray(1, 4)], [0x50, 0x4e, 0x47], "not a PNG");
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const chunks: Uint8Array<ArrayBuffer>[] = [];
  for (let at = 8; at < png.length;) {
    const length = view.getUint32(at);
    const type = new TextDecoder().decode(png.subarray(at + 4, at + 8));
    if (type === "IDAT") chunks.push(png.slice(at + 8, at + 8 + length));
    at += 12 + length;
  }
  const stream = new Blob(chunks).stream().pipeThrough(
    new DecompressionStream("deflate"),
  );
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

Deno.test({
  name:
    "renderHtml() draws one chart per scenario with its data in real Chromium",
  ignore: !CHROMIUM && !IN_CI,
  timeout: 120_000,
}, async () => {
  if (!CHROMIUM) {
    assert.fail(
      "Chromium is not installed: apt-get install -y chromium (required under CI=true)",
    );
  }
  const dir = await Deno.makeTempDir({ prefix: "ups-monitor-report-" });
  try {
    const results = [result("low-battery", true), result("fsd", false)];
    // A probe that queries the rendered DOM and writes what it found into it.
    const probe = `<script>
document.body.insertAdjacentHTML("beforeend", '<pre id="probe">' + JSON.stringify(
  [...document.querySelectorAll("svg.chart")].map((svg) => ({
    id: svg.id,
    width: svg.getBoundingClientRect().width,
    markers: svg.querySelectorAll("g.marker").length,
    series: [...svg.querySelectorAll("path.series")].map((p) => ({
      points: Number(p.dataset.points),
      length: p.getTotalLength(),
    })),
  }))) + "</pre>");
</script>`;
    const page = renderHtml(results, {
      engine: "podman",
      program: "deno run -P=daemon main.ts",
      wallMs: 30_000,
    }).replace("</body>", `${probe}</body>`);
    await Deno.writeTextFile(`${dir}/report.html`, page);
    const dom = await chromium(
      ["--dump-dom", `file://${dir}/report.html`],
      `${dir}/profile-dom`,
    );
    const found = /<pre id="probe">(\[.*?)<\/pre>/s.exec(dom);
    assert.ok(found, "the probe did not run");
    const charts = JSON.parse(found[1]!) as {
      id: string;
      width: number;
      markers: number;
      series: { points: number; length: number }[];
    }[];
    assert.deepEqual(charts.map((c) => c.id), [
      "chart-low-battery",
      "chart-fsd",
    ]);
    for (const chart of charts) {
      assert.ok(chart.width > 100, `${chart.id} is not laid out`);
      assert.equal(chart.series.length, 3, `${chart.id}: three series`);
      assert.ok(chart.series[0]!.points >= 9, `${chart.id}: charge points`);
      for (const s of chart.series) assert.ok(s.length > 100, "a line drawn");
      assert.ok(chart.markers >= 4, `${chart.id}: markers`);
    }
    await chromium([
      `--screenshot=${dir}/shot.png`,
      "--window-size=1000,1400",
      `file://${dir}/report.html`,
    ], `${dir}/profile-shot`);
    const png = await Deno.readFile(`${dir}/shot.png`);
    assert.ok(png.length > 10_000, `screenshot of ${png.length} bytes`);
    const distinct = new Set(await pngPixels(png)).size;
    assert.ok(distinct >= 20, `only ${distinct} distinct bytes: blank page`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
