import assert from "node:assert/strict";
import { configSchema, STEP_KINDS } from "../../config/schema.ts";
import { STEP_FUNCTIONS } from "../steps/mod.ts";
import { NEEDS_ORDER, PURE_STEP_KINDS, stepNeeds } from "./mod.ts";

const config = configSchema.parse({
  ups: { name: "ups" },
  shutdown: {
    filesystems: { mounts: [{ path: "/mnt/nas" }] },
    remotes: [{ host: "nas", user: "admin" }],
    custom: [{ name: "backup", after: "sync", command: ["true"] }],
  },
});

Deno.test("PURE_STEP_KINDS plans exactly one step of each built-in kind", () => {
  for (const kind of STEP_KINDS) {
    const { steps } = PURE_STEP_KINDS[kind].plan(config, 0);
    assert.deepEqual(steps.map((s) => [s.id, s.kind]), [[kind, kind]], kind);
    assert.equal(typeof STEP_FUNCTIONS[kind], "function", kind);
  }
});

Deno.test("PURE_STEP_KINDS plans one custom step per entry, with its index", () => {
  const { steps } = PURE_STEP_KINDS.custom.plan(config, 0);
  assert.deepEqual(steps.map((s) => [s.id, s.kind, s.customIndex]), [
    ["custom.0", "custom", 0],
  ]);
});

Deno.test("stepNeeds() asks each kind, the primary's FSD and built-in kinds first, the local shutdown last", () => {
  assert.deepEqual(NEEDS_ORDER, [
    "fleet",
    ...STEP_KINDS.filter((k) => k !== "local"),
    "custom",
    "local",
  ]);
  assert.deepEqual(
    stepNeeds(config).map((need) =>
      need.type === "program"
        ? `${need.key}: ${need.programs.join(" or ")}`
        : need.type === "read"
        ? `${need.key}: read ${need.path}`
        : `${need.key}: net ${need.host}`
    ),
    [
      "shutdown.vms.enabled: virsh",
      "shutdown.containers.engine: docker or podman",
      "shutdown.sync.enabled: sync",
      "shutdown.filesystems.mounts: umount",
      "shutdown.filesystems.mounts: cat",
      "shutdown.remotes.0.host: ssh",
      "shutdown.remotes.0.known_hosts: ssh-keygen",
      "shutdown.remotes.0.known_hosts: read /etc/ups-monitor/known_hosts",
      "shutdown.remotes.0.known_hosts: read /root/.ssh/known_hosts",
      "shutdown.custom.0.command: true",
      "shutdown.local.command: shutdown",
    ],
  );
});
