import assert from "node:assert/strict";
import {
  bodyErrorText,
  charLength,
  cutBytes,
  cutChars,
  fieldLines,
  utf8Length,
} from "./text.ts";

Deno.test("cutChars() counts code points and marks a cut", () => {
  assert.equal(cutChars("ab🚨🚨", 4), "ab🚨🚨");
  assert.equal(cutChars("ab🚨🚨", 3), "ab…");
  assert.equal(charLength("ab🚨"), 3);
});

Deno.test("utf8Length() and cutBytes() count UTF-8 bytes and never split a character", () => {
  assert.equal(utf8Length("aé€🚨"), 1 + 2 + 3 + 4);
  assert.equal(cutBytes("aé€🚨", 10), "aé€🚨");
  // The marker takes 3 bytes: 9 keep "aé€" (6), 8 only "aé" (3).
  assert.equal(cutBytes("aé€🚨", 9), "aé€…");
  assert.equal(cutBytes("aé€🚨", 8), "aé…");
  assert.ok(utf8Length(cutBytes("é".repeat(5000), 4096)) <= 4096);
});

Deno.test("fieldLines() writes name: value, without empty names or values", () => {
  assert.deepEqual(
    fieldLines({
      event: "e",
      severity: "info",
      title: "t",
      message: "m",
      ups: "u",
      fields: { charge: "97 %", "": "x", empty: "", runtime: 600 },
      timeMs: 0,
    }),
    ["charge: 97 %", "runtime: 600"],
  );
});

Deno.test("bodyErrorText() reads a JSON member or a plain line, not an HTML page", () => {
  assert.equal(
    bodyErrorText('{"error":"unauthorized"}', ["error"]),
    "unauthorized",
  );
  assert.equal(
    bodyErrorText('{"message":"Invalid webhook.","error":"x"}', [
      "message",
      "error",
    ]),
    "Invalid webhook.",
  );
  assert.equal(
    bodyErrorText("invalid_payload\n", ["message"]),
    "invalid_payload",
  );
  assert.equal(
    bodyErrorText("<html><body>502</body></html>", ["message"]),
    undefined,
  );
  assert.equal(bodyErrorText('{"code":1}', ["error"]), undefined);
  assert.equal(bodyErrorText("", ["error"]), undefined);
});
