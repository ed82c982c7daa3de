import assert from "node:assert/strict";
import { ConfigError } from "./errors.ts";
import { parseConfig } from "./load.ts";
import { effectiveConfig, secretsOf } from "./schema.ts";
import { fileSuffix } from "./ups_view.ts";

const TWO = `ups:
  - name: a@127.0.0.1:3493
    supplies: 1
  - name: b@127.0.0.1:3494
    supplies: 2
    triggers: {low_battery: 40, depletion: {window: 10m}}
power: {min_supplies: 2}
triggers: {low_battery: 25}
`;

Deno.test("ups may be a list: each UPS gets the top-level triggers under its own overrides", () => {
  const config = parseConfig(TWO, "two.yaml");
  assert.equal(config.upses.length, 2);
  assert.equal(config.ups, config.upses[0]);
  assert.equal(config.upses[0]!.triggers.low_battery, 25);
  assert.equal(config.upses[1]!.triggers.low_battery, 40);
  assert.equal(config.upses[1]!.triggers.depletion.window, 600_000);
  assert.equal(config.upses[1]!.triggers.depletion.critical_rate, 15);
  assert.equal(config.power.min_supplies, 2);
  const shown = effectiveConfig(config) as { ups: Record<string, unknown>[] };
  assert.equal(shown.ups.length, 2);
  assert.equal(shown.ups[0]!["triggers"], undefined);
  assert.deepEqual(shown.ups[1]!["triggers"], {
    "low_battery": 40,
    depletion: { window: "10m" },
  });
});

Deno.test("a single mapping stays valid; min_supplies defaults to all supplies", () => {
  const config = parseConfig("ups: {name: ups}\n", "one.yaml");
  assert.deepEqual(config.upses, [config.ups]);
  assert.equal(config.power.min_supplies, 1);
  assert.equal(config.ups.supplies, 1);
  const shown = effectiveConfig(config) as { ups: Record<string, unknown> };
  assert.equal(shown.ups["name"], "ups");
  assert.equal(shown.ups["triggers"], undefined);
  const two = parseConfig(TWO.replace("power: {min_supplies: 2}\n", ""), "t");
  assert.equal(two.power.min_supplies, 3);
});

function problems(text: string): string[] {
  try {
    parseConfig(text, "c.yaml");
  } catch (error) {
    if (error instanceof ConfigError) {
      return error.issues.map((i) =>
        `${i.line ?? "-"}:${i.key ?? ""}: ${i.message}`
      );
    }
    throw error;
  }
  return [];
}

Deno.test("problems in a list of UPSes are placed at their entry", () => {
  assert.deepEqual(
    problems(`ups:
  - name: a
  - name: a
    supplies: 0
    triggers: {low_battery: 200, bogus: 1}
power: {min_supplies: 9}
`),
    [
      "4:ups.1.supplies: expected at least 1",
      "5:ups.1.triggers.low_battery: expected at most 100",
      '5:ups.1.triggers.bogus: unknown key (known: "low_battery", "critical_runtime", "persistence_polls", "obey_fsd_at_start", "depletion", "extended_time", "budget", "voltage")',
    ],
  );
  // Across entries, once every entry is valid on its own.
  assert.deepEqual(
    problems(`ups:
  - name: a
  - name: a
power: {min_supplies: 9}
`),
    [
      '3:ups.1.name: "a" is listed twice',
      "4:power.min_supplies: 9 is more than the 2 supplies the UPSes feed (the sum of their supplies): the host would shut down at once",
    ],
  );
  assert.deepEqual(problems("ups: {name: a, tls: maybe}\n"), [
    '1:ups.tls: expected one of "off", "starttls", "required"',
  ]);
  assert.deepEqual(problems("ups: []\n"), [
    "1:ups: expected at least 1 item(s)",
  ]);
});

Deno.test("every UPS's password is a secret: masked by check and known to the logger", () => {
  const config = parseConfig(
    `ups:
  - {name: a@127.0.0.1, username: u, password: first-secret}
  - {name: b@127.0.0.1, username: u, password: second-secret}
`,
    "s.yaml",
  );
  assert.deepEqual(
    secretsOf(config).filter((s) => s.endsWith("-secret")),
    ["first-secret", "second-secret"],
  );
  const shown = JSON.stringify(effectiveConfig(config));
  assert.ok(
    !shown.includes("first-secret") && !shown.includes("second-secret"),
  );
});

Deno.test("several UPSes: one UPS spelled twice is refused, and so is the power cycle", () => {
  assert.deepEqual(
    problems(`ups:
  - name: ups@NAS
  - name: ups@nas:3493
`),
    ['3:ups.1.name: "ups@nas:3493" is listed twice'],
  );
  assert.deepEqual(
    problems(`ups:
  - name: a@nas
  - name: b@nas
shutdown:
  power_cycle: {enabled: true, username: admin, password: pw}
`),
    [
      '5:shutdown.power_cycle.enabled: the power cycle commands one UPS: with several it would cut the output of "a@nas" even when another UPS\'s drain started the shutdown; turn it off, or keep one UPS in the list',
    ],
  );
});

Deno.test("fileSuffix() keeps UPS names apart in file names", () => {
  assert.equal(fileSuffix("ups@nas:3493"), "ups@nas%3A3493");
  assert.notEqual(fileSuffix("a@h:1"), fileSuffix("a@h_1"));
  assert.equal(fileSuffix("a@[::1]:3493").includes("/"), false);
});
