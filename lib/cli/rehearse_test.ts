import assert from "node:assert/strict";
import { parseDurations } from "../shutdown/durations.ts";
import { makeFakeTools } from "../testing/fake_tools.ts";
import { runProgram } from "../testing/program.ts";
import { makeTempDir } from "../testing/temp_dir.ts";

Deno.test("ups-monitor rehearse queries the live system, acts on nothing, records dry runs and prints the plan", async () => {
  // Under /run: the program runs with the daemon's permissions.
  await using dir = await makeTempDir({ dir: "/run" });
  await using fakes = await makeFakeTools({
    vms: [{ name: "web" }, { name: "db" }],
    containers: [{ id: "c1", name: "app" }],
  });
  const config = `${dir.path}/config.yaml`;
  await Deno.writeTextFile(
    config,
    `ups: {name: "ups@127.0.0.1"}
shutdown:
  containers: {engine: docker}
  local: {command: ["${fakes.path("shutdown")}", "-h", "now"]}
paths: {state: ${dir.path}/state, flag: ${dir.path}/flag, history: ${dir.path}/history, durations: ${dir.path}/durations, pid: ${dir.path}/pid}
logging: {file: null}
`,
  );
  const result = await runProgram(["rehearse", "--config", config], {
    env: fakes.env,
  });
  assert.equal(result.code, 0, result.stderr);
  const text = result.stdout;
  assert.match(
    text,
    /^Rehearsal \(dry-run: read-only queries, actions logged\):$/m,
  );
  assert.match(text, /^ {2}VMs: done in \d+\.\d s \(.*2.*\)$/m);
  assert.match(text, /^ {2}Containers: done in \d+\.\d s \(.*1.*\)$/m);
  assert.match(
    text,
    /^ 1\. VMs +up to \w+, rehearsed \d+s \(1 dry run, not counted\), reversible$/m,
  );
  // Queries ran; no VM was shut down, no container stopped, nothing powered off.
  const calls = await fakes.calls();
  assert.ok(calls.some((c) => c[0] === "virsh" && c.includes("list")));
  assert.deepEqual(
    calls.filter((c) => c.includes("shutdown") || c.includes("stop")),
    [],
  );
  assert.deepEqual(await fakes.vmStates(), { web: "running", db: "running" });
  const history = parseDurations(
    await Deno.readTextFile(`${dir.path}/durations`),
  );
  assert.deepEqual(Object.keys(history).sort(), ["containers", "sync", "vms"]);
  assert.ok(Object.values(history).flat().every((run) => run.dryRun));
  assert.equal(
    await Deno.stat(`${dir.path}/flag`).then(() => true, () => false),
    false,
  );
});
