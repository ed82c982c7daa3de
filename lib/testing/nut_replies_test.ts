import assert from "node:assert/strict";
import { NutProtocolError } from "../nut/errors.ts";
import { parseDescReply, parseVersion } from "./nut_replies.ts";

Deno.test("parseDescReply() takes the unescaped text after three words", () => {
  assert.deepEqual(parseDescReply('DESC dev1 ups.status "UPS "status" # x"'), {
    words: ["DESC", "dev1", "ups.status"],
    text: 'UPS "status" # x',
  });
  assert.deepEqual(parseDescReply('CMDDESC dev1 load.off "Turn off"'), {
    words: ["CMDDESC", "dev1", "load.off"],
    text: "Turn off",
  });
  assert.throws(() => parseDescReply("DESC dev1"), NutProtocolError);
});

Deno.test("parseVersion() finds the version in a VER reply", () => {
  assert.equal(
    parseVersion(
      "Network UPS Tools upsd 2.8.0 - http://www.networkupstools.org/",
    ),
    "2.8.0",
  );
  assert.equal(
    parseVersion("Network UPS Tools upsd 2.8.3 - https://x/"),
    "2.8.3",
  );
  assert.equal(parseVersion("hello"), null);
});
