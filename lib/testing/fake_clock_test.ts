import assert from "node:assert/strict";
import { FakeClock } from "./fake_clock.ts";

Deno.test("FakeClock.advance() wakes sleeps in order of due time, each at its time", async () => {
  const clock = new FakeClock({ nowMs: 1000, monotonicMs: 50 });
  const woken: string[] = [];
  const record = (name: string) => () =>
    woken.push(`${name}@${clock.monotonic()}/${clock.now()}`);
  clock.sleep(300).then(record("c"));
  clock.sleep(100).then(record("a"));
  clock.sleep(200).then(record("b1"));
  clock.sleep(200).then(record("b2"));
  assert.deepEqual(clock.pending, [100, 200, 200, 300]);
  await clock.advance(250);
  assert.deepEqual(woken, ["a@150/1100", "b1@250/1200", "b2@250/1200"]);
  assert.equal(clock.monotonic(), 300);
  assert.deepEqual(clock.pending, [50]);
});

Deno.test("FakeClock.advance() also wakes a sleep that woken code starts within the span", async () => {
  const clock = new FakeClock();
  const ticks: number[] = [];
  const loop = (async () => {
    for (let i = 0; i < 3; i++) {
      await clock.sleep(100);
      ticks.push(clock.monotonic());
    }
  })();
  await clock.advance(1000);
  await loop;
  assert.deepEqual(ticks, [100, 200, 300]);
  assert.equal(clock.monotonic(), 1000);
});

Deno.test("FakeClock.sleep() rejects with the reason when its signal aborts", async () => {
  const clock = new FakeClock();
  const controller = new AbortController();
  const sleeping = clock.sleep(100, controller.signal);
  controller.abort(new Error("stopped"));
  await assert.rejects(sleeping, { message: "stopped" });
  assert.deepEqual(clock.pending, [], "an aborted sleep is no longer pending");
  await assert.rejects(clock.sleep(100, controller.signal), {
    message: "stopped",
  });
  await clock.sleep(0); // no advance needed
});

Deno.test("FakeClock.whenSleeping() and whenPending() wait for the code under test to sleep", async () => {
  const clock = new FakeClock();
  let matched = false;
  const waiting = clock.whenSleeping(500).then(() => matched = true);
  clock.sleep(100);
  await Promise.resolve();
  assert.equal(matched, false);
  clock.sleep(500);
  await waiting;
  await clock.whenSleeping();
  let two = false;
  const pendingTwo = clock.whenPending(3).then(() => two = true);
  await Promise.resolve();
  assert.equal(two, false);
  clock.sleep(1000);
  await pendingTwo;
  assert.equal(await clock.tick(), true);
  assert.equal(clock.monotonic(), 100);
  assert.equal(await clock.tick(), true);
  assert.equal(clock.monotonic(), 500);
  assert.equal(await clock.tick(), true);
  assert.equal(await clock.tick(), false);
  await assert.rejects(clock.advance(-1), RangeError);
});

Deno.test("FakeClock.drive() moves to each sleep until the work settles", async () => {
  const clock = new FakeClock();
  const work = (async () => {
    await clock.sleep(250);
    await Promise.resolve();
    await clock.sleep(750);
    return clock.monotonic();
  })();
  assert.equal(await clock.drive(work), 1000);
  await assert.rejects(
    clock.drive(clock.sleep(10).then(() => Promise.reject(new Error("x")))),
    { message: "x" },
  );
});
