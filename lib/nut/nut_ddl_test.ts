/**
 * Every dump of the NUT device dump library (`../shared/nut-ddl`, outside the
 * repository) served by dummy-ups and read by the client: no error, and the
 * same variables `upsc` reports. Slow (a minute or two): run it alone with
 * `deno test -P lib/nut/nut_ddl_test.ts`.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  dumpToDev,
  IGNORE_WITHOUT_NUT_DDL,
  listDumps,
  NUT_DDL_DIR,
} from "../testing/nut_ddl.ts";
import { NutClient } from "./client.ts";
import { systemClock } from "../system/clock.ts";
import { ConsoleLogger } from "../system/log.ts";
import { IN_CI, startUpsd, UPSD_PRESENT } from "../testing/upsd.ts";

const BATCH = 100;

function parseUpsc(text: string): Map<string, string> {
  const values = new Map<string, string>();
  for (const line of text.split("\n")) {
    const at = line.indexOf(": ");
    if (at > 0) values.set(line.slice(0, at), line.slice(at + 2));
  }
  return values;
}

async function pool<T>(
  items: T[],
  size: number,
  fn: (item: T) => Promise<void>,
) {
  const queue = [...items];
  await Promise.all(
    Array.from({ length: size }, async () => {
      for (let item = queue.shift(); item !== undefined; item = queue.shift()) {
        await fn(item);
      }
    }),
  );
}

Deno.test({
  name: "NutClient.listVar() reads every nut-ddl dump as upsc does",
  ignore: IGNORE_WITHOUT_NUT_DDL || (!IN_CI && !UPSD_PRESENT),
  timeout: 600_000,
  async fn() {
    const files = await listDumps();
    assert.ok(files.length > 0, `no dumps in "${NUT_DDL_DIR}"`);
    const failures: string[] = [];
    let compared = 0;
    for (let start = 0; start < files.length; start += BATCH) {
      const batch = files.slice(start, start + BATCH);
      const upses: Record<string, string> = {};
      const expected = new Map<string, string[]>();
      const sources = new Map<string, string>();
      for (const [i, file] of batch.entries()) {
        const { dev, names } = dumpToDev(await Deno.readTextFile(file));
        const ups = `u${start + i}`;
        upses[ups] = dev;
        expected.set(ups, names);
        sources.set(ups, file.slice(NUT_DDL_DIR.length));
      }
      await using upsd = await startUpsd({ upses, startTimeoutMs: 60_000 });
      await using client = new NutClient({
        address: upsd.address(),
        clock: systemClock,
        logger: new ConsoleLogger({ write: () => {} }),
      });
      await pool(Object.keys(upses), 8, async (ups) => {
        const source = sources.get(ups)!;
        try {
          const [mine, theirs] = await Promise.all([
            client.listVar(ups),
            upsd.upsc(upsd.target(ups)).then(parseUpsc),
          ]);
          assert.deepEqual(mine, theirs);
          for (const name of expected.get(ups)!) {
            assert.ok(mine.has(name), `"${name}" is missing`);
          }
          compared++;
        } catch (error) {
          failures.push(
            `${source}: ${error instanceof Error ? error.message : error}`,
          );
        }
      });
    }
    assert.deepEqual(
      failures,
      [],
      `${failures.length} of ${files.length} dumps failed`,
    );
  },
});
