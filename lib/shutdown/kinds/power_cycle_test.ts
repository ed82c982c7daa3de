import assert from "node:assert/strict";
import { configSchema } from "../../config/schema.ts";
import { buildPlan, formatPlan } from "../plan.ts";
import { stepNeeds } from "./mod.ts";
import { delaySeconds, timerVerdict } from "./power_cycle.ts";

function config(
  cycle: Record<string, unknown>,
  shutdown: Record<string, unknown> = {},
) {
  return configSchema.parse({
    ups: { name: "rig@10.0.0.2:3494" },
    shutdown: {
      "power_cycle": {
        enabled: true,
        username: "upsadmin",
        password: "admin-secret",
        ...cycle,
      },
      ...shutdown,
    },
  });
}

Deno.test("buildPlan() places the power cycle last before the local shutdown, irreversible, with what it sends", () => {
  const plan = buildPlan(config({}, {
    custom: [{ name: "note", after: "power_cycle", command: ["logger", "x"] }],
  }));
  assert.deepEqual(plan.steps.slice(-3).map((s) => [s.id, s.reversible]), [
    ["power_cycle", false],
    ["custom.0", false],
    ["local", false],
  ]);
  const step = plan.steps.find((s) => s.id === "power_cycle");
  assert.equal(step?.title, "UPS power cycle");
  assert.equal(step?.worstCaseMs, 33_000);
  assert.deepEqual(step?.details, [
    'SET VAR rig ups.delay.shutdown "120" when the UPS has it and it differs',
    'INSTCMD rig shutdown.return at upsd "10.0.0.2:3494" as "upsadmin", then watch ups.timer.shutdown for 5s',
    "The UPS cuts its output 2m later, for every host on it, and restores it when mains returns",
  ]);
  assert.deepEqual(plan.warnings, []);
  assert.match(formatPlan(plan), /^ 6\. UPS power cycle +up to 33s$/m);
});

Deno.test("buildPlan() marks a dry-run power cycle as logged, not sent", () => {
  const step = buildPlan(config({ command: "load.off" }, { "dry_run": true }))
    .steps.find((s) => s.id === "power_cycle");
  assert.deepEqual(step?.details.slice(0, 2), [
    'SET VAR rig ups.delay.shutdown "120" when the UPS has it and it differs (dry-run: logged, not sent)',
    'INSTCMD rig load.off at upsd "10.0.0.2:3494" as "upsadmin" (dry-run: logged, not sent), then watch ups.timer.shutdown for 5s',
  ]);
});

Deno.test("buildPlan() warns when the delay does not cover what follows the command", () => {
  // Local 33s + notifications 30s + the custom step after it 13s = 1m16s.
  const plan = buildPlan(config({ delay: "70s" }, {
    custom: [{
      name: "note",
      after: "power_cycle",
      command: ["logger", "x"],
      timeout: "10s",
    }],
  }));
  assert.deepEqual(plan.warnings, [
    'shutdown.power_cycle.delay "1m10s" is not above what may follow the command "1m16s" (custom steps after it, notifications, the local shutdown): the UPS may cut the power before the host has halted',
  ]);
});

Deno.test("buildPlan() warns when the step's timeout leaves no time to watch the timer", () => {
  assert.deepEqual(buildPlan(config({ timeout: "8s" })).warnings, [
    'shutdown.power_cycle.timeout "8s" is below "10s": the step may time out before it can tell whether the UPS counts down (it waits up to 3s for a new ups.delay.shutdown to show and watches ups.timer.shutdown for 5s)',
  ]);
});

Deno.test("stepNeeds() asks to read the power cycle's password file, only when enabled", () => {
  const file = "/etc/ups-monitor/nut-admin-password";
  const reads = (enabled: boolean) =>
    stepNeeds(configSchema.parse({
      ups: { name: "ups" },
      shutdown: {
        "power_cycle": { enabled, username: "a", "password_file": file },
      },
    })).filter((need) => need.key.startsWith("shutdown.power_cycle"));
  assert.deepEqual(reads(true), [
    { type: "read", path: file, key: "shutdown.power_cycle.password_file" },
  ]);
  assert.deepEqual(reads(false), []);
});

Deno.test("delaySeconds() rounds up to whole seconds", () => {
  assert.equal(delaySeconds(120_000), 120);
  assert.equal(delaySeconds(90_500), 91);
});

Deno.test("timerVerdict() tells counting, absent and static timers apart", () => {
  const cases: [(string | null)[], ReturnType<typeof timerVerdict>][] = [
    [["30", "29"], { kind: "counting", seconds: 29 }],
    [["-1", "120", "120", "119"], { kind: "counting", seconds: 119 }],
    [["1", "0"], { kind: "counting", seconds: 0 }],
    [[], { kind: "absent" }],
    [[null, null], { kind: "absent" }],
    [["-1", "-1", "-1"], { kind: "static", value: "-1" }],
    [["120"], { kind: "static", value: "120" }],
    [["0", "-1"], { kind: "static", value: "-1" }],
    [["abc", "", "12"], { kind: "static", value: "12" }],
    [[null, "30", null, "28"], { kind: "counting", seconds: 28 }],
  ];
  for (const [readings, expected] of cases) {
    assert.deepEqual(timerVerdict(readings), expected, readings.join(","));
  }
});
