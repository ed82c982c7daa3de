import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { loadConfig } from "../config/load.ts";
import { configSchema } from "../config/schema.ts";
import { buildPlan, formatPlan } from "./plan.ts";
import { formatDuration } from "../config/duration.ts";

const FIXTURES = fileURLToPath(
  new URL("../../fixtures/configs/", import.meta.url),
);

function config(shutdown: Record<string, unknown>, triggers = {}) {
  return configSchema.parse({ ups: { name: "ups" }, shutdown, triggers });
}

Deno.test("buildPlan() orders every fixture config with the local shutdown last", async () => {
  for await (const entry of Deno.readDir(FIXTURES)) {
    if (!entry.isFile || !entry.name.endsWith(".yaml")) continue;
    const { config } = await loadConfig(`${FIXTURES}${entry.name}`);
    const plan = buildPlan(config);
    assert.equal(plan.steps.at(-1)?.kind, "local", entry.name);
    const enabled = plan.steps.filter((s) => s.enabled);
    assert.equal(
      plan.totalMs,
      plan.notifyFlushMs + enabled.reduce((sum, s) => sum + s.worstCaseMs, 0),
      entry.name,
    );
    assert.ok(formatPlan(plan).includes("Worst case in total"), entry.name);
  }
});

Deno.test("buildPlan() gives the minimal config's steps and skips those with nothing to do", async () => {
  const { config } = await loadConfig(`${FIXTURES}minimal.yaml`);
  const plan = buildPlan(config);
  assert.deepEqual(
    plan.steps.map((s) => [s.id, s.enabled, s.skipReason ?? null]),
    [
      ["vms", true, null],
      ["containers", true, null],
      ["sync", true, null],
      ["filesystems", false, "no mounts configured"],
      ["remotes", false, "no remotes configured"],
      ["power_cycle", false, "disabled"],
      ["local", true, null],
    ],
  );
  // vms: 3 virsh calls of 10s + 3s grace, 30s wait, 3s grace of the last poll
  assert.equal(plan.steps[0]?.worstCaseMs, 3 * 13_000 + 30_000 + 3000);
  // containers: ps and stop, 60s + 3s each
  assert.equal(plan.steps[1]?.worstCaseMs, 2 * 63_000);
  assert.equal(plan.steps[2]?.worstCaseMs, 33_000);
  assert.equal(plan.steps[6]?.worstCaseMs, 33_000);
  assert.equal(plan.totalMs, 72_000 + 126_000 + 33_000 + 33_000 + 30_000);
  assert.deepEqual(plan.warnings, []);
});

Deno.test("buildPlan() places the full config's custom step after containers", async () => {
  const { config } = await loadConfig(`${FIXTURES}full.yaml`);
  const plan = buildPlan(config);
  assert.deepEqual(plan.steps.map((s) => s.id), [
    "vms",
    "containers",
    "custom.0",
    "sync",
    "filesystems",
    "remotes",
    "power_cycle",
    "local",
  ]);
  const fs = plan.steps.find((s) => s.id === "filesystems");
  assert.deepEqual(fs?.details, [
    "umount /mnt/media",
    "umount -l /mnt/nas",
    "umount /mnt/backup",
  ]);
  // The mount table read plus three unmounts, 15s + 3s each.
  assert.equal(fs?.worstCaseMs, 4 * 18_000);
});

Deno.test("buildPlan() counts parallel remotes by the slowest one", () => {
  const plan = buildPlan(config({
    remotes: [
      { host: "a", user: "u", timeout: 30 },
      { host: "b", user: "u", timeout: 90 },
      { host: "c", user: "u", timeout: 300, enabled: false },
    ],
  }));
  assert.equal(plan.steps.find((s) => s.id === "remotes")?.worstCaseMs, 93_000);
});

Deno.test("buildPlan() shows disabled steps as skipped and leaves them out of the total", () => {
  const plan = buildPlan(config({
    vms: { enabled: false },
    containers: { enabled: false },
    sync: { enabled: false },
    local: { enabled: false },
    custom: [{ name: "x", after: "start", command: ["true"], enabled: false }],
  }));
  assert.ok(plan.steps.every((s) => !s.enabled && s.worstCaseMs === 0));
  assert.equal(plan.totalMs, plan.notifyFlushMs);
  assert.match(formatPlan(plan), /VMs +skipped: disabled/);
});

Deno.test("buildPlan() warns when the worst case exceeds the critical runtime", () => {
  const plan = buildPlan(config({}, { critical_runtime: "2m" }));
  assert.deepEqual(plan.warnings, [
    'The worst case "4m54s" exceeds triggers.critical_runtime "2m": the sequence may not finish on the battery it starts with',
  ]);
  assert.match(formatPlan(plan), /^Warning: The worst case "4m54s"/m);
});

Deno.test("buildPlan() warns when containers get longer to stop than the stop call", () => {
  const plan = buildPlan(config({
    containers: { stop_timeout: 60, timeout: 30 },
  }));
  assert.deepEqual(plan.warnings, [
    'shutdown.containers.stop_timeout "1m" is not below shutdown.containers.timeout "30s": the stop call may be killed before the engine kills the containers',
  ]);
});

Deno.test("formatPlan() prints the steps in order with the total", () => {
  const text = formatPlan(buildPlan(config({
    dry_run: true,
    vms: { enabled: false },
    containers: { enabled: false },
    filesystems: { mounts: [{ path: "/mnt/nas", lazy: true }] },
    custom: [{
      name: "backup",
      after: "sync",
      command: ["systemctl", "stop", "b"],
    }],
  })));
  assert.equal(
    text,
    `Shutdown sequence (dry-run: actions are logged only):
 1. VMs              skipped: disabled
 2. Containers       skipped: disabled
 3. Sync             up to 33s, reversible
      sync, abandoned after 30s
    -- point of no return: from here on the sequence always completes --
 4. backup           up to 33s
      systemctl stop b
 5. File systems     up to 36s
      umount -l /mnt/nas
 6. Remote machines  skipped: no remotes configured
 7. UPS power cycle  skipped: disabled
 8. Local shutdown   up to 33s
      shutdown -h now (dry-run: logged, not run)
    Notifications before the local shutdown: up to 30s
Worst case in total: 2m45s (critical runtime 10m)
Power back for 1m before the point of no return aborts the sequence and starts again what it stopped (not after FSD or the fail-safe)
Time needed: 2m45s (worst cases, no step measured yet); the budget trigger fires at 4m45s left on battery (margin 2m)
`,
  );
});

Deno.test("buildPlan() puts the point of no return at the first enabled step an abort cannot undo", () => {
  const at = (shutdown: Record<string, unknown>) => {
    const plan = buildPlan(config(shutdown));
    return plan.steps[plan.pointOfNoReturn]?.id ?? "none";
  };
  assert.equal(
    at({ filesystems: { mounts: [{ path: "/mnt/a" }] } }),
    "filesystems",
  );
  // No mounts: the file systems are skipped, the remotes are next.
  assert.equal(
    at({ remotes: [{ host: "nas", user: "a" }] }),
    "remotes",
  );
  assert.equal(at({}), "local");
  assert.equal(
    at({ custom: [{ name: "x", after: "vms", command: ["x"] }] }),
    "custom.0",
  );
  assert.equal(
    at({
      custom: [{ name: "x", after: "vms", command: ["x"], reversible: true }],
    }),
    "local",
  );
  const plan = buildPlan(config({}));
  assert.deepEqual(
    plan.steps.map((s) => [s.id, s.reversible]),
    [
      ["vms", true],
      ["containers", true],
      ["sync", true],
      ["filesystems", false],
      ["remotes", false],
      ["power_cycle", false],
      ["local", false],
    ],
  );
});

Deno.test("formatPlan() quotes command words a shell would split", () => {
  const text = formatPlan(buildPlan(config({
    vms: { libvirt_uri: "qemu:///system?socket=/run/my sock" },
    containers: { enabled: false },
    filesystems: { mounts: [{ path: "/mnt/my nas", lazy: true }] },
    remotes: [{ host: "nas", user: "admin", command: ["echo", "it's off"] }],
    custom: [{ name: "note", after: "sync", command: ["sh", "-c", "a b"] }],
    local: { command: ["/sbin/poweroff", "--message", "UPS empty"] },
  })));
  const details = text.split("\n").filter((line) => line.startsWith("      "))
    .map((line) => line.trim());
  assert.deepEqual(details, [
    "virsh -c 'qemu:///system?socket=/run/my sock' list --name --state-running",
    "virsh -c 'qemu:///system?socket=/run/my sock' shutdown <each running VM>, all at once",
    "wait up to 30s for them to stop",
    "virsh -c 'qemu:///system?socket=/run/my sock' destroy <each VM still running>",
    "sync, abandoned after 30s",
    "sh -c 'a b'",
    "umount -l '/mnt/my nas'",
    "nas: ssh admin@nas echo 'it'\\''s off'",
    "/sbin/poweroff --message 'UPS empty'",
  ]);
});

Deno.test("formatPlan() shows learned durations and the time needed from them", () => {
  const plan = buildPlan(
    config({
      vms: { enabled: true },
      containers: { enabled: false },
      local: { enabled: false },
    }),
    {
      durations: {
        vms: [
          { ms: 70_200, dryRun: false, wallMs: 1 },
          { ms: 65_000, dryRun: false, wallMs: 2 },
        ],
        sync: [{ ms: 20, dryRun: true, wallMs: 3 }],
      },
    },
  );
  const vms = plan.steps.find((s) => s.id === "vms")!;
  const sync = plan.steps.find((s) => s.id === "sync")!;
  assert.equal(
    plan.neededMs,
    plan.notifyFlushMs + 71_000 + sync.worstCaseMs,
  );
  const text = formatPlan(plan);
  assert.match(
    text,
    new RegExp(
      `^ 1\\. VMs +up to ${
        formatDuration(vms.worstCaseMs)
      }, learned 1m11s \\(p90 of 2 runs\\)`,
      "m",
    ),
  );
  assert.match(
    text,
    /^ 3\. Sync +up to 33s, rehearsed 1s \(1 dry run, not counted\), reversible$/m,
  );
  assert.match(
    text,
    /^Time needed: 2m14s \(learned where measured, else worst cases\); the budget trigger fires at 4m14s left on battery \(margin 2m\)$/m,
  );
});
