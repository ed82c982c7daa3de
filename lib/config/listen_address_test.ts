import assert from "node:assert/strict";
import { formatListenAddress, parseListenAddress } from "./listen_address.ts";

Deno.test("parseListenAddress() accepts a literal IP address and a port", () => {
  const cases: [string, string, number][] = [
    ["127.0.0.1:9171", "127.0.0.1", 9171],
    ["0.0.0.0:80", "0.0.0.0", 80],
    ["192.168.178.2:0", "192.168.178.2", 0],
    ["[::1]:9171", "::1", 9171],
    ["[::]:9171", "::", 9171],
    ["[fe80::1:2]:65535", "fe80::1:2", 65535],
    ["[::ffff:10.0.0.1]:9171", "::ffff:10.0.0.1", 9171],
    ["[1:2:3:4:5:6:7:8]:1", "1:2:3:4:5:6:7:8", 1],
  ];
  for (const [text, hostname, port] of cases) {
    assert.deepEqual(parseListenAddress(text), {
      ok: true,
      value: { hostname, port },
    }, text);
    assert.equal(
      formatListenAddress({ hostname, port }),
      text,
      "formats back",
    );
  }
});

Deno.test("parseListenAddress() refuses host names and malformed addresses with a reason", () => {
  const cases: [string, string][] = [
    [
      "localhost:9171",
      '"localhost" is not a literal IP address: give one, such as "127.0.0.1"',
    ],
    [
      "nas.lan:9171",
      '"nas.lan" is not a literal IP address: give one, such as "127.0.0.1"',
    ],
    [
      "256.0.0.1:9171",
      '"256.0.0.1" is not a literal IP address: give one, such as "127.0.0.1"',
    ],
    [
      "127.0.0.01:9171",
      '"127.0.0.01" is not a literal IP address: give one, such as "127.0.0.1"',
    ],
    [
      "9171",
      'expected "address:port" such as "127.0.0.1:9171", got "9171"',
    ],
    [":9171", '"" is not a literal IP address: give one, such as "127.0.0.1"'],
    ["127.0.0.1:", '"" is not a port number (0-65535)'],
    ["127.0.0.1:65536", '"65536" is not a port number (0-65535)'],
    ["127.0.0.1:http", '"http" is not a port number (0-65535)'],
    ["::1:9171", 'put an IPv6 address in brackets, as in "[::1]:9171"'],
    ["[::1]", 'expected "[IPv6]:port" such as "[::1]:9171", got "[::1]"'],
    [
      "[::1:9171",
      'expected "[IPv6]:port" such as "[::1]:9171", got "[::1:9171"',
    ],
    ["[1::2::3]:9171", '"1::2::3" is not an IPv6 address'],
    ["[1:2:3:4:5:6:7]:9171", '"1:2:3:4:5:6:7" is not an IPv6 address'],
    ["[nas]:9171", '"nas" is not an IPv6 address'],
  ];
  for (const [text, message] of cases) {
    assert.deepEqual(parseListenAddress(text), { ok: false, message }, text);
  }
});
