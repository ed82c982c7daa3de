import assert from "node:assert/strict";
import { evaluatePython, isComplete, type PyValue } from "./py_expr.ts";

Deno.test("evaluatePython() reads the forms a Config dataclass holds", () => {
  const names = new Map<string, PyValue>([["MINUTE", 60]]);
  const cases: [string, PyValue][] = [
    ["15 * 60", 900],
    ["(1 + 2) * 3 - -1", 10],
    ["2 ** 3 // 3 % 2", 0],
    ["5 * MINUTE", 300],
    ["1_000", 1000],
    ["12.5", 12.5],
    ['"a" "b"', "ab"],
    ["'it\\'s'", "it's"],
    ['r"C:\\path"', "C:\\path"],
    ['"""triple"""', "triple"],
    ["True", true],
    ["None", null],
    ['Path("/var/run/x")', "/var/run/x"],
    ['pathlib.Path("/var/log")', "/var/log"],
    ['[("/mnt/a", ""), ("/mnt/b", "-l"),]', [["/mnt/a", ""], ["/mnt/b", "-l"]]],
    ["field(default=3)", 3],
    ["field(default_factory=list)", []],
    ['field(default_factory=lambda: [\n  ("/m", ""),  # comment\n])', [[
      "/m",
      "",
    ]]],
    ["(1)", 1],
    ["(1,)", [1]],
  ];
  for (const [source, expected] of cases) {
    assert.deepEqual(evaluatePython(source, names), expected, source);
  }
});

Deno.test("evaluatePython() rejects what it cannot evaluate, naming it", () => {
  const cases: [string, string][] = [
    ["UNKNOWN * 2", 'cannot evaluate the name "UNKNOWN"'],
    ["open('x')", 'cannot evaluate a call of "open"'],
    ['"a" * "b"', 'cannot apply "*" to string and string'],
    ["[1, 2", 'expected "," at the end'],
    ['"open', "unterminated string"],
    ["1 $ 2", 'unexpected character "$"'],
    ["1 2", 'unexpected "2"'],
    ["field()", "field() without default or default_factory"],
  ];
  for (const [source, message] of cases) {
    assert.throws(() => evaluatePython(source), {
      name: "SyntaxError",
      message,
    }, source);
  }
});

Deno.test("isComplete() tells whether brackets and strings are closed", () => {
  assert.equal(isComplete("field(default_factory=lambda: ["), false);
  assert.equal(isComplete('[("a)", "")]  # ( in a comment'), true);
  assert.equal(isComplete('"""open'), false);
});
