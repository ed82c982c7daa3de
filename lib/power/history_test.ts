import assert from "node:assert/strict";
import {
  addSample,
  depletionRate,
  type History,
  MAX_SAMPLES,
} from "./history.ts";

const WINDOW = 300_000;

/** A seeded PRNG (mulberry32), so the noisy cases are repeatable. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Samples of a linear drain, every `stepMs`, through `shape`. */
function drain(
  ratePerMin: number,
  spanMs: number,
  stepMs: number,
  shape: (charge: number) => number = (c) => c,
): History {
  let history: History = [];
  for (let t = 0; t <= spanMs; t += stepMs) {
    const charge = Math.max(0, Math.min(100, 95 - ratePerMin * t / 60_000));
    history = addSample(history, { monoMs: t, charge: shape(charge) }, WINDOW);
  }
  return history;
}

/** The first-to-last difference, the estimator the module comment rejects. */
function endpointRate(history: History): number {
  const first = history[0]!;
  const last = history[history.length - 1]!;
  return (first.charge - last.charge) / ((last.monoMs - first.monoMs) / 60_000);
}

Deno.test("addSample() keeps the window and drops older samples", () => {
  let history: History = [];
  for (let t = 0; t <= 600_000; t += 1000) {
    history = addSample(history, { monoMs: t, charge: 50 }, WINDOW);
  }
  assert.equal(history.length, 301);
  assert.equal(history[0]!.monoMs, 300_000);
});

Deno.test("addSample() ignores a sample not newer than the last", () => {
  const history = addSample([], { monoMs: 10, charge: 50 }, WINDOW);
  assert.equal(addSample(history, { monoMs: 10, charge: 40 }, WINDOW), history);
  assert.equal(addSample(history, { monoMs: 5, charge: 40 }, WINDOW), history);
  assert.equal(
    addSample(history, { monoMs: 20, charge: Number.NaN }, WINDOW),
    history,
  );
});

Deno.test("addSample() keeps at most MAX_SAMPLES", () => {
  const full: History = Array.from(
    { length: MAX_SAMPLES },
    (_, t) => ({ monoMs: t, charge: 50 }),
  );
  const history = addSample(
    full,
    { monoMs: MAX_SAMPLES, charge: 49 },
    10 * MAX_SAMPLES,
  );
  assert.equal(history.length, MAX_SAMPLES);
  assert.equal(history[0]!.monoMs, 1);
  assert.equal(history[MAX_SAMPLES - 1]!.charge, 49);
});

Deno.test("depletionRate() needs two samples apart in time", () => {
  assert.equal(depletionRate([], 0, WINDOW), null);
  assert.equal(depletionRate([{ monoMs: 0, charge: 50 }], 0, WINDOW), null);
  assert.equal(
    depletionRate([{ monoMs: 0, charge: 50 }], 400_000, WINDOW),
    null,
  );
});

Deno.test("depletionRate() is exact on a steady drain", () => {
  const history = drain(12, 300_000, 1000);
  const rate = depletionRate(history, 300_000, WINDOW)!;
  assert.ok(Math.abs(rate.ratePerMin - 12) < 1e-9, String(rate.ratePerMin));
  assert.equal(rate.samples, 301);
  assert.equal(rate.spanMs, 300_000);
});

Deno.test("depletionRate() is negative while charging and 0 when flat", () => {
  assert.ok(
    depletionRate(drain(-3, 60_000, 1000), 60_000, WINDOW)!
      .ratePerMin < -2.9,
  );
  assert.equal(
    depletionRate(drain(0, 120_000, 1000), 120_000, WINDOW)!.ratePerMin,
    0,
  );
});

Deno.test("depletionRate() stays close under whole-percent steps and ±1 % jitter", () => {
  // Least squares against the endpoint difference over the 90 s grace
  // period at 1 s polls, 200 seeded runs per rate: quantised to whole
  // percent, then ±1 % of uniform jitter, rounded again.
  for (const rate of [5, 10, 15, 20]) {
    const random = prng(rate);
    const runs = 200;
    let worst = 0;
    let squaresLsq = 0;
    let squaresEnds = 0;
    for (let run = 0; run < runs; run++) {
      const history = drain(
        rate,
        90_000,
        1000,
        (c) => Math.round(Math.floor(c) + (random() * 2 - 1)),
      );
      const lsq = depletionRate(history, 90_000, WINDOW)!.ratePerMin - rate;
      const ends = endpointRate(history) - rate;
      worst = Math.max(worst, Math.abs(lsq));
      squaresLsq += lsq * lsq;
      squaresEnds += ends * ends;
    }
    const rmsLsq = Math.sqrt(squaresLsq / runs);
    const rmsEnds = Math.sqrt(squaresEnds / runs);
    assert.ok(worst < 0.75, `least squares off by ${worst} %/min at ${rate}`);
    assert.ok(rmsLsq < 0.25, `least squares RMS ${rmsLsq} at ${rate}`);
    assert.ok(rmsEnds > 3 * rmsLsq, `endpoints RMS ${rmsEnds} at ${rate}`);
  }
});

Deno.test("depletionRate() tells 16 %/min from 14 %/min in noisy 100 ms polls", () => {
  const random = prng(7);
  const noisy = (c: number) => Math.round(c + (random() * 2 - 1));
  const fast = depletionRate(drain(16, 300_000, 100, noisy), 300_000, WINDOW)!;
  const slow = depletionRate(drain(14, 300_000, 100, noisy), 300_000, WINDOW)!;
  assert.ok(fast.ratePerMin > 15 && slow.ratePerMin < 15);
  assert.equal(fast.samples, 3001);
});

Deno.test("depletionRate() moves under 0.4 %/min for one wild sample in 300", () => {
  const steady = drain(10, 299_000, 1000);
  const wild = addSample(steady, { monoMs: 300_000, charge: 0 }, WINDOW);
  const clean = addSample(steady, { monoMs: 300_000, charge: 45 }, WINDOW);
  const delta = depletionRate(wild, 300_000, WINDOW)!.ratePerMin -
    depletionRate(clean, 300_000, WINDOW)!.ratePerMin;
  assert.ok(delta > 0 && delta < 0.4, String(delta));
});

Deno.test("depletionRate() ignores samples older than the window", () => {
  let history: History = [];
  for (let t = 0; t <= 200_000; t += 1000) {
    history = addSample(
      history,
      { monoMs: t, charge: 100 - t / 2000 },
      1_000_000,
    );
  }
  const all = depletionRate(history, 200_000, 1_000_000)!;
  const recent = depletionRate(history, 200_000, 60_000)!;
  assert.equal(all.samples, 201);
  assert.equal(recent.samples, 61);
  assert.ok(Math.abs(recent.ratePerMin - 30) < 1e-9);
});
