import assert from "node:assert/strict";
import {
  parseNumber,
  parseStatus,
  pollFailureOf,
  type Reading,
  READING_VARIABLES,
  readReading,
  type Value,
  valueOf,
} from "./reading.ts";

Deno.test("parseNumber() reads NUT numbers leniently", () => {
  const cases: [string, number | null][] = [
    ["100", 100],
    ["023.4", 23.4],
    ["000", 0],
    ["230.0 ", 230],
    ["\t 95 \t", 95],
    ["1,5", 1.5],
    ["49,9", 49.9],
    ["+12", 12],
    ["-1", -1],
    [".5", 0.5],
    ["5.", 5],
    ["1e3", 1000],
    ["", null],
    ["   ", null],
    ["abc", null],
    ["NaN", null],
    ["nan", null],
    ["Infinity", null],
    ["0x10", null],
    ["1,234.5", null],
    ["1,2,3", null],
    ["12 V", null],
    ["1e999", null],
  ];
  for (const [raw, expected] of cases) {
    assert.equal(parseNumber(raw), expected, JSON.stringify(raw));
  }
});

Deno.test("parseStatus() keeps unknown words and ignores case and spacing", () => {
  const status = parseStatus("  ol\tCHRG  ECO  TEST ECO ");
  assert.deepEqual([...status.flags], ["OL", "CHRG"]);
  assert.deepEqual(status.other, ["ECO", "TEST"]);
  assert.equal(status.wait, false);
  assert.equal(status.raw, "  ol\tCHRG  ECO  TEST ECO ");
});

Deno.test("parseStatus() sees WAIT apart from the flags", () => {
  const status = parseStatus("FSD WAIT");
  assert.deepEqual([...status.flags], ["FSD"]);
  assert.equal(status.wait, true);
});

function unknownOf(value: Value): [string, string] {
  assert.equal(value.known, false);
  if (value.known) throw new TypeError("Cannot happen");
  return [value.code, value.reason];
}

Deno.test("readReading() turns bad numbers into unknown with a reason", () => {
  const cases: [Record<string, string>, keyof Reading, string, string][] = [
    [{}, "charge", "missing", "battery.charge is missing"],
    [{ "battery.charge": "" }, "charge", "missing", "battery.charge is empty"],
    [
      { "battery.charge": "abc" },
      "charge",
      "not_a_number",
      'battery.charge "abc" is not a number',
    ],
    [
      { "battery.charge": "NaN" },
      "charge",
      "not_a_number",
      'battery.charge "NaN" is not a number',
    ],
    [
      { "battery.charge": "-197.6" },
      "charge",
      "out_of_range",
      'battery.charge "-197.6" is out of range',
    ],
    [
      { "battery.charge": "102.3" },
      "charge",
      "out_of_range",
      'battery.charge "102.3" is out of range',
    ],
    [
      { "battery.runtime": "0" },
      "runtime",
      "sentinel",
      'battery.runtime "0" is a sentinel',
    ],
    [
      { "battery.runtime": "-1" },
      "runtime",
      "sentinel",
      'battery.runtime "-1" is a sentinel',
    ],
    [
      { "battery.runtime": "65535" },
      "runtime",
      "sentinel",
      'battery.runtime "65535" is a sentinel',
    ],
    [
      { "battery.runtime": "3932100" },
      "runtime",
      "sentinel",
      'battery.runtime "3932100" is a sentinel',
    ],
    [
      { "ups.load": "-5" },
      "load",
      "out_of_range",
      'ups.load "-5" is out of range',
    ],
    [
      { "input.voltage.nominal": "0" },
      "nominalVoltage",
      "out_of_range",
      'input.voltage.nominal "0" is out of range',
    ],
  ];
  for (const [vars, field, code, reason] of cases) {
    const reading = readReading({ "ups.status": "OB", ...vars }, 0);
    assert.deepEqual(unknownOf(reading[field] as Value), [code, reason]);
  }
});

Deno.test("readReading() reads 100.5 % as 100 and never invents 0", () => {
  const reading = readReading({
    "ups.status": "OL",
    "battery.charge": "100.5",
    "battery.runtime": "65534",
    "input.voltage": "0",
    "input.transfer.low": " 0180 ",
    "ups.load": "023,5",
  }, 42);
  assert.equal(valueOf(reading.charge), 100);
  assert.equal(valueOf(reading.runtime), 65534);
  assert.equal(valueOf(reading.inputVoltage), 0);
  assert.equal(valueOf(reading.transferLow), 180);
  assert.equal(valueOf(reading.load), 23.5);
  assert.equal(valueOf(reading.outputVoltage), null);
  assert.equal(reading.atMs, 42);
});

Deno.test("readReading() sees OB as battery, OL as line, else unknown", () => {
  const cases: [string | undefined, string][] = [
    ["OL CHRG", "line"],
    ["OB DISCHRG", "battery"],
    ["OL OB", "battery"],
    ["OFF", "unknown"],
    ["", "unknown"],
    [undefined, "unknown"],
  ];
  for (const [status, source] of cases) {
    const vars: Record<string, string> = status === undefined
      ? {}
      : { "ups.status": status };
    assert.equal(readReading(vars, 0).source, source, String(status));
  }
});

Deno.test("readReading() accepts the Map of NutClient.poll()", () => {
  const reading = readReading(
    new Map([["ups.status", "OB LB"], ["battery.charge", "12"]]),
    0,
  );
  assert.equal(reading.source, "battery");
  assert.ok(reading.status.flags.has("LB"));
  assert.equal(valueOf(reading.charge), 12);
});

Deno.test("readReading() ignores inherited names and prefers ups.temperature", () => {
  const reading = readReading({
    "ups.status": "OL",
    "battery.temperature": "30",
    "ups.temperature": "25.9",
    "ups.alarm": "  ",
  }, 0);
  assert.equal(valueOf(reading.temperature), 25.9);
  assert.equal(reading.alarm, null);
  assert.equal(
    readReading({ "ups.status": "OL", "battery.temperature": "30" }, 0)
      .temperature.known,
    true,
  );
  assert.equal(readReading({ constructor: "1" }, 0).status.raw, null);
});

Deno.test("pollFailureOf() counts WAIT, an empty status and a blind reading on battery as no valid reading", () => {
  const cases: [Record<string, string>, string | null][] = [
    [{ "ups.status": "WAIT" }, "wait"],
    [{ "ups.status": "FSD WAIT" }, "wait"],
    [{ "ups.status": "" }, "no_status"],
    [{ "ups.status": " \t" }, "no_status"],
    [{}, "no_status"],
    [{ "ups.status": "OL" }, null],
    [{ "ups.status": "ECO" }, null],
    // On battery, a reading needs a usable charge or runtime, unless the UPS
    // serves neither (it relies on LB).
    [{ "ups.status": "OB DISCHRG" }, null],
    [{ "ups.status": "OB", "battery.charge": " " }, "no_battery_data"],
    [
      {
        "ups.status": "OB",
        "battery.charge": "NaN",
        "battery.runtime": "65535",
      },
      "no_battery_data",
    ],
    [
      { "ups.status": "OB", "battery.charge": "NaN", "battery.runtime": "300" },
      null,
    ],
    [
      { "ups.status": "OB", "battery.charge": "5", "battery.runtime": "0" },
      null,
    ],
    [{ "ups.status": "OL", "battery.charge": "NaN" }, null],
    [{ "ups.status": "OFF" }, null],
  ];
  for (const [vars, kind] of cases) {
    assert.equal(
      pollFailureOf(readReading(vars, 0))?.kind ?? null,
      kind,
      JSON.stringify(vars),
    );
  }
});

Deno.test("READING_VARIABLES lists each variable once", () => {
  assert.equal(new Set(READING_VARIABLES).size, READING_VARIABLES.length);
  for (
    const name of [
      "ups.status",
      "battery.charge",
      "battery.runtime",
      "input.voltage",
      "input.transfer.low",
      "battery.temperature",
    ]
  ) {
    assert.ok(READING_VARIABLES.includes(name), name);
  }
});
