import assert from "node:assert/strict";
import { z } from "./mod.ts";

/** The issues of a refused value, as code, path and message. */
function issuesOf(schema: z.AnySchema, value: unknown) {
  const result = schema.safeParse(value);
  assert.ok(!result.success, `refused: ${JSON.stringify(value)}`);
  return result.error.issues.map(({ code, path, message }) => ({
    code,
    path: path.join("."),
    message,
  }));
}

Deno.test("a type issue skips the checks after it; a range issue does not", () => {
  const count = z.number().int().min(1).max(5);
  assert.deepEqual(issuesOf(count, 1.5).map((i) => i.message), [
    "Invalid input: expected int, received number",
  ]);
  assert.deepEqual(issuesOf(count, "3").map((i) => i.code), ["invalid_type"]);
  const both = z.number().min(10).refine((n) => n % 2 === 0, {
    message: "even",
  });
  assert.deepEqual(issuesOf(both, 3).map((i) => i.message), [
    "Too small: expected number to be >=10",
    "even",
  ]);
});

Deno.test("a length check runs after its items failed; other checks do not", () => {
  const list = z.array(z.string()).min(3).refine(() => false, {
    message: "never",
  });
  assert.deepEqual(issuesOf(list, [1]), [
    {
      code: "invalid_type",
      path: "0",
      message: "Invalid input: expected string, received number",
    },
    {
      code: "too_small",
      path: "",
      message: "Too small: expected array to have >=3 items",
    },
  ]);
});

Deno.test("a strict object names its fields' issues in order, then unknown keys", () => {
  const shape = z.strictObject({
    name: z.string(),
    port: z.number().default(22),
    note: z.string().optional(),
  });
  assert.deepEqual(shape.parse({ name: "a" }), { name: "a", port: 22 });
  assert.deepEqual(issuesOf(shape, { port: "x", nmae: 1, b: 2 }), [
    {
      code: "invalid_type",
      path: "name",
      message: "Invalid input: expected string, received undefined",
    },
    {
      code: "invalid_type",
      path: "port",
      message: "Invalid input: expected number, received string",
    },
    {
      code: "unrecognized_keys",
      path: "",
      message: 'Unrecognized keys: "nmae", "b"',
    },
  ]);
  // A loose object drops what it does not know.
  assert.deepEqual(z.object({ a: z.number() }).parse({ a: 1, b: 2 }), {
    a: 1,
  });
});

Deno.test("a default is an output copied per parse; a prefault is an input parsed", () => {
  const list = z.array(z.string()).default([]);
  const first = list.parse(undefined);
  first.push("changed");
  assert.deepEqual(list.parse(undefined), []);
  const ms = z.union([z.number(), z.string()]).transform((value) =>
    typeof value === "number" ? value * 1000 : Number(value.slice(0, -1)) * 1000
  ).prefault("5s");
  assert.equal(ms.parse(undefined), 5000);
  assert.equal(ms.parse(2), 2000);
});

Deno.test("a union takes the first clean option, or the one that only failed checks", () => {
  const either = z.union([z.number().min(10), z.string()]);
  assert.equal(either.parse("x"), "x");
  assert.deepEqual(issuesOf(either, 3), [{
    code: "too_small",
    path: "",
    message: "Too small: expected number to be >=10",
  }]);
  const refused = either.safeParse(true);
  assert.ok(!refused.success);
  const [issue] = refused.error.issues;
  assert.equal(issue?.code, "invalid_union");
  assert.equal(issue?.code === "invalid_union" && issue.errors.length, 2);
  const worded = z.union([z.number(), z.string()], {
    error: (raw) => `no duration: ${typeof raw.input}`,
  });
  assert.deepEqual(issuesOf(worded, true).map((i) => i.message), [
    "no duration: boolean",
  ]);
});

Deno.test("a discriminated union picks by its key and names the key when none matches", () => {
  const kinds = z.discriminatedUnion("kind", [
    z.strictObject({ kind: z.literal("a"), n: z.number() }),
    z.strictObject({ kind: z.literal("b") }),
  ], { error: 'expected kind "a" or "b"' });
  assert.deepEqual(kinds.parse({ kind: "b" }), { kind: "b" });
  assert.deepEqual(issuesOf(kinds, { kind: "a" }).map((i) => i.path), ["n"]);
  assert.deepEqual(issuesOf(kinds, { kind: "c" }), [{
    code: "invalid_union",
    path: "kind",
    message: 'expected kind "a" or "b"',
  }]);
});

Deno.test("a record checks keys and values; a refused key is an invalid_key", () => {
  const vars = z.record(
    z.string().regex(/^[a-z.]+$/, { message: "lower-case" }),
    z.number(),
  );
  assert.deepEqual(vars.parse({ "a.b": 1 }), { "a.b": 1 });
  const refused = vars.safeParse({ "A": 1, "b": "x" });
  assert.ok(!refused.success);
  const [key, value] = refused.error.issues;
  assert.equal(key?.code, "invalid_key");
  assert.equal(
    key?.code === "invalid_key" && key.issues[0]?.message,
    "lower-case",
  );
  assert.deepEqual(value?.path, ["b"]);
});

Deno.test("a reported issue never carries the value (it may be a secret)", () => {
  const password = z.string().superRefine((value, ctx) => {
    if (value.length < 8) ctx.addIssue({ code: "custom", message: "short" });
  });
  const refused = password.safeParse("hunter2");
  assert.ok(!refused.success);
  assert.ok(!JSON.stringify(refused.error.issues).includes("hunter2"));
  assert.ok(!refused.error.message.includes("hunter2"));
  assert.throws(() => password.parse("hunter2"), z.SchemaError, "short");
});

Deno.test("a transform runs on a clean value only; its issues stop what follows", () => {
  let calls = 0;
  const doubled = z.number().min(0).transform((n, ctx) => {
    calls++;
    if (n > 100) {
      ctx.issues.push({ code: "custom", message: "too many", input: n });
      return z.NEVER;
    }
    return n * 2;
  }).refine(() => false, { message: "after" });
  assert.deepEqual(issuesOf(doubled, -1).map((i) => i.message), [
    "Too small: expected number to be >=0",
  ]);
  assert.equal(calls, 0);
  assert.deepEqual(issuesOf(doubled, 101).map((i) => i.message), [
    "too many",
  ]);
});

Deno.test("toJSONSchema() describes the input: defaults, optional keys, checks, help", () => {
  const schema = z.strictObject({
    name: z.string().min(1).describe("The name."),
    port: z.number().int().min(1).default(22),
    tags: z.array(z.enum(["a", "b"])).max(2).optional(),
    file: z.string().nullable().default(null),
    wait: z.union([z.number(), z.string()]),
  });
  assert.deepEqual(z.toJSONSchema(schema), {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    type: "object",
    properties: {
      name: { description: "The name.", type: "string", minLength: 1 },
      port: { default: 22, type: "integer", minimum: 1 },
      tags: {
        type: "array",
        items: { type: "string", enum: ["a", "b"] },
        maxItems: 2,
      },
      file: { default: null, type: ["string", "null"] },
      wait: { type: ["number", "string"] },
    },
    required: ["name", "wait"],
    additionalProperties: false,
  });
});

Deno.test("keys named like Object.prototype members are unknown keys, and a record drops __proto__", () => {
  const input = JSON.parse('{"a": 1, "constructor": 2, "__proto__": {"x": 1}}');
  assert.deepEqual(issuesOf(z.strictObject({ a: z.number() }), input), [{
    code: "unrecognized_keys",
    path: "",
    message: 'Unrecognized keys: "constructor", "__proto__"',
  }]);
  // A missing field is missing, not Object.prototype's member of that name.
  assert.deepEqual(
    issuesOf(z.strictObject({ toString: z.string() }), {}).map((i) => i.path),
    ["toString"],
  );
  const headers = z.record(z.string(), z.string()).parse(
    JSON.parse('{"a": "1", "__proto__": "2"}'),
  );
  assert.deepEqual(Object.keys(headers), ["a"]);
  assert.equal(Object.getPrototypeOf(headers), Object.prototype);
});

Deno.test("200 000 issues are reported, not a stack overflow", () => {
  const result = z.strictObject({ list: z.array(z.string()) }).safeParse({
    list: Array(200_000).fill(1),
  });
  assert.ok(!result.success);
  assert.equal(result.error.issues.length, 200_000);
});

Deno.test("a field with a default stays optional through a transform, in types and JSON Schema", () => {
  const hosts = z.strictObject({
    host: z.string(),
    files: z.union([z.string(), z.array(z.string())]).default(["/a"])
      .transform((value) => typeof value === "string" ? [value] : value),
  });
  const written: z.input<typeof hosts> = { host: "nas" };
  assert.deepEqual(hosts.parse(written), { host: "nas", files: ["/a"] });
  const json = z.toJSONSchema(hosts) as { required: string[] };
  assert.deepEqual(json.required, ["host"]);
});

Deno.test("an issue a transform adds stops the checks after it", () => {
  const checked = z.number().transform((n, ctx) => {
    ctx.addIssue({ code: "custom", message: "too big" });
    return n;
  }).refine(() => false, { message: "after" });
  assert.deepEqual(issuesOf(checked, 6).map((i) => i.message), ["too big"]);
});

Deno.test("a length check names what it measured; JSON Schema defaults are copies", () => {
  assert.deepEqual(issuesOf(z.string().min(1), []).map((i) => i.message), [
    "Invalid input: expected string, received array",
    "Too small: expected array to have >=1 items",
  ]);
  const list = z.array(z.string()).default(["a"]);
  (z.toJSONSchema(list)["default"] as string[]).push("changed");
  assert.deepEqual(list.parse(undefined), ["a"]);
  assert.deepEqual(z.toJSONSchema(z.literal(null)), {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    type: "null",
    const: null,
  });
});
