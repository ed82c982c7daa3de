import assert from "node:assert/strict";
import { formatEndpoint, parseUpsAddress } from "./ups_address.ts";

Deno.test("parseUpsAddress() reads every form upsc accepts", () => {
  const cases: [string, string, string, number][] = [
    ["ups", "ups", "localhost", 3493],
    ["UPS@192.168.178.11", "UPS", "192.168.178.11", 3493],
    ["apc@nas.local:3494", "apc", "nas.local", 3494],
    ["ups@[::1]:3493", "ups", "::1", 3493],
    ["ups@[fd00::2]", "ups", "fd00::2", 3493],
    ["ups@fd00::2", "ups", "fd00::2", 3493],
  ];
  for (const [text, ups, host, port] of cases) {
    assert.deepEqual(parseUpsAddress(text), {
      ok: true,
      value: { ups, host, port },
    }, text);
  }
});

Deno.test("parseUpsAddress() says what is wrong", () => {
  const cases: [string, string][] = [
    ["", 'the UPS name before "@" is empty'],
    ["@nas", 'the UPS name before "@" is empty'],
    [
      "my ups@nas",
      '"my ups" is not a valid UPS name (letters, digits, "_", "-", ".")',
    ],
    ["ups@", 'the host after "@" is empty in "ups@"'],
    ["ups@nas:0", '"0" is not a port number (1-65535)'],
    ["ups@nas:65536", '"65536" is not a port number (1-65535)'],
    ["ups@nas:", '"" is not a port number (1-65535)'],
    ["ups@[::1", 'missing "]" after the IPv6 address in "ups@[::1"'],
    ["ups@[::1]x", 'unexpected "x" after "]" in "ups@[::1]x"'],
    ["ups@[nas]:1", '"nas" is not an IPv6 address'],
    ["ups@n/a", '"n/a" is not a valid host name'],
  ];
  for (const [text, message] of cases) {
    assert.deepEqual(parseUpsAddress(text), { ok: false, message }, text);
  }
});

Deno.test("formatEndpoint() brackets IPv6 hosts", () => {
  assert.equal(formatEndpoint({ host: "nas", port: 3493 }), "nas:3493");
  assert.equal(formatEndpoint({ host: "::1", port: 3493 }), "[::1]:3493");
});
