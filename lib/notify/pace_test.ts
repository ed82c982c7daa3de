import assert from "node:assert/strict";
import {
  FRESH_PACE,
  MAX_HINT_WAIT_MS,
  type Pace,
  paceDelayMs,
  paceRecord,
  type RateLimit,
  rateLimitHint,
} from "./pace.ts";

const FIVE_PER_2S: RateLimit[] = [{ requests: 5, perMs: 2000 }];

Deno.test("paceDelayMs() waits until the oldest request of a full window leaves it", () => {
  const cases: [string, Pace, readonly RateLimit[], number, number][] = [
    ["no limits, nothing blocked", FRESH_PACE, [], 10, 0],
    [
      "no limits, the receiver's block",
      {
        doneMs: [],
        blockedUntilMs: 500,
      },
      [],
      100,
      400,
    ],
    [
      "window not full",
      { doneMs: [0, 10, 20, 30], blockedUntilMs: 0 },
      FIVE_PER_2S,
      40,
      0,
    ],
    [
      "window full",
      {
        doneMs: [0, 10, 20, 30, 40],
        blockedUntilMs: 0,
      },
      FIVE_PER_2S,
      50,
      1950,
    ],
    [
      "window full, oldest gone",
      {
        doneMs: [0, 10, 20, 30, 40],
        blockedUntilMs: 0,
      },
      FIVE_PER_2S,
      2000,
      0,
    ],
    [
      "the later of window and block",
      {
        doneMs: [0, 10, 20, 30, 40],
        blockedUntilMs: 3000,
      },
      FIVE_PER_2S,
      50,
      2950,
    ],
    [
      "the stricter of two limits",
      {
        doneMs: [0, 10, 20, 30, 2500],
        blockedUntilMs: 0,
      },
      [...FIVE_PER_2S, { requests: 2, perMs: 3000 }],
      2600,
      430,
    ],
  ];
  for (const [name, pace, limits, nowMs, expected] of cases) {
    assert.equal(paceDelayMs(pace, { limits, nowMs }), expected, name);
  }
});

Deno.test("paceRecord() keeps as many ends as the largest limit counts", () => {
  let pace = FRESH_PACE;
  for (let t = 0; t < 8; t++) {
    pace = paceRecord(pace, { limits: FIVE_PER_2S, nowMs: t * 100 });
  }
  assert.deepEqual(pace, {
    doneMs: [300, 400, 500, 600, 700],
    blockedUntilMs: 0,
  });
  assert.deepEqual(
    paceRecord(FRESH_PACE, { limits: [], nowMs: 5 }).doneMs,
    [],
    "a kind without limits keeps nothing",
  );
});

Deno.test("paceRecord() blocks until the reset when the receiver says no request is left, within a bound", () => {
  const cases: [
    string,
    { remaining: number; resetAfterMs: number },
    number | undefined,
    number,
  ][] = [
    ["requests left", { remaining: 2, resetAfterMs: 1500 }, undefined, 0],
    ["none left", { remaining: 0, resetAfterMs: 1500 }, undefined, 2500],
    [
      "a bogus reset",
      {
        remaining: 0,
        resetAfterMs: 3_600_000,
      },
      undefined,
      1000 + MAX_HINT_WAIT_MS,
    ],
    ["the crisis bound", { remaining: 0, resetAfterMs: 30_000 }, 2000, 3000],
    ["a negative reset", { remaining: 0, resetAfterMs: -5 }, undefined, 1000],
  ];
  for (const [name, hint, maxHintMs, blockedUntilMs] of cases) {
    const pace = paceRecord(FRESH_PACE, {
      limits: FIVE_PER_2S,
      nowMs: 1000,
      hint,
      ...(maxHintMs === undefined ? {} : { maxHintMs }),
    });
    assert.equal(pace.blockedUntilMs, blockedUntilMs, name);
  }
});

Deno.test("rateLimitHint() reads Discord's X-RateLimit-Remaining and X-RateLimit-Reset-After", () => {
  const cases: [Record<string, string>, unknown][] = [
    [{ "x-ratelimit-remaining": "0", "x-ratelimit-reset-after": "1.234" }, {
      remaining: 0,
      resetAfterMs: 1234,
    }],
    [{ "x-ratelimit-remaining": "4", "x-ratelimit-reset-after": "2" }, {
      remaining: 4,
      resetAfterMs: 2000,
    }],
    [{ "x-ratelimit-remaining": "0" }, undefined],
    [{ "x-ratelimit-reset-after": "1" }, undefined],
    [
      { "x-ratelimit-remaining": "", "x-ratelimit-reset-after": "1" },
      undefined,
    ],
    [
      { "x-ratelimit-remaining": "x", "x-ratelimit-reset-after": "1" },
      undefined,
    ],
    [
      { "x-ratelimit-remaining": "0", "x-ratelimit-reset-after": "-1" },
      undefined,
    ],
    [
      { "x-ratelimit-remaining": "0", "x-ratelimit-reset-after": "Infinity" },
      undefined,
    ],
  ];
  for (const [headers, expected] of cases) {
    assert.deepEqual(
      rateLimitHint((name) => headers[name] ?? null),
      expected,
      JSON.stringify(headers),
    );
  }
});
