/**
 * Every dump of the NUT device dump library (`../shared/nut-ddl`, outside the
 * repository, never copied into it) read into variables and into a reading:
 * no exception, and the invariants of a reading hold.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  parseNumber,
  pollFailureOf,
  type Reading,
  readReading,
  type Value,
} from "./reading.ts";

const DDL = new URL("../../../shared/nut-ddl/", import.meta.url).pathname;
const IN_CI = Deno.env.get("CI") === "true";

function ddlPresent(): boolean {
  try {
    return Deno.statSync(DDL).isDirectory;
  } catch {
    return false; // absent outside CI: the test says so and is ignored
  }
}

const PRESENT = ddlPresent();
if (!PRESENT && !IN_CI) {
  Deno.stderr.writeSync(
    new TextEncoder().encode(
      `nut-ddl is not at "${DDL}": its reading test is ignored\n`,
    ),
  );
}

async function dumps(dir: string): Promise<string[]> {
  const found: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const path = `${dir}${entry.name}`;
    if (entry.isDirectory) found.push(...await dumps(`${path}/`));
    else if (entry.name.endsWith(".dev")) found.push(path);
  }
  return found.sort();
}

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
  ignore: !IN_CI && !PRESENT,
  async fn() {
    const files = await dumps(DDL);
    assert.ok(files.length >= 600, `only ${files.length} dumps in "${DDL}"`);
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
        failures.push(`${file.slice(DDL.length)}: ${message}`);
      }
    }
    assert.deepEqual(failures, [], `${failures.length} of ${files.length}`);
    assert.ok(charges > 300, `only ${charges} dumps with a known charge`);
  },
});
