import assert from "node:assert/strict";
import { notifyAddress, openNotifySocket } from "./notify_socket.ts";
import {
  IGNORE_WITHOUT_PYTHON,
  startNotifyReceiver,
} from "../testing/notify_receiver.ts";
import { makeTempDir } from "../testing/temp_dir.ts";

Deno.test({
  name:
    "openNotifySocket() sends datagrams to a path and to an abstract name, from this process",
  ignore: IGNORE_WITHOUT_PYTHON,
  timeout: 30_000,
}, async () => {
  await using dir = await makeTempDir();
  for (
    const address of [
      dir.join("notify"),
      `@ups-monitor-test-${crypto.randomUUID()}`,
    ]
  ) {
    await using receiver = await startNotifyReceiver(address);
    using socket = openNotifySocket(receiver.address);
    socket.send("READY=1\nSTATUS=On line, charge 100 %");
    socket.send("WATCHDOG=1");
    const second = await receiver.next((m) => m.text === "WATCHDOG=1");
    assert.deepEqual(
      receiver.messages().map(({ pid, fields }) => ({ pid, fields })),
      [
        {
          pid: Deno.pid,
          fields: { READY: "1", STATUS: "On line, charge 100 %" },
        },
        { pid: Deno.pid, fields: { WATCHDOG: "1" } },
      ],
      address,
    );
    assert.equal(second.pid, Deno.pid);
  }
});

Deno.test({
  name:
    "openNotifySocket() send() fails at once, naming the socket, when nobody listens",
  ignore: IGNORE_WITHOUT_PYTHON,
  timeout: 30_000,
}, async () => {
  await using dir = await makeTempDir();
  const missing = dir.join("missing");
  using socket = openNotifySocket(missing);
  assert.throws(() => socket.send("READY=1"), {
    message: `Cannot notify systemd at "${missing}": ENOENT (no such socket)`,
  });
  // A socket file left behind by a receiver that was killed.
  const stale = dir.join("stale");
  await (await startNotifyReceiver(stale))[Symbol.asyncDispose]();
  using again = openNotifySocket(stale);
  assert.throws(() => again.send("READY=1"), {
    message:
      `Cannot notify systemd at "${stale}": ECONNREFUSED (nobody listens on the socket)`,
  });
});

Deno.test("notifyAddress() takes a path or an abstract name and refuses anything else", () => {
  const path = notifyAddress("/run/systemd/notify");
  assert.equal(path.length, 2 + "/run/systemd/notify".length + 1);
  assert.equal(path[2], "/".charCodeAt(0));
  assert.equal(path.at(-1), 0, "a path ends with NUL");
  const abstract = notifyAddress("@notify");
  assert.deepEqual([...abstract.slice(2)], [
    0,
    ...new TextEncoder().encode("notify"),
  ]);
  const cases: [string, string][] = [
    ["run/notify", 'expected an absolute path or "@" and a name'],
    ["@", 'expected an absolute path or "@" and a name'],
    ["vsock:2:1234", 'expected an absolute path or "@" and a name'],
    [`/${"x".repeat(107)}`, "longer than 108 bytes"],
  ];
  for (const [value, problem] of cases) {
    assert.throws(() => notifyAddress(value), {
      name: "TypeError",
      message: `Cannot use NOTIFY_SOCKET "${value}": ${problem}`,
    });
  }
  // 107 bytes and the NUL fill sun_path exactly.
  assert.equal(notifyAddress(`/${"x".repeat(106)}`).length, 2 + 108);
});
