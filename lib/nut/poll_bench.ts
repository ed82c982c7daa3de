/**
 * One poll of the monitor's variables on a real loopback upsd: this client
 * (nudged `LIST VAR` and sequential `GET VAR`) against `upsc`, at the
 * monitor's 1 s cadence and back-to-back. Prints a table of median and p99;
 * Deno's own line for the bench is the whole run and means nothing.
 *
 * `deno bench -P=test --no-prompt lib/nut/poll_bench.ts`
 *
 * @module
 */

import { READING_VARIABLES } from "../power/reading.ts";
import { NutClient, type PollStrategy } from "./client.ts";
import { systemClock } from "../system/clock.ts";
import { ConsoleLogger } from "../system/log.ts";
import { startUpsd, UPSD_PRESENT } from "../testing/upsd.ts";

const VARS = READING_VARIABLES;
const CADENCE_MS = 1000;
const CADENCE_POLLS = Number(Deno.env.get("POLL_BENCH_CADENCE_POLLS") ?? 30);
const BACK_TO_BACK_POLLS = 500;
const WARMUP_POLLS = 300;
const UPSC_CALLS = 30;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!;
}

function row(name: string, samples: number[]): string {
  const sorted = [...samples].sort((a, b) => a - b);
  const ms = (v: number) => v.toFixed(3).padStart(9);
  return `${name.padEnd(44)}${String(sorted.length).padStart(6)}` +
    `${ms(percentile(sorted, 0.5))}${ms(percentile(sorted, 0.99))}${
      ms(sorted.at(-1)!)
    }`;
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

function sleep(ms: number): Promise<void> {
  return systemClock.sleep(ms);
}

let measured = false;

Deno.bench({
  name: "poll: client vs upsc (see the table above)",
  ignore: !UPSD_PRESENT,
  n: 1,
  warmup: 0,
  async fn() {
    // Deno may call a bench more than once; one table is enough.
    if (measured) return;
    measured = true;
    await using upsd = await startUpsd();
    const logger = new ConsoleLogger({ write: () => {} });
    const make = (pollStrategy: PollStrategy) =>
      new NutClient({
        address: upsd.address(),
        clock: systemClock,
        logger,
        pollStrategy,
      });
    await using list = make("list");
    await using get = make("get");
    const upsc = () => upsd.upsc(upsd.target());
    const samples: Record<string, number[]> = {};
    const add = (name: string, ms: number) => (samples[name] ??= []).push(ms);
    // Steady state: the daemon polls for days, so let V8 optimise the code
    // first; at one poll a second that would take minutes.
    for (let i = 0; i < WARMUP_POLLS; i++) {
      await list.poll(VARS);
      await get.poll(VARS);
    }
    await upsc();

    // Each connection sees one poll per second; the three are staggered.
    for (let i = 0; i < CADENCE_POLLS; i++) {
      add(
        `client LIST VAR + nudge, ${CADENCE_MS} ms cadence`,
        await timed(() => list.poll(VARS)),
      );
      await sleep(CADENCE_MS / 3);
      add(
        `client GET VAR x ${VARS.length}, ${CADENCE_MS} ms cadence`,
        await timed(() => get.poll(VARS)),
      );
      await sleep(CADENCE_MS / 3);
      add(`upsc <ups> (LIST VAR), ${CADENCE_MS} ms cadence`, await timed(upsc));
      await sleep(CADENCE_MS / 3);
    }
    for (let i = 0; i < BACK_TO_BACK_POLLS; i++) {
      add(
        "client LIST VAR + nudge, back-to-back",
        await timed(() => list.poll(VARS)),
      );
    }
    for (let i = 0; i < BACK_TO_BACK_POLLS; i++) {
      add(
        `client GET VAR x ${VARS.length}, back-to-back`,
        await timed(() => get.poll(VARS)),
      );
    }
    for (let i = 0; i < UPSC_CALLS; i++) {
      add("upsc <ups> (LIST VAR), back-to-back", await timed(upsc));
    }
    // The first poll right after login: a fresh connection each time.
    for (let i = 0; i < UPSC_CALLS; i++) {
      await using fresh = make("list");
      await fresh.connect();
      add(
        "client LIST VAR + nudge, first poll after connect",
        await timed(() => fresh.poll(VARS)),
      );
    }

    const header =
      `${"poll (ms)".padEnd(44)}${"n".padStart(6)}${"median".padStart(9)}` +
      `${"p99".padStart(9)}${"max".padStart(9)}`;
    const table = [
      header,
      ...Object.entries(samples).map(([k, v]) => row(k, v)),
    ];
    Deno.stdout.writeSync(
      new TextEncoder().encode(`\n${table.join("\n")}\n\n`),
    );
  },
});
