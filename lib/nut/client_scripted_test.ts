import assert from "node:assert/strict";
import { NutClient, type NutClientOptions } from "./client.ts";
import {
  NutConnectionError,
  NutProtocolError,
  NutTimeoutError,
} from "./protocol.ts";
import type { NutTransport } from "./transport.ts";
import { systemClock } from "../system/clock.ts";
import { ConsoleLogger } from "../system/log.ts";
import {
  answering,
  pause,
  ScriptedServer,
} from "../testing/scripted_server.ts";

const STATUS = 'VAR dev1 ups.status "OL"\n';

function client(
  server: ScriptedServer,
  options: Partial<NutClientOptions> = {},
): NutClient & { logs: string[] } {
  const logs: string[] = [];
  const logger = new ConsoleLogger({
    level: "debug",
    write: (l) => logs.push(l),
  });
  const c = new NutClient({
    address: server.address(),
    clock: systemClock,
    logger,
    replyTimeoutMs: 300,
    connectTimeoutMs: 300,
    keepAliveMs: 0,
    reconnect: { initialDelayMs: 50, maxDelayMs: 200, factor: 2, jitter: 0 },
    ...options,
  });
  return Object.assign(c, { logs });
}

Deno.test("NutClient.getVar() drops a connection that sends garbage, then reconnects", async () => {
  await using server = new ScriptedServer((conn, index) =>
    answering({
      "GET VAR dev1 ups.status": index === 0 ? "HELLO WORLD\n" : STATUS,
    })(conn, index)
  );
  await using c = client(server);
  await assert.rejects(c.getVar("ups.status"), {
    name: "NutProtocolError",
    message: 'Cannot read UPS "dev1": upsd at "127.0.0.1:' + server.port +
      '" sent an unexpected reply',
  });
  assert.equal(c.connected, false);
  assert.equal(await c.getVar("ups.status"), "OL");
  assert.equal(server.accepted, 2);
});

Deno.test("NutClient.getVar() times out on a silent server and drops the connection", async () => {
  let sawEof = false;
  await using server = new ScriptedServer(async (conn) => {
    await conn.readLine();
    sawEof = (await conn.readLine()) === null;
  });
  await using c = client(server);
  const started = performance.now();
  await assert.rejects(c.getVar("ups.status"), (error) => {
    assert.ok(error instanceof NutTimeoutError);
    assert.equal(
      error.message,
      `Cannot read UPS "dev1": upsd at "127.0.0.1:${server.port}" did not answer within 300 ms`,
    );
    return true;
  });
  const elapsed = performance.now() - started;
  assert.ok(elapsed >= 290 && elapsed < 2000, `took ${elapsed} ms`);
  assert.equal(c.connected, false);
  await pause(50);
  assert.equal(sawEof, true);
});

Deno.test("NutClient.getVar() joins a reply sent in pieces", async () => {
  await using server = new ScriptedServer(async (conn) => {
    await conn.readLine();
    for (const piece of ["VAR dev1 ups", '.status "O', 'L CHRG"', "\n"]) {
      await conn.write(piece);
      await pause(20);
    }
    await conn.readLine();
  });
  await using c = client(server);
  assert.equal(await c.getVar("ups.status"), "OL CHRG");
});

Deno.test("NutClient.getVar() times out on half a line", async () => {
  await using server = new ScriptedServer(async (conn) => {
    await conn.readLine();
    await conn.write('VAR dev1 ups.status "O');
    await conn.readLine();
  });
  await using c = client(server);
  await assert.rejects(c.getVar("ups.status"), NutTimeoutError);
});

Deno.test("NutClient.listVar() fails on a list that never ends", async () => {
  await using server = new ScriptedServer(async (conn) => {
    await conn.readLine();
    await conn.write("BEGIN LIST VAR dev1\n");
    for (let i = 0; i < 100_000; i++) {
      await conn.write(`VAR dev1 v${i} "${i}"\n`);
      if (i % 500 === 0) await pause(1);
    }
    await conn.readLine();
  });
  await using c = client(server, { replyTimeoutMs: 3000 });
  await assert.rejects(c.listVar(), (error) => {
    assert.ok(error instanceof NutConnectionError, String(error));
    return true;
  });
  assert.equal(c.connected, false);
});

Deno.test("NutClient.poll() drops a reply over 1 MiB and recovers on the next poll", async () => {
  // 600 lines of 3 KiB: inside the line and list bounds, 1.8 MB in all.
  const value = "x".repeat(3000);
  const big = ["BEGIN LIST VAR dev1"];
  for (let i = 0; i < 600; i++) big.push(`VAR dev1 v${i} "${value}"`);
  big.push("END LIST VAR dev1", "");
  await using server = new ScriptedServer((conn, index) =>
    answering({
      "LIST VAR dev1": index === 0
        ? big.join("\n")
        : `BEGIN LIST VAR dev1\n${STATUS}END LIST VAR dev1\n`,
      "NETVER": "1.3\n",
    })(conn, index)
  );
  await using c = client(server, { pollStrategy: "list" });
  await assert.rejects(c.poll(["ups.status"]), {
    name: "NutProtocolError",
    message:
      `Cannot read UPS "dev1": the reply of upsd at "127.0.0.1:${server.port}" is longer than 1048576 bytes`,
  });
  assert.equal(c.connected, false);
  assert.deepEqual(
    await c.poll(["ups.status"]),
    new Map([["ups.status", "OL"]]),
  );
  assert.equal(server.accepted, 2);
});

Deno.test("NutClient.listVar() times out on a list that stalls", async () => {
  await using server = new ScriptedServer(async (conn) => {
    await conn.readLine();
    await conn.write('BEGIN LIST VAR dev1\nVAR dev1 a "1"\n');
    while (await conn.readLine() !== null) {
      // Swallow the nudges; the list never ends.
    }
  });
  await using c = client(server);
  await assert.rejects(c.listVar(), NutTimeoutError);
});

Deno.test("NutClient.listVar() reports a connection closed mid-list", async () => {
  await using server = new ScriptedServer(async (conn) => {
    await conn.readLine();
    await conn.write('BEGIN LIST VAR dev1\nVAR dev1 a "1"\n');
    conn.close();
  });
  await using c = client(server);
  await assert.rejects(c.listVar(), {
    name: "NutConnectionError",
    message:
      `Cannot read UPS "dev1": upsd at "127.0.0.1:${server.port}" closed the connection`,
  });
});

Deno.test("NutClient.getVar() rejects an overlong line", async () => {
  await using server = new ScriptedServer(async (conn) => {
    await conn.readLine();
    await conn.write("x".repeat(10_000));
    await conn.readLine();
  });
  await using c = client(server);
  await assert.rejects(c.getVar("ups.status"), NutProtocolError);
  assert.equal(c.connected, false);
});

Deno.test("NutClient.listVar() rejects a foreign line inside a list", async () => {
  await using server = new ScriptedServer(answering({
    "LIST VAR dev1": "BEGIN LIST VAR dev1\n<html>\nEND LIST VAR dev1\n",
  }));
  await using c = client(server);
  await assert.rejects(c.listVar(), NutProtocolError);
});

Deno.test("NutClient.connect() backs off after a refused connection", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  const logs: string[] = [];
  await using c = new NutClient({
    address: { ups: "dev1", host: "127.0.0.1", port },
    clock: systemClock,
    logger: new ConsoleLogger({ write: (l) => logs.push(l) }),
    reconnect: {
      initialDelayMs: 60_000,
      maxDelayMs: 60_000,
      factor: 2,
      jitter: 0,
    },
  });
  const message =
    `Cannot connect to upsd at "127.0.0.1:${port}": connection refused`;
  await assert.rejects(c.connect(), { name: "NutConnectionError", message });
  // Within the backoff the client fails fast with the same error, no new attempt.
  await assert.rejects(c.getVar("ups.status"), { message });
  assert.equal(logs.filter((l) => l.includes("nut.connect_failed")).length, 1);
});

Deno.test("NutClient.connect() bounds a connect that never completes", async () => {
  const transport: NutTransport = {
    connect: ({ signal }) =>
      new Promise((_, reject) => {
        signal?.addEventListener("abort", () => reject(signal.reason), {
          once: true,
        });
      }),
  };
  await using c = new NutClient({
    address: { ups: "dev1", host: "192.0.2.1", port: 3493 },
    clock: systemClock,
    logger: new ConsoleLogger({ write: () => {} }),
    connectTimeoutMs: 100,
    transport,
  });
  await assert.rejects(c.connect(), {
    name: "NutTimeoutError",
    message:
      'Cannot connect to upsd at "192.0.2.1:3493": no connection within 100 ms',
  });
});

Deno.test("NutClient with tls required refuses a forged STARTTLS refusal and sends no credentials", async (t) => {
  // A man in the middle answers STARTTLS in upsd's place; the real server
  // never sees the request.
  for (const code of ["FEATURE-NOT-CONFIGURED", "FEATURE-NOT-SUPPORTED"]) {
    await t.step(code, async () => {
      await using server = new ScriptedServer(answering({
        "STARTTLS": `ERR ${code}\n`,
        "*": "OK\n",
      }));
      await using c = client(server, {
        tls: "required",
        username: "mon",
        password: "hunter2",
        reconnect: { initialDelayMs: 0, maxDelayMs: 0, factor: 1, jitter: 0 },
      });
      const message =
        `Cannot connect to upsd at "127.0.0.1:${server.port}" with TLS: the server does not offer TLS ("ERR ${code}")`;
      await assert.rejects(c.connect(), { name: "NutError", message });
      await assert.rejects(c.login(), { name: "NutError", message });
      assert.deepEqual(server.received, ["STARTTLS", "STARTTLS"]);
      assert.equal(c.connected, false);
    });
  }
  await t.step("tls starttls is downgraded, as documented", async () => {
    await using server = new ScriptedServer(answering({
      "STARTTLS": "ERR FEATURE-NOT-CONFIGURED\n",
      "*": "OK\n",
    }));
    await using c = client(server, {
      tls: "starttls",
      username: "mon",
      password: "hunter2",
    });
    await c.connect();
    assert.deepEqual(server.received, [
      "STARTTLS",
      'USERNAME "mon"',
      'PASSWORD "hunter2"',
    ]);
  });
});

Deno.test("NutClient.connect() never quotes a password upsd cannot take", async () => {
  await using server = new ScriptedServer(answering({ "*": "OK\n" }));
  for (const password of ["hunter2\x07", "hunter2é", "hunter2\n"]) {
    await using c = client(server, { username: "mon", password });
    await assert.rejects(c.connect(), (error) => {
      assert.ok(error instanceof RangeError);
      assert.equal(
        error.message,
        'Cannot send "PASSWORD" to upsd: its value has a character other than printable ASCII',
      );
      return true;
    });
    assert.deepEqual(c.logs.filter((l) => l.includes("hunter2")), []);
  }
  assert.ok(!server.received.some((line) => line.includes("hunter2")));
});

Deno.test("NutClient.primary() falls back to MASTER on an old server", async () => {
  await using server = new ScriptedServer(answering({
    "PRIMARY dev1": "ERR UNKNOWN-COMMAND\n",
    "MASTER dev1": "OK MASTER-GRANTED\n",
  }));
  await using c = client(server);
  await c.primary();
  assert.deepEqual(server.received, ["PRIMARY dev1", "MASTER dev1"]);
});

Deno.test("NutClient times out a request that starts while the watch sleeps, on time", async () => {
  // The watch sleeps up to one reply timeout while idle; a request sent 600
  // ms into that sleep must still fail 1000 ms after it was sent, not when a
  // fresh sleep from the watch's wake-up ends (1400 ms).
  await using server = new ScriptedServer(async (conn) => {
    await conn.readLine();
    await conn.write(STATUS);
    while (await conn.readLine() !== null) { /* silent from now on */ }
  });
  await using c = client(server, { replyTimeoutMs: 1000 });
  assert.equal(await c.getVar("ups.status"), "OL");
  await pause(600);
  const started = performance.now();
  await assert.rejects(c.getVar("ups.status"), NutTimeoutError);
  const elapsed = performance.now() - started;
  assert.ok(elapsed >= 990 && elapsed < 1300, `took ${Math.round(elapsed)} ms`);
});

/**
 * A server that closes a connection silent for `idleMs` (upsd's idle close,
 * shortened) and answers `NETVER` after `netverDelayMs`, anything else with
 * the status.
 */
function idleClosingServer(idleMs: number, netverDelayMs = 0): ScriptedServer {
  return new ScriptedServer(async (conn) => {
    for (;;) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const line = await Promise.race([
        conn.readLine(),
        new Promise<null>((resolve) =>
          timer = setTimeout(resolve, idleMs, null)
        ),
      ]);
      clearTimeout(timer);
      if (!line) return conn.close();
      if (line === "NETVER") await pause(netverDelayMs);
      await conn.write(line === "NETVER" ? "1.3\n" : STATUS);
    }
  });
}

Deno.test("NutClient keeps the connection alive after a request that took long, with a reply timeout above the keep-alive", async () => {
  // The watch slept towards the slow request's deadline (2 s away) and missed
  // the keep-alive due 150 ms after its reply; this server drops a client
  // silent for 700 ms.
  await using server = idleClosingServer(700, 250);
  await using c = client(server, { keepAliveMs: 150, replyTimeoutMs: 2000 });
  assert.equal(await c.getVar("ups.status"), "OL");
  await pause(2500);
  assert.equal(await c.getVar("ups.status"), "OL");
  assert.equal(
    server.accepted,
    1,
    `reconnected; server got ${server.received}`,
  );
});

Deno.test("NutClient keeps an idle connection alive with NETVER", async () => {
  // Like upsd's 60 s idle close, shortened: a line must come within 300 ms.
  await using server = idleClosingServer(300);
  await using c = client(server, { keepAliveMs: 100 });
  assert.equal(await c.getVar("ups.status"), "OL");
  await pause(800);
  assert.equal(c.connected, true);
  assert.equal(await c.getVar("ups.status"), "OL");
  assert.equal(server.accepted, 1);
  assert.ok(server.received.filter((l) => l === "NETVER").length >= 4);
});

Deno.test("NutClient.poll() reads a nudged LIST VAR and skips the nudge replies", async () => {
  await using server = new ScriptedServer(async (conn) => {
    for (
      let line = await conn.readLine();
      line !== null;
      line = await conn.readLine()
    ) {
      if (line === "NETVER") {
        await conn.write("1.3\n");
        continue;
      }
      // One line per write with a pause, like upsd under Nagle.
      await conn.write("BEGIN LIST VAR dev1\n");
      await pause(5);
      await conn.write('VAR dev1 battery.charge "97"\n');
      await pause(5);
      await conn.write('VAR dev1 ups.status "OB DISCHRG"\nEND LIST VAR dev1\n');
    }
  });
  await using c = client(server, { pollStrategy: "list" });
  const names = ["ups.status", "battery.charge", "ups.alarm"];
  for (let i = 0; i < 3; i++) {
    assert.deepEqual(
      await c.poll(names),
      new Map([["ups.status", "OB DISCHRG"], ["battery.charge", "97"]]),
    );
  }
  assert.ok(server.received.includes("NETVER"));
  assert.equal(server.accepted, 1);
});

Deno.test("NutClient.close() ends at once while a keep-alive waits on a silent server", async () => {
  await using server = new ScriptedServer(async (conn) => {
    await conn.readLine();
    await conn.write(STATUS);
    while (await conn.readLine() !== null) {
      // Silent from now on: the keep-alive is never answered.
    }
  });
  const c = client(server, { keepAliveMs: 200, replyTimeoutMs: 60_000 });
  assert.equal(await c.getVar("ups.status"), "OL");
  await pause(500); // the keep-alive NETVER is sent and never answered
  const started = performance.now();
  await c.close();
  const elapsed = performance.now() - started;
  assert.ok(elapsed < 1000, `close took ${Math.round(elapsed)} ms`);
});

Deno.test("NutClient.close() ends a request waiting on a silent server without resending it", async () => {
  await using server = new ScriptedServer(async (conn) => {
    await conn.readLine();
    await conn.write(STATUS);
    while (await conn.readLine() !== null) { /* silent from now on */ }
  });
  const c = client(server, { replyTimeoutMs: 60_000 });
  assert.equal(await c.getVar("ups.status"), "OL");
  const request = c.getVar("ups.status");
  const failed = assert.rejects(request, NutConnectionError);
  await pause(100); // the request waits for its reply
  const started = performance.now();
  await c.close();
  await failed;
  const elapsed = performance.now() - started;
  assert.ok(elapsed < 1000, `close took ${Math.round(elapsed)} ms`);
  assert.equal(server.accepted, 1, `resent on a new connection`);
  await assert.rejects(c.getVar("ups.status"), {
    name: "NutConnectionError",
    message:
      `Cannot reach upsd at "127.0.0.1:${server.port}": the client is closed`,
  });
});

Deno.test({
  name:
    "NutClient.close() ends a request still waiting in the handshake on a silent server",
  timeout: 10_000,
}, async () => {
  await using server = new ScriptedServer(async (conn) => {
    while (await conn.readLine() !== null) { /* never answers USERNAME */ }
  });
  const c = client(server, {
    username: "admin",
    password: "adminpass",
    replyTimeoutMs: 60_000,
  });
  const request = c.getVar("ups.status");
  const failed = assert.rejects(request, NutConnectionError);
  while (server.received.length === 0) await pause(10);
  const started = performance.now();
  await c.close();
  await failed;
  assert.ok(performance.now() - started < 1000, "closed at once");
});
