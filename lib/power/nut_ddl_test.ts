/**
 * Every dump of the NUT device dump library (`../shared/nut-ddl`, outside the
 * repository, never copied into it) read into variables and into a reading:
 * no exception, and the invariants of a reading hold.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  IGNORE_WITHOUT_NUT_DDL,
  listDumps,
  NUT_DDL_DIR,
} from "../testing/nut_ddl.ts";
import {
  parseNumber,
  pollFailureOf,
  type Reading,
  readReading,
  type Value,
} from "./reading.ts";

/**
 * A dump's `name: value` lines as upsd would serve them: comment lines and
 * trailing `#` annotations (`OFF\t#BAD: ...`) dropped, empty values kept.
 */
function parseDump(text: string): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    if (raw.trimStart().startsWith("#")) continue;
    const match = /^\s*([A-Za-z0-9_.\-]+):(.*)$/.exec(raw);
    if (!match) continue;
    vars[match[1]!] = match[2]!.replace(/(^|\s)#.*$/, "").trim();
  }
  return vars;
}

const NUMERIC_FIELDS = [
  "charge",
  "chargeLow",
  "runtime",
  "runtimeLow",
  "load",
  "inputVoltage",
  "nominalVoltage",
  "transferLow",
  "transferHigh",
  "outputVoltage",
  "inputFrequency",
  "batteryVoltage",
  "temperature",
] as const satisfies readonly (keyof Reading)[];

function invariants(vars: Record<string, string>, reading: Reading): void {
  for (const field of NUMERIC_FIELDS) {
    const value: Value = reading[field];
    if (value.known) {
      assert.ok(Number.isFinite(value.value), `${field} is finite`);
    } else {
      assert.ok(value.reason.length > 0, `${field} has a reason`);
    }
  }
  const raw = vars["battery.charge"];
  const charge = raw === undefined ? null : parseNumber(raw);
  if (charge !== null && charge >= 0 && charge <= 100) {
    assert.deepEqual(reading.charge, { known: true, value: charge });
  }
  if (reading.charge.known) {
    assert.ok(reading.charge.value >= 0 && reading.charge.value <= 100);
  }
  if (reading.runtime.known) {
    assert.ok(reading.runtime.value > 0 && reading.runtime.value < 65535);
  }
  if (reading.status.flags.has("OB")) assert.equal(reading.source, "battery");
  const failure = pollFailureOf(reading);
  if ((vars["ups.status"] ?? "").trim() === "") {
    assert.equal(failure?.kind, "no_status");
  } else {
    assert.equal(failure, null);
  }
}

Deno.test({
  name: "readReading() reads every nut-ddl dump",
  ignore: IGNORE_WITHOUT_NUT_DDL,
  async fn() {
    const files = await listDumps();
    assert.ok(
      files.length >= 600,
      `only ${files.length} dumps in "${NUT_DDL_DIR}"`,
    );
    const failures: string[] = [];
    let charges = 0;
    for (const file of files) {
      try {
        const vars = parseDump(await Deno.readTextFile(file));
        const reading = readReading(vars, 0);
        invariants(vars, reading);
        if (reading.charge.known) charges++;
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        failures.push(`${file.slice(NUT_DDL_DIR.length)}: ${message}`);
      }
    }
    assert.deepEqual(failures, [], `${failures.length} of ${files.length}`);
    assert.ok(charges > 300, `only ${charges} dumps with a known charge`);
  },
});
