/**
 * The fleet's stock upsmon hosts against a real upsd in the rig's NUT
 * container, on the container engine found here. Without one the test is
 * ignored with the install command printed, except under CI=true.
 */
import assert from "node:assert/strict";
import { NutClient } from "../lib/nut/client.ts";
import { systemClock } from "../lib/system/clock.ts";
import { MemoryLogger } from "../lib/testing/memory_logger.ts";
import { detectEngine, type Engine, EngineUnavailableError } from "./engine.ts";
import { containerAddress, parseUpsdLog, startFleet } from "./fleet.ts";
import { observeClients } from "./fleet_observer.ts";
import { ensureImages } from "./image.ts";
import { startNutServer } from "./nut_server.ts";
import { parseProfile } from "./profile.ts";

const IN_CI = Deno.env.get("CI") === "true";

async function find(): Promise<Engine | Error> {
  try {
    return await detectEngine("auto");
  } catch (error) {
    if (!(error instanceof EngineUnavailableError)) throw error;
    if (!IN_CI) {
      Deno.stderr.writeSync(
        new TextEncoder().encode(`${error.message}: fleet test ignored\n`),
      );
    }
    return error;
  }
}

const ENGINE = await find();
// Built here, outside the test's timeout (a first build runs debootstrap).
const BUILT = ENGINE instanceof Error
  ? ENGINE
  : await ensureImages(ENGINE).catch((error: Error) => error);

const HOSTS = parseProfile(
  `description: t
ups: { ups.status: OL }
duration: 5s
fleet:
  - { name: boss, role: primary, hostsync: 2s, finaldelay: 1s }
  - { name: follower, role: secondary, finaldelay: 1s }
  # upsmon runs NOTIFYCMD in a child of its own: without a FINALDELAY its
  # SHUTDOWN record and the SHUTDOWNCMD's race.
  - { name: stuck, role: secondary, finaldelay: 1s, shutdown: hangs }
expect: { trigger: none }
`,
  "t.yaml",
).fleet;

Deno.test({
  name:
    "startFleet() runs stock upsmon hosts that obey FSD, record it and log out, or hang",
  ignore: ENGINE instanceof Error && !IN_CI,
  timeout: 120_000,
  async fn() {
    if (BUILT instanceof Error) throw BUILT;
    const engine = ENGINE as Engine;
    await using server = await startNutServer({
      engine,
      upses: [{ name: "rig", values: { "ups.status": "OL" } }],
      images: BUILT.images,
    });
    const upsdAddress = await containerAddress(engine, server.name);
    let containers: string[] = [];
    {
      await using fleet = await startFleet({
        engine,
        image: BUILT.images.nut,
        upsdAddress,
        ups: "rig",
        hosts: HOSTS,
      });
      containers = fleet.members.map((m) => m.container);
      const [boss, follower, stuck] = fleet.members.map((m) => m.address);
      await using watcher = new NutClient({
        address: { ups: "rig", host: "127.0.0.1", port: server.port },
        clock: systemClock,
        logger: new MemoryLogger(),
      });
      const observer = observeClients(watcher, {
        ups: "rig",
        clock: systemClock,
      });
      let seen;
      try {
        assert.equal(
          await observer.waitForLogins([boss!, follower!, stuck!], 20_000),
          true,
        );
        await fleet.fsd();
        const end = performance.now() + 20_000;
        let records = await fleet.records();
        const events = (name: string) =>
          (records.get(name) ?? []).map((r) => r.event);
        while (
          performance.now() < end &&
          !(events("boss").includes("exit") &&
            events("follower").includes("exit") &&
            events("stuck").includes("shutdowncmd"))
        ) {
          await systemClock.sleep(250);
          records = await fleet.records();
        }
        // Let the polls see the last logout.
        await systemClock.sleep(500);
        seen = await observer.stop();
        // upsmon runs each NOTIFYCMD in a child of its own, so two
        // notifications may be recorded in either order (seen in CI);
        // FINALDELAY (1 s) keeps them before the SHUTDOWNCMD.
        const unordered = (name: string) => {
          const [first, ...rest] = events(name);
          const notes = rest.filter((e) => e.startsWith("notify:")).sort();
          return [first, ...notes, ...rest.filter((e) => !notes.includes(e))];
        };
        assert.deepEqual(unordered("follower"), [
          "start",
          "notify:FSD",
          "notify:SHUTDOWN",
          "shutdowncmd",
          "exit",
        ]);
        assert.deepEqual(unordered("stuck"), [
          "start",
          "notify:FSD",
          "notify:SHUTDOWN",
          "shutdowncmd",
        ]);
        for (const name of ["follower", "stuck"]) {
          assert.ok(
            events(name).indexOf("shutdowncmd") > 2,
            `${name}: ${events(name)}`,
          );
        }
        // A primary sets FSD and never polls again: no NOTIFY FSD.
        assert.deepEqual(events("boss"), [
          "start",
          "notify:SHUTDOWN",
          "shutdowncmd",
          "exit",
        ]);
        const text = (name: string, event: string) =>
          records.get(name)!.find((r) => r.event === event)!.text;
        assert.equal(
          text("boss", "shutdowncmd"),
          "returns; POWERDOWNFLAG present",
        );
        assert.equal(
          text("stuck", "shutdowncmd"),
          "hangs; POWERDOWNFLAG present",
        );
        assert.equal(text("boss", "exit"), "0");
        // The stuck host kept its login: the primary waited its HOSTSYNC.
        const logs = await engine.cliResult(
          ["logs", "--timestamps", server.name],
        );
        const fsd = parseUpsdLog(`${logs.stdout}\n${logs.stderr}`).find((e) =>
          e.kind === "fsd"
        );
        assert.deepEqual(
          { user: fsd?.user, address: fsd?.address },
          { user: "admin", address: boss },
        );
        const shutdown = records.get("boss")!.find((r) =>
          r.event === "notify:SHUTDOWN"
        )!;
        assert.ok(
          shutdown.epochMs - fsd!.epochMs >= 1900,
          `${shutdown.epochMs - fsd!.epochMs} ms`,
        );
      } finally {
        seen ??= await observer.stop();
      }
      assert.deepEqual(
        seen.changes.filter((c) => c.change === "logout").map((c) => c.address)
          .sort(),
        [boss!, follower!].sort(),
      );
      assert.deepEqual(seen.present, [stuck]);
    }
    const left = await engine.cliResult([
      "ps",
      "--all",
      "--quiet",
      ...containers.flatMap((name) => ["--filter", `name=${name}`]),
    ]);
    assert.equal(left.stdout.trim(), "");
  },
});
