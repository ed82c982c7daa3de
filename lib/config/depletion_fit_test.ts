import assert from "node:assert/strict";
import { addSample, depletionRate, type History } from "../power/history.ts";
import { parseConfig } from "./load.ts";
import { samplesInWindow } from "./depletion_fit.ts";

Deno.test("samplesInWindow() counts the samples the history really keeps, both ends included", () => {
  const cases = [
    [300_000, 10_000, 31],
    [300_000, 11_000, 28],
    [300_000, 1000, 301],
    [90_000, 7000, 13],
  ] as const;
  for (const [windowMs, intervalMs, expected] of cases) {
    let history: History = [];
    let nowMs = 0;
    // Polls for three windows: the history is full and trimmed.
    for (let t = 0; t <= 3 * windowMs; t += intervalMs) {
      nowMs = t;
      history = addSample(
        history,
        { monoMs: t, charge: 50 - t / 60_000 },
        windowMs,
      );
    }
    assert.equal(
      depletionRate(history, nowMs, windowMs)?.samples,
      expected,
      `${windowMs} / ${intervalMs}`,
    );
    assert.equal(samplesInWindow(windowMs, intervalMs), expected);
  }
});

Deno.test("configSchema accepts min_samples up to what the window holds and refuses one more at its key", () => {
  const config = (interval: string, minSamples: number) =>
    `ups: {name: ups, check_interval: ${interval}}\ntriggers: {depletion: {window: 5m, min_samples: ${minSamples}}}\n`;
  assert.equal(
    parseConfig(config("10s", 31), "c.yaml").triggers.depletion.min_samples,
    31,
  );
  assert.equal(
    parseConfig(config("1s", 30), "c.yaml").triggers.depletion.min_samples,
    30,
  );
  assert.throws(() => parseConfig(config("10s", 32), "c.yaml"), {
    name: "ConfigError",
    message:
      'c.yaml:2:49: triggers.depletion.min_samples: 32 samples cannot fit in the window "5m" at one poll every "10s" (at most 31: 30 whole intervals fit in it, plus the first sample), so the depletion trigger could never fire; set min_samples to 31 or less, lengthen triggers.depletion.window to at least "5m10s" or shorten ups.check_interval to at most "9s"',
  });
  assert.throws(
    () => parseConfig("ups: {name: ups, check_interval: 11s}\n", "d.yaml"),
    {
      name: "ConfigError",
      message:
        'd.yaml: triggers.depletion.min_samples: 30 samples cannot fit in the window "5m" at one poll every "11s" (at most 28: 27 whole intervals fit in it, plus the first sample), so the depletion trigger could never fire; set min_samples to 28 or less, lengthen triggers.depletion.window to at least "5m19s" or shorten ups.check_interval to at most "10s"',
    },
  );
});
