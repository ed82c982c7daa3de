import assert from "node:assert/strict";
import { CALL_GRACE_MS } from "../shutdown/plan.ts";
import {
  configSchema,
  effectiveConfig,
  LOCAL_GRACE_MS,
  SECRET_MASK,
  secretsOf,
} from "./schema.ts";

/** The issues of a config with this `shutdown` section, as `key: message`. */
function issuesOf(shutdown: Record<string, unknown>): string[] {
  const result = configSchema.safeParse({ ups: { name: "ups" }, shutdown });
  return result.success
    ? []
    : result.error.issues.map((issue) =>
      `${issue.path.join(".")}: ${issue.message}`
    );
}

const ADMIN = { username: "upsadmin", password: "admin-secret" };

Deno.test("configSchema keeps the power cycle off by default, with shutdown.return after 120s", () => {
  const { shutdown } = configSchema.parse({ ups: { name: "ups" } });
  assert.deepEqual(shutdown.power_cycle, {
    enabled: false,
    command: "shutdown.return",
    delay: 120_000,
    username: null,
    password: null,
    "password_file": null,
    timeout: 30_000,
  });
});

Deno.test("configSchema refuses a power cycle without a user, or with credentials upsd would mangle", () => {
  const cases: [Record<string, unknown>, string[]][] = [
    [{ enabled: true, ...ADMIN }, []],
    [{ enabled: true, username: "upsadmin", "password_file": "/etc/pw" }, []],
    [{ enabled: true }, [
      "shutdown.power_cycle.username: the power cycle needs a NUT user with instcmds rights in upsd.users",
    ]],
    [{ enabled: true, username: "upsadmin" }, [
      "shutdown.power_cycle.username: a NUT username needs a password or password_file",
    ]],
    [{ password: "x" }, [
      "shutdown.power_cycle.username: a NUT password needs a username",
    ]],
    [{ ...ADMIN, "password_file": "/etc/pw" }, [
      "shutdown.power_cycle.password_file: set either password or password_file, not both",
    ]],
    [{ enabled: true, username: "ups admin\u00e9", password: "x" }, [
      "shutdown.power_cycle.username: expected printable ASCII only (upsd drops control and non-ASCII characters)",
    ]],
    [{ enabled: true, username: "upsadmin", password: "tab\there" }, [
      "shutdown.power_cycle.password: expected printable ASCII only (upsd drops control and non-ASCII characters)",
    ]],
    [{ enabled: true, ...ADMIN, command: "shutdown.return now" }, [
      "shutdown.power_cycle.command: expected an instant command name such as shutdown.return",
    ]],
  ];
  for (const [cycle, expected] of cases) {
    assert.deepEqual(
      issuesOf({ "power_cycle": cycle }),
      expected,
      JSON.stringify(cycle),
    );
  }
});

Deno.test("configSchema refuses a power cycle delay that does not exceed the local shutdown's worst case", () => {
  const problem = (delay: string, local: Record<string, unknown> = {}) =>
    issuesOf({
      "power_cycle": { enabled: true, ...ADMIN, delay },
      local: { timeout: "60s", ...local },
    });
  assert.deepEqual(problem("1m"), [
    `shutdown.power_cycle.delay: "1m" does not exceed the local shutdown's worst case "1m3s": the UPS would cut the power before the host has halted; lengthen the delay or shorten shutdown.local.timeout`,
  ]);
  assert.deepEqual(problem("63s").length, 1);
  assert.deepEqual(problem("63500ms"), []);
  // Nothing to protect: the step or the local shutdown is off.
  assert.deepEqual(problem("1m", { enabled: false }), []);
  assert.deepEqual(
    issuesOf({ "power_cycle": { delay: "1s" }, local: { timeout: "60s" } }),
    [],
  );
});

Deno.test("LOCAL_GRACE_MS is the plan's CALL_GRACE_MS", () => {
  assert.equal(LOCAL_GRACE_MS, CALL_GRACE_MS);
});

Deno.test("secretsOf() and effectiveConfig() mask the power cycle password", () => {
  const config = configSchema.parse({
    ups: { name: "ups" },
    shutdown: { "power_cycle": { enabled: true, ...ADMIN } },
  });
  assert.deepEqual(secretsOf(config), ["admin-secret"]);
  const shown = effectiveConfig(config) as {
    shutdown: { "power_cycle": { password: string; username: string } };
  };
  assert.equal(shown.shutdown.power_cycle.password, SECRET_MASK);
  assert.equal(shown.shutdown.power_cycle.username, "upsadmin");
  assert.ok(!JSON.stringify(shown).includes("admin-secret"));
});
