import assert from "node:assert/strict";
import {
  escapeHelp,
  escapeLabelValue,
  formatValue,
  type MetricFamily,
  renderMetrics,
} from "./render.ts";

Deno.test("escapeLabelValue() escapes backslash, double quote and line feed only", () => {
  const cases: [string, string][] = [
    ["plain", "plain"],
    ['Channel "backup"', 'Channel \\"backup\\"'],
    ["C:\\path", "C:\\\\path"],
    ["two\nlines", "two\\nlines"],
    ['\\"\n', '\\\\\\"\\n'],
    ["tab\tand é ✓", "tab\tand é ✓"],
    ["", ""],
  ];
  for (const [raw, escaped] of cases) {
    assert.equal(escapeLabelValue(raw), escaped, JSON.stringify(raw));
  }
});

Deno.test("escapeHelp() escapes backslash and line feed, not double quotes", () => {
  assert.equal(
    escapeHelp('Time "left"\\now\nnext'),
    'Time "left"\\\\now\\nnext',
  );
});

Deno.test("formatValue() writes infinities as Prometheus spells them", () => {
  const cases: [number, string][] = [
    [0, "0"],
    [1, "1"],
    [-2.5, "-2.5"],
    [0.0005, "0.0005"],
    [1e-7, "1e-7"],
    [1e21, "1e+21"],
    [Infinity, "+Inf"],
    [-Infinity, "-Inf"],
  ];
  for (const [value, text] of cases) assert.equal(formatValue(value), text);
});

Deno.test("renderMetrics() writes HELP, TYPE and samples, and leaves out absent values", () => {
  const cases: { name: string; families: MetricFamily[]; text: string }[] = [
    {
      name: "a gauge with and without labels",
      families: [{
        type: "gauge",
        name: "nut_battery_charge",
        help: "Battery charge, 0-1",
        samples: [{ labels: { ups: "ups" }, value: 0.87 }],
      }, {
        type: "gauge",
        name: "ups_monitor_armed",
        help: "Triggers may fire",
        samples: [{ value: 1 }],
      }],
      text: `# HELP nut_battery_charge Battery charge, 0-1
# TYPE nut_battery_charge gauge
nut_battery_charge{ups="ups"} 0.87
# HELP ups_monitor_armed Triggers may fire
# TYPE ups_monitor_armed gauge
ups_monitor_armed 1
`,
    },
    {
      name: "null, undefined and NaN samples are left out; an empty family too",
      families: [{
        type: "gauge",
        name: "nut_load",
        help: "Load",
        samples: [
          { labels: { ups: "a" }, value: null },
          { labels: { ups: "b" }, value: undefined },
          { labels: { ups: "c" }, value: NaN },
          { labels: { ups: "d" }, value: 0 },
        ],
      }, {
        type: "gauge",
        name: "nut_temperature_celsius",
        help: "Temperature",
        samples: [{ value: null }],
      }],
      text: `# HELP nut_load Load
# TYPE nut_load gauge
nut_load{ups="d"} 0
`,
    },
    {
      name: "a counter with escaped labels and help",
      families: [{
        type: "counter",
        name: "ups_monitor_notifications_dropped_total",
        help: "Dropped\nwhen full \\ oldest first",
        samples: [{ labels: { channel: 'my "hook"\n' }, value: 3 }],
      }],
      text:
        `# HELP ups_monitor_notifications_dropped_total Dropped\\nwhen full \\\\ oldest first
# TYPE ups_monitor_notifications_dropped_total counter
ups_monitor_notifications_dropped_total{channel="my \\"hook\\"\\n"} 3
`,
    },
    {
      name: "a histogram is cumulative, with +Inf, sum and count",
      families: [{
        type: "histogram",
        name: "ups_monitor_poll_duration_seconds",
        help: "Poll",
        series: [{
          labels: { ups: "ups" },
          bounds: [0.001, 0.01, 0.1],
          counts: [5, 0, 2, 1],
          sum: 5.25,
        }],
      }],
      text: `# HELP ups_monitor_poll_duration_seconds Poll
# TYPE ups_monitor_poll_duration_seconds histogram
ups_monitor_poll_duration_seconds_bucket{ups="ups",le="0.001"} 5
ups_monitor_poll_duration_seconds_bucket{ups="ups",le="0.01"} 5
ups_monitor_poll_duration_seconds_bucket{ups="ups",le="0.1"} 7
ups_monitor_poll_duration_seconds_bucket{ups="ups",le="+Inf"} 8
ups_monitor_poll_duration_seconds_sum{ups="ups"} 5.25
ups_monitor_poll_duration_seconds_count{ups="ups"} 8
`,
    },
    {
      name: "a histogram without labels and without observations",
      families: [{
        type: "histogram",
        name: "h",
        help: "Empty",
        series: [{ bounds: [1], counts: new Float64Array(2), sum: 0 }],
      }],
      text: `# HELP h Empty
# TYPE h histogram
h_bucket{le="1"} 0
h_bucket{le="+Inf"} 0
h_sum 0
h_count 0
`,
    },
    { name: "nothing at all", families: [], text: "" },
  ];
  for (const { name, families, text } of cases) {
    const rendered = renderMetrics(families);
    assert.equal(rendered, text, name);
    assert.doesNotMatch(rendered, /undefined|NaN/, name);
  }
});
