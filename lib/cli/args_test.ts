import assert from "node:assert/strict";
import { parseCommandArgs } from "./args.ts";
import { UsageError } from "./context.ts";

const OPTIONS = {
  config: { type: "string" },
  json: { type: "boolean" },
} as const;

Deno.test("parseCommandArgs() reads long options, =values, short letters, positionals and --", () => {
  assert.deepEqual(
    parseCommandArgs(
      ["--config", "a.yaml", "--json", "-h", "--log-format=json", "x"],
      OPTIONS,
      1,
    ),
    {
      values: {
        config: "a.yaml",
        json: true,
        help: true,
        "log-format": "json",
      },
      positionals: ["x"],
    },
  );
  assert.deepEqual(
    parseCommandArgs(["--config=--odd", "--", "--json"], OPTIONS, 1),
    { values: { config: "--odd" }, positionals: ["--json"] },
  );
  assert.deepEqual(parseCommandArgs(["-"], OPTIONS, 1).positionals, ["-"]);
});

Deno.test("parseCommandArgs() names what is wrong", () => {
  const cases: [string[], string][] = [
    [["--bogus"], 'Unknown option "--bogus"'],
    [["-x"], 'Unknown option "-x"'],
    [["-undefined", "json"], 'Unknown option "-undefined"'],
    [["--constructor"], 'Unknown option "--constructor"'],
    [["--config"], 'Option "--config" needs a value'],
    [["--config", "--json"], 'Option "--config" needs a value'],
    [["--json=yes"], 'Option "--json" takes no value'],
    [["a", "b"], 'Unexpected argument "b"'],
    [
      ["--log-format", "xml"],
      'Option "--log-format" must be "text" or "json", not "xml"',
    ],
  ];
  for (const [args, message] of cases) {
    assert.throws(() => parseCommandArgs(args, OPTIONS, 1), (error) => {
      assert.ok(error instanceof UsageError);
      assert.equal(error.message, message, args.join(" "));
      return true;
    });
  }
});
