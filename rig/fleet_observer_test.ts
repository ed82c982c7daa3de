import assert from "node:assert/strict";
import { NutClient } from "../lib/nut/client.ts";
import { systemClock } from "../lib/system/clock.ts";
import { MemoryLogger } from "../lib/testing/memory_logger.ts";
import {
  IGNORE_WITHOUT_UPSD,
  startUpsd,
  type Upsd,
  USERS,
} from "../lib/testing/upsd.ts";
import { diffClients, observeClients } from "./fleet_observer.ts";

Deno.test("diffClients() reports each login and logout by address", () => {
  assert.deepEqual(
    diffClients(["10.0.0.2", "10.0.0.3", "10.0.0.3"], [
      "10.0.0.3",
      "10.0.0.4",
    ], 7),
    [
      { at: 7, address: "10.0.0.2", change: "logout" },
      { at: 7, address: "10.0.0.3", change: "logout" },
      { at: 7, address: "10.0.0.4", change: "login" },
    ],
  );
  assert.deepEqual(diffClients(["10.0.0.2"], ["10.0.0.2"], 7), []);
});

function client(upsd: Upsd, user?: keyof typeof USERS): NutClient {
  return new NutClient({
    address: upsd.address(),
    ...(user
      ? { username: USERS[user].name, password: USERS[user].password }
      : {}),
    clock: systemClock,
    logger: new MemoryLogger(),
  });
}

Deno.test({
  name:
    "observeClients() sees a login, FSD and the logout at a real upsd, without being listed itself",
  ignore: IGNORE_WITHOUT_UPSD,
  timeout: 30_000,
  async fn() {
    await using upsd = await startUpsd();
    await using watcher = client(upsd);
    const observer = observeClients(watcher, {
      ups: "dev1",
      intervalMs: 50,
      clock: systemClock,
    });
    try {
      await using secondary = client(upsd, "mon");
      await secondary.login();
      assert.equal(await observer.waitForLogins(["127.0.0.1"], 5000), true);
      await using admin = client(upsd, "admin");
      await admin.fsd();
      await secondary.logout();
      await systemClock.sleep(300);
    } finally {
      const seen = await observer.stop();
      assert.deepEqual(
        seen.changes.map((c) => `${c.change} ${c.address}`),
        ["login 127.0.0.1", "logout 127.0.0.1"],
      );
      assert.notEqual(seen.fsdAt, null);
      assert.ok(seen.fsdAt! <= seen.changes[1]!.at);
      assert.deepEqual(seen.present, []);
      assert.equal(seen.lastError, null);
    }
  },
});
