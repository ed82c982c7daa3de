import assert from "node:assert/strict";
import { isMap, isSeq, parseDocument } from "./yaml.ts";
import type { Node } from "./yaml.ts";
import { parseConfig } from "./load.ts";
import {
  configJsonSchema,
  configSchema,
  effectiveConfig,
  knownKeysAt,
  SECRET_MASK,
  secretsOf,
} from "./schema.ts";

const FULL = new URL("../../fixtures/configs/full.yaml", import.meta.url);

/** Every key path of the schema; array items appear as `[]`. */
function schemaPaths(prefix: string[] = []): string[] {
  const paths: string[] = [];
  for (const key of knownKeysAt(prefix.filter((p) => p !== "[]"))) {
    const path = [...prefix, key];
    paths.push(path.join("."));
    const children = knownKeysAt(
      [...path.filter((p) => p !== "[]"), 0].slice(0, -1),
    );
    if (children.length > 0) paths.push(...schemaPaths(path));
    else {
      const items = knownKeysAt([...path.filter((p) => p !== "[]"), 0]);
      if (items.length > 0) paths.push(...schemaPaths([...path, "[]"]));
    }
  }
  return paths;
}

/** Every key path written in a YAML file; array items appear as `[]`. */
function yamlPaths(
  node: Node | null | undefined,
  prefix: string[] = [],
): string[] {
  if (isMap(node)) {
    return node.items.flatMap((pair) => {
      const path = [...prefix, String((pair.key as Node).toJSON())];
      return [path.join("."), ...yamlPaths(pair.value as Node, path)];
    });
  }
  if (isSeq(node)) {
    return node.items.flatMap((item) =>
      yamlPaths(item as Node, [...prefix, "[]"])
    );
  }
  return [];
}

Deno.test("full.yaml is valid and names every key of the schema", async () => {
  const text = await Deno.readTextFile(FULL);
  parseConfig(text, "full.yaml");
  const written = new Set(yamlPaths(parseDocument(text).contents));
  // Headers are a free-form mapping: their names are the user's. A UPS's
  // trigger overrides take the keys of the top-level triggers.
  const missing = schemaPaths().filter((path) =>
    !written.has(path) && !path.includes(".headers.") &&
    !path.startsWith("ups.triggers.")
  );
  assert.deepEqual(missing, []);
  assert.ok(written.has("shutdown.remotes.[].host_key_policy"));
});

/** A JSON Schema node, as far as the walk below reads it. */
interface JsonNode {
  type?: string | string[];
  anyOf?: JsonNode[];
  properties?: Record<string, JsonNode>;
  items?: JsonNode;
}

/** Key paths of every setting that takes a number (durations included). */
function numericPaths(node: JsonNode, prefix: (string | number)[] = []) {
  const paths: (string | number)[][] = [];
  const numeric = (n: JsonNode) =>
    [n.type ?? []].flat().some((t) => t === "number" || t === "integer");
  if (numeric(node) || node.anyOf?.some(numeric)) paths.push(prefix);
  for (const [key, child] of Object.entries(node.properties ?? {})) {
    paths.push(...numericPaths(child, [...prefix, key]));
  }
  if (node.items) paths.push(...numericPaths(node.items, [...prefix, 0]));
  return paths;
}

Deno.test("parseConfig() refuses Infinity and NaN in every numeric field, saying so", () => {
  const paths = numericPaths(configJsonSchema() as JsonNode);
  assert.ok(paths.length >= 20, `only ${paths.length} numeric fields found`);
  for (
    const [path, written, shown] of [
      ...paths.map((p) => [p, ".inf", "Infinity"] as const),
      [["triggers", "low_battery"], "-.inf", "-Infinity"] as const,
      [["ups", "connect_timeout"], ".nan", "NaN"] as const,
    ]
  ) {
    const data: Record<string, unknown> = { ups: { name: "u" } };
    let parent = data as Record<string | number, unknown>;
    for (const [i, key] of path.slice(0, -1).entries()) {
      const next = typeof path[i + 1] === "number" ? [] : {};
      parent = (parent[key] ??= next) as Record<string | number, unknown>;
    }
    parent[path.at(-1)!] = "NUMBER";
    const text = JSON.stringify(data).replace('"NUMBER"', written);
    assert.throws(() => parseConfig(text, "c.yaml"), (error: unknown) => {
      assert.ok(error instanceof Error);
      // Inside a list item the item's own required keys are reported too:
      // only the line of the field matters.
      assert.match(
        error.message,
        new RegExp(
          `^c\\.yaml:1:\\d+: ${
            path.join("\\.")
          }: expected a (finite number|duration such as 90, "90s" or "15m"), got ${shown}$`,
          "m",
        ),
      );
      return true;
    }, path.join("."));
  }
});

Deno.test("effectiveConfig() masks passwords, webhook URLs and header values", async () => {
  const config = parseConfig(await Deno.readTextFile(FULL), "full.yaml");
  const printed = JSON.stringify(effectiveConfig(config));
  for (const secret of secretsOf(config)) {
    assert.ok(!printed.includes(secret), secret);
  }
  assert.deepEqual(secretsOf(config), [
    "example-nut-password",
    "example-admin-password",
    "https://discord.com/api/webhooks/000000000000000000/example-token",
    "https://ntfy.example.net/ups",
    "Bearer example-token",
    "tk_exampletoken0000000000000000",
    "https://hooks.slack.com/services/T00000000/B00000000/exampletoken0000000000",
    "exampletoken0000000000",
    "123456789:AAexample-telegram-token",
  ]);
  const shown = effectiveConfig(config) as {
    ups: { password: string; "check_interval": string };
    notifications: { channels: { url: string }[] };
  };
  assert.equal(shown.ups.password, SECRET_MASK);
  assert.equal(shown.ups.check_interval, "1s");
  assert.equal(shown.notifications.channels[0]?.url, "https://discord.com/***");
});

/** An object of the JSON Schema, as far as the test below reads it. */
interface JsonObject {
  required?: string[];
  properties?: Record<string, { description?: string }>;
  items?: JsonObject;
}

Deno.test("configJsonSchema() documents every key and requires only ups.name", () => {
  const schema = configJsonSchema() as {
    required?: string[];
    properties: Record<string, { anyOf?: JsonObject[] }>;
  };
  assert.deepEqual(schema.required, ["ups"]);
  // One UPS as a mapping, or several as a list of the same mappings.
  const [mapping, list] = schema.properties["ups"]?.anyOf ?? [];
  assert.deepEqual(mapping?.required, ["name"]);
  assert.deepEqual(list?.items, mapping);
  const ups = mapping?.properties ?? {};
  for (const [key, value] of Object.entries(ups)) {
    assert.ok(
      value.description && value.description.length > 10,
      `ups.${key} has a description`,
    );
  }
  assert.match(ups["check_interval"]?.description ?? "", /Default 1s/);
});

Deno.test("configSchema refuses a remote host or user that ssh would misread", () => {
  const cases: [Record<string, string>, string | null][] = [
    [{ host: "nas.local", user: "admin" }, null],
    [{ host: "fe80::1%eth0", user: "ups_monitor-2" }, null],
    [
      { host: "-oProxyCommand=reboot", user: "admin" },
      'shutdown.remotes.0.host: "-oProxyCommand=reboot" begins with "-", which ssh would read as an option',
    ],
    [
      { host: "nas", user: "-lroot" },
      'shutdown.remotes.0.user: "-lroot" begins with "-", which ssh would read as an option',
    ],
    [
      { host: "nas box", user: "admin" },
      'shutdown.remotes.0.host: "nas box" contains whitespace or a control character',
    ],
    [
      { host: "nas", user: "ad\u0007min" },
      'shutdown.remotes.0.user: "ad\\u0007min" contains whitespace or a control character',
    ],
    [
      { host: "nas", user: "admin\n" },
      'shutdown.remotes.0.user: "admin\\n" contains whitespace or a control character',
    ],
    [
      { host: "root@nas", user: "admin" },
      'shutdown.remotes.0.host: "root@nas" contains "@", which ssh reads as the end of the user',
    ],
  ];
  for (const [remote, expected] of cases) {
    const result = configSchema.safeParse({
      ups: { name: "ups" },
      shutdown: { remotes: [remote] },
    });
    assert.deepEqual(
      result.success
        ? null
        : result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`)
          .join("\n"),
      expected,
      JSON.stringify(remote),
    );
  }
});

Deno.test("configSchema looks host keys up in its own and root's known_hosts by default, and takes one file or a list", () => {
  const knownHosts = (remote: Record<string, unknown>) =>
    configSchema.parse({
      ups: { name: "ups" },
      shutdown: { remotes: [{ host: "nas", user: "admin", ...remote }] },
    }).shutdown.remotes[0]?.known_hosts;
  assert.deepEqual(knownHosts({}), [
    "/etc/ups-monitor/known_hosts",
    "/root/.ssh/known_hosts",
  ]);
  assert.deepEqual(knownHosts({ "known_hosts": "/etc/k" }), ["/etc/k"]);
  assert.deepEqual(knownHosts({ "known_hosts": ["/etc/a", "/etc/b"] }), [
    "/etc/a",
    "/etc/b",
  ]);
  for (
    const [value, expected] of [
      [
        "/etc/my hosts",
        "expected a path without whitespace (ssh separates known_hosts files by spaces)",
      ],
      [["/etc/a", "b"], 'expected an absolute path (starting with "/")'],
      [[], "Too small: expected array to have >=1 items"],
    ] as const
  ) {
    const result = configSchema.safeParse({
      ups: { name: "ups" },
      shutdown: { remotes: [{ host: "nas", user: "a", "known_hosts": value }] },
    });
    assert.equal(result.error?.issues[0]?.message, expected, String(value));
  }
});
