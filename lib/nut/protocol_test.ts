import assert from "node:assert/strict";
import {
  encodeRequest,
  errorCode,
  LineSplitter,
  NUT_ERROR_CODES,
  NutConnectionError,
  NutError,
  nutError,
  NutProtocolError,
  NutTimeoutError,
  type Reply,
  ReplyFramer,
  tokenizeReply,
} from "./protocol.ts";

Deno.test("encodeRequest() sends plain words bare and quotes values", () => {
  assert.equal(
    encodeRequest(["GET", "VAR", "dev1", "ups.status"]),
    "GET VAR dev1 ups.status\n",
  );
  assert.equal(
    encodeRequest(["SET", "VAR", "dev1", "ups.id"], ['Rig "q" \\ #1']),
    'SET VAR dev1 ups.id "Rig \\"q\\" \\\\ \\#1"\n',
  );
  assert.equal(encodeRequest(["USERNAME", "a b"]), 'USERNAME "a b"\n');
  assert.equal(encodeRequest(["X"], [""]), 'X ""\n');
  assert.equal(encodeRequest(["X", "a=b"]), 'X "a=b"\n');
});

Deno.test("encodeRequest() refuses characters upsd would drop, naming the place, not the content", () => {
  for (const bad of ["café", "a\tb", "line\nbreak", "\x00", "\x7f", "✓"]) {
    assert.throws(() => encodeRequest(["PASSWORD"], [`hunter2${bad}`]), {
      name: "RangeError",
      message:
        'Cannot send "PASSWORD" to upsd: its value has a character other than printable ASCII',
    });
  }
  assert.throws(() => encodeRequest(["GET", "VAR", "u", "é"]), {
    name: "RangeError",
    message:
      'Cannot send "GET" to upsd: word 4 has a character other than printable ASCII',
  });
  assert.throws(() => encodeRequest(["é"]), {
    name: "RangeError",
    message:
      "Cannot send a request to upsd: word 1 has a character other than printable ASCII",
  });
  assert.throws(() => encodeRequest(["X"], ["a", "x".repeat(513)]), {
    name: "RangeError",
    message: 'Cannot send "X" to upsd: value 2 is longer than 512 characters',
  });
  assert.throws(() => encodeRequest([]), TypeError);
});

Deno.test("tokenizeReply() reads quotes and backslash escapes", () => {
  const cases: [string, string[]][] = [
    ['VAR dev1 ups.status "OL CHRG"', ["VAR", "dev1", "ups.status", "OL CHRG"]],
    ['UPS dev1 "Doc \\"test\\" \\#1 UPS"', [
      "UPS",
      "dev1",
      'Doc "test" #1 UPS',
    ]],
    ['VAR u v "a\\\\b"', ["VAR", "u", "v", "a\\b"]],
    ['VAR u v ""', ["VAR", "u", "v", ""]],
    ["  ERR   DATA-STALE  ", ["ERR", "DATA-STALE"]],
    ['VAR u v "x"\r', ["VAR", "u", "v", "x"]],
    ['RANGE u v "1" "9"', ["RANGE", "u", "v", "1", "9"]],
    ["a\\ b c", ["a b", "c"]],
    ["", []],
  ];
  for (const [line, words] of cases) {
    assert.deepEqual(tokenizeReply(line), words, line);
  }
});

Deno.test("tokenizeReply() rejects an unterminated quote", () => {
  assert.throws(() => tokenizeReply('VAR u v "OL'), {
    name: "NutProtocolError",
    message: "Cannot read the reply of upsd: a quote is not closed",
  });
});

Deno.test("tokenizeReply() rejects a trailing backslash", () => {
  assert.throws(() => tokenizeReply('VAR u v "x" \\'), NutProtocolError);
});

Deno.test("errorCode() reads the code and ignores extra words", () => {
  assert.equal(errorCode("ERR DATA-STALE"), "DATA-STALE");
  assert.equal(errorCode("ERR UNKNOWN-UPS extra words"), "UNKNOWN-UPS");
  assert.equal(errorCode("ERR"), "");
  assert.equal(errorCode("ERRATIC"), null);
  assert.equal(errorCode("OK"), null);
});

Deno.test("nutError() maps every ERR code to a NutError", () => {
  for (const code of NUT_ERROR_CODES) {
    const error = nutError(code, { action: 'read UPS "ups"', ups: "ups" });
    assert.ok(error instanceof NutError);
    assert.equal(error.code, code);
    assert.equal(error.known, true);
    assert.match(error.message, /^Cannot read UPS "ups": [a-z]/);
    assert.doesNotMatch(error.message, /\.$|n't/);
  }
  const odd = nutError("NEW-CODE", { action: "list the UPSes" });
  assert.equal(odd.code, "NEW-CODE");
  assert.equal(odd.known, false);
  assert.equal(
    odd.message,
    'Cannot list the UPSes: the server answered "ERR NEW-CODE"',
  );
});

Deno.test("nutError() words the messages a user sees", () => {
  const cases: [string, Parameters<typeof nutError>[1], string][] = [
    [
      "UNKNOWN-UPS",
      {
        action: 'read UPS "ups"',
        ups: "ups",
        endpoint: "nas:3493",
        known: ["apc"],
      },
      'Cannot read UPS "ups" at "nas:3493": the server knows no such UPS (known: "apc")',
    ],
    [
      "DATA-STALE",
      { action: 'read UPS "ups"', ups: "ups", endpoint: "nas:3493" },
      'Cannot read UPS "ups": data is stale, the driver stopped updating',
    ],
    [
      "ACCESS-DENIED",
      { action: 'log in as "monuser"', ups: "ups" },
      'Cannot log in as "monuser": access denied',
    ],
    [
      "UNKNOWN-UPS",
      { action: 'log in as "mon"', ups: "x", endpoint: "h:1", known: [] },
      'Cannot log in as "mon" at "h:1": the server knows no UPS "x" (it serves none)',
    ],
    [
      "DRIVER-NOT-CONNECTED",
      { action: 'read UPS "ups"' },
      'Cannot read UPS "ups": the driver is not connected to the server',
    ],
  ];
  for (const [code, context, message] of cases) {
    assert.equal(nutError(code, context).message, message);
  }
});

Deno.test("NutTimeoutError and NutProtocolError are connection errors", () => {
  assert.ok(new NutTimeoutError("x") instanceof NutConnectionError);
  const error = new NutProtocolError("x", "y".repeat(200));
  assert.ok(error instanceof NutConnectionError);
  assert.equal(error.name, "NutProtocolError");
  assert.equal(error.line.length, 83);
  assert.ok(
    !(nutError("DATA-STALE", { action: "a" }) instanceof NutConnectionError),
  );
});

Deno.test("LineSplitter.push() joins lines split anywhere", () => {
  const splitter = new LineSplitter();
  assert.deepEqual(splitter.push('VAR a b "1"\nEND LI'), ['VAR a b "1"']);
  assert.equal(splitter.partial, true);
  assert.deepEqual(splitter.push("ST VAR a\r\n"), ["END LIST VAR a"]);
  assert.equal(splitter.partial, false);
});

Deno.test("LineSplitter.push() rejects an overlong line", () => {
  const splitter = new LineSplitter(10);
  assert.throws(() => splitter.push("x".repeat(11)), {
    name: "NutProtocolError",
    message:
      "Cannot read the reply of upsd: a line is longer than 10 characters",
  });
  assert.throws(
    () => new LineSplitter(10).push("x".repeat(11) + "\n"),
    NutProtocolError,
  );
});

function feed(framer: ReplyFramer, lines: string[]): (Reply | null)[] {
  return lines.map((line) => framer.push(line));
}

Deno.test("ReplyFramer.push() frames a LIST and then a single line", () => {
  const framer = new ReplyFramer();
  framer.expect({ kind: "list", words: ["VAR", "dev1"] });
  framer.expect({ kind: "line" });
  const replies = feed(framer, [
    "BEGIN LIST VAR dev1",
    'VAR dev1 battery.charge "100"',
    'VAR dev1 ups.status "OL CHRG"',
    "END LIST VAR dev1",
    "1.3",
  ]);
  assert.deepEqual(replies, [null, null, null, {
    kind: "list",
    items: [
      ["VAR", "dev1", "battery.charge", "100"],
      ["VAR", "dev1", "ups.status", "OL CHRG"],
    ],
  }, { kind: "line", line: "1.3" }]);
  assert.equal(framer.pending, 0);
});

Deno.test("ReplyFramer.push() takes an empty list and an ERR in place of a list", () => {
  const framer = new ReplyFramer();
  framer.expect({ kind: "list", words: ["CMD", "u"] });
  framer.expect({ kind: "list", words: ["VAR", "u"] });
  assert.deepEqual(
    feed(framer, ["BEGIN LIST CMD u", "END LIST CMD u", "ERR DATA-STALE"]),
    [
      null,
      { kind: "list", items: [] },
      { kind: "line", line: "ERR DATA-STALE" },
    ],
  );
});

Deno.test("ReplyFramer.push() rejects framing errors", () => {
  const cases: [string, string[]][] = [
    ["a line nobody asked for", []],
    ["a wrong BEGIN", ["BEGIN LIST VAR other"]],
    ["garbage before BEGIN", ["hello"]],
    ["a foreign item", ["BEGIN LIST VAR u", 'RW u x "1"']],
    ["an END of another list", ["BEGIN LIST VAR u", "END LIST VAR other"]],
    ["a short END", ["BEGIN LIST VAR u", "END LIST"]],
    ["a bare item word", ["BEGIN LIST VAR u", "VAR"]],
  ];
  for (const [what, lines] of cases) {
    const framer = new ReplyFramer();
    if (lines.length > 0) framer.expect({ kind: "list", words: ["VAR", "u"] });
    assert.throws(
      () => feed(framer, [...lines, "END LIST VAR u x"]),
      NutProtocolError,
      what,
    );
  }
});

Deno.test("ReplyFramer.push() rejects an item of another UPS or list", () => {
  const cases: [string[], string][] = [
    [["VAR", "u"], 'VAR other ups.status "OB"'],
    [["VAR", "u"], "VAR u"],
    [["ENUM", "u", "input.transfer.low"], 'ENUM u input.transfer.high "1"'],
  ];
  for (const [words, item] of cases) {
    const framer = new ReplyFramer();
    framer.expect({ kind: "list", words });
    framer.push(`BEGIN LIST ${words.join(" ")}`);
    assert.throws(() => framer.push(item), {
      name: "NutProtocolError",
      message:
        `Cannot read the reply of upsd: unexpected line in the reply to "LIST ${
          words.join(" ")
        }"`,
    }, item);
  }
  const framer = new ReplyFramer();
  framer.expect({ kind: "list", words: ["UPS"] });
  assert.deepEqual(
    feed(framer, ["BEGIN LIST UPS", 'UPS dev1 "A UPS"', "END LIST UPS"]),
    [null, null, { kind: "list", items: [["UPS", "dev1", "A UPS"]] }],
  );
});

Deno.test("ReplyFramer.push() bounds a list that never ends", () => {
  const framer = new ReplyFramer(3);
  framer.expect({ kind: "list", words: ["VAR", "u"] });
  feed(framer, [
    "BEGIN LIST VAR u",
    'VAR u a "1"',
    'VAR u b "1"',
    'VAR u c "1"',
  ]);
  assert.throws(() => framer.push('VAR u d "1"'), {
    name: "NutProtocolError",
    message:
      'Cannot read the reply of upsd: the list "LIST VAR u" has more than 3 lines',
  });
});
