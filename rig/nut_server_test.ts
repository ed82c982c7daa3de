/**
 * The rig's NUT server against real upsd traffic: raw TCP exchanges (no
 * project client), on the container engine found here (podman, then docker)
 * and on the native engine. Without an engine the tests are ignored with the
 * install command printed, except under CI=true, where they fail.
 */

import assert from "node:assert/strict";
import { createRunner } from "../lib/system/exec.ts";
import { MemoryLogger } from "../lib/testing/memory_logger.ts";
import {
  detectEngine,
  Engine,
  type EngineChoice,
  EngineUnavailableError,
} from "./engine.ts";
import { ensureImages } from "./image.ts";
import {
  ADMIN,
  MONITOR,
  type NutServer,
  queryNut,
  startNutServer,
} from "./nut_server.ts";

const IN_CI = Deno.env.get("CI") === "true";
const TIMEOUT = 180_000;
const TIMED_OUT = Symbol("timed out");

/** The engine, or the reason it is unusable (a test failure in CI). */
async function find(choice: EngineChoice): Promise<Engine | Error> {
  try {
    return await detectEngine(choice);
  } catch (error) {
    if (!(error instanceof EngineUnavailableError)) throw error;
    if (!IN_CI) {
      Deno.stderr.writeSync(
        new TextEncoder().encode(`${error.message}: rig tests ignored\n`),
      );
    }
    return error;
  }
}

const ENGINES = [await find("auto"), await find("native")];
// Built here, outside every test's timeout: the first build on a machine
// runs debootstrap (about 40 s, longer on a slow mirror).
const BUILT = ENGINES[0] instanceof Engine
  ? await ensureImages(ENGINES[0]).catch((error: Error) => error)
  : null;

/** Resolves to the promise's value, or TIMED_OUT after `ms`. */
async function within<T>(
  promise: Promise<T>,
  ms: number,
): Promise<T | typeof TIMED_OUT> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** One raw connection to upsd; a timed-out line stays pending for later. */
class Session implements AsyncDisposable {
  #conn: Deno.TcpConn;
  #buffer = "";
  #decoder = new TextDecoder();
  #pending: Promise<string> | null = null;

  constructor(conn: Deno.TcpConn) {
    this.#conn = conn;
  }

  static async open(port: number): Promise<Session> {
    return new Session(await Deno.connect({ hostname: "127.0.0.1", port }));
  }

  async send(line: string): Promise<void> {
    await this.#conn.write(new TextEncoder().encode(line + "\n"));
  }

  /** The next reply line (the same promise until it settles). */
  line(): Promise<string> {
    this.#pending ??= this.#read().finally(() => this.#pending = null);
    return this.#pending;
  }

  async request(line: string, ms = 2000): Promise<string> {
    await this.send(line);
    const reply = await within(this.line(), ms);
    if (reply === TIMED_OUT) throw new Error(`No reply to "${line}"`);
    return reply;
  }

  async login(user: { username: string; password: string }): Promise<void> {
    assert.equal(await this.request(`USERNAME ${user.username}`), "OK");
    assert.equal(await this.request(`PASSWORD ${user.password}`), "OK");
  }

  async #read(): Promise<string> {
    const chunk = new Uint8Array(4096);
    while (!this.#buffer.includes("\n")) {
      const n = await this.#conn.read(chunk);
      if (n === null) throw new Error("Connection closed by upsd");
      this.#buffer += this.#decoder.decode(chunk.subarray(0, n));
    }
    const end = this.#buffer.indexOf("\n");
    const line = this.#buffer.slice(0, end).trimEnd();
    this.#buffer = this.#buffer.slice(end + 1);
    return line;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.#conn.close();
    // A read still pending on purpose (silence tests) ends with the close.
    await this.#pending?.catch(() => {});
  }
}

/** Polls a query until `ok` accepts the reply; returns the elapsed ms. */
async function eventually(
  port: number,
  line: string,
  ok: (reply: string) => boolean,
  ms: number,
): Promise<number> {
  const start = performance.now();
  let last = "";
  while (performance.now() - start < ms) {
    last = await queryNut(port, line, 1000).catch((e) => String(e));
    if (ok(last)) return performance.now() - start;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.fail(`"${line}" never gave the expected reply; last "${last}"`);
}

const STATUS = "GET VAR dev1 ups.status";
const UPSES = [
  {
    name: "dev1",
    values: {
      "ups.status": "OL CHRG",
      "battery.charge": "100",
      "battery.runtime": "1800",
      "input.voltage": "230.1",
      "ups.mfr": "Rig Power",
    },
  },
  { name: "dev2", values: { "ups.status": "OB DISCHRG" } },
];

for (const found of ENGINES) {
  const name = found instanceof Engine ? found.name : "container";
  const ignore = !(found instanceof Engine) && !IN_CI;
  const start = async (maxAge = 15): Promise<NutServer> => {
    if (!(found instanceof Engine)) throw found;
    if (found.containers && BUILT instanceof Error) throw BUILT;
    return await startNutServer({ engine: found, upses: UPSES, maxAge });
  };
  const test = (
    what: string,
    fn: (server: NutServer, engine: Engine) => Promise<void>,
    maxAge?: number,
  ) =>
    Deno.test({
      name: `startNutServer() on ${name}: ${what}`,
      ignore,
      timeout: TIMEOUT,
      async fn() {
        await using server = await start(maxAge);
        await fn(server, found as Engine);
      },
    });

  test("serves every UPS with its values on a loopback port", async (s) => {
    assert.equal(s.host, "127.0.0.1");
    assert.deepEqual(s.upses, ["dev1", "dev2"]);
    assert.ok(s.startupMs > 0);
    assert.equal(
      await queryNut(s.port, STATUS),
      'VAR dev1 ups.status "OL CHRG"',
    );
    assert.equal(
      await queryNut(s.port, "GET VAR dev1 ups.mfr"),
      'VAR dev1 ups.mfr "Rig Power"',
    );
    assert.equal(
      await queryNut(s.port, "GET VAR dev2 ups.status"),
      'VAR dev2 ups.status "OB DISCHRG"',
    );
    assert.equal(
      await queryNut(s.port, "GET VAR dev1 nothing.here"),
      "ERR VAR-NOT-SUPPORTED",
    );
  });

  test("lets the admin SET VAR and FSD, not the monitor", async (s) => {
    await using admin = await Session.open(s.port);
    await admin.login(ADMIN);
    assert.equal(await admin.request('SET VAR dev1 battery.charge "42"'), "OK");
    const ms = await eventually(
      s.port,
      "GET VAR dev1 battery.charge",
      (reply) => reply.endsWith('"42"'),
      2000,
    );
    assert.ok(ms < 2000);
    assert.equal(await admin.request("FSD dev1"), "OK FSD-SET");
    assert.equal(
      await queryNut(s.port, STATUS),
      'VAR dev1 ups.status "FSD OL CHRG"',
    );
    await using mon = await Session.open(s.port);
    await mon.login(MONITOR);
    assert.equal(await mon.request("LOGIN dev1"), "OK");
    assert.equal(
      await mon.request('SET VAR dev1 battery.charge "1"'),
      "ERR ACCESS-DENIED",
    );
  });

  test("pause() silences the server and unpause() revives it", async (s) => {
    await using open = await Session.open(s.port);
    assert.match(await open.request(STATUS), /^VAR /);
    await s.pause();
    await open.send(STATUS);
    assert.equal(await within(open.line(), 2000), TIMED_OUT);
    await using late = await Session.open(s.port); // the kernel still accepts
    await late.send(STATUS);
    assert.equal(await within(late.line(), 1000), TIMED_OUT);
    await s.unpause();
    // The connection survives. Whether upsd 2.8.0 still answers a request
    // that arrived while it was frozen varies (seen both ways): a client
    // must time out, drop the connection and reconnect (NUT.md §2.2).
    await open.send("NETVER");
    let reply = await within(open.line(), 3000);
    if (typeof reply === "string" && reply.startsWith("VAR ")) {
      reply = await within(open.line(), 3000);
    }
    assert.equal(reply, "1.3");
    assert.match(await queryNut(s.port, STATUS), /^VAR dev1/);
  });

  test("linkDown() drops packets without a reset, linkUp() resumes", async (s) => {
    if (s.engine === "native") {
      await assert.rejects(
        s.linkDown(),
        /Cannot take the link down on the "native" engine/,
      );
      return;
    }
    await using open = await Session.open(s.port);
    assert.match(await open.request(STATUS), /^VAR /);
    await s.linkDown();
    await open.send(STATUS);
    // Silence, not an error: the pending read neither resolves nor rejects.
    assert.equal(await within(open.line(), 2000), TIMED_OUT);
    const connect = AbortSignal.timeout(1500);
    await assert.rejects(
      Deno.connect({ hostname: "127.0.0.1", port: s.port, signal: connect }),
      (error) => !(error instanceof Deno.errors.ConnectionRefused),
    );
    await s.linkUp();
    assert.match(String(await within(open.line(), 5000)), /^VAR dev1/);
    assert.match(await queryNut(s.port, STATUS), /^VAR dev1/);
  });

  test("stopUpsd() refuses connections, startUpsd() serves again", async (s) => {
    await using admin = await Session.open(s.port);
    await admin.login(ADMIN);
    assert.equal(await admin.request("FSD dev1"), "OK FSD-SET");
    await s.stopUpsd();
    await assert.rejects(
      queryNut(s.port, STATUS),
      Deno.errors.ConnectionRefused,
    );
    await s.startUpsd();
    // A new upsd has forgotten the latched FSD.
    await eventually(s.port, STATUS, (r) => r.endsWith('"OL CHRG"'), 5000);
  });

  test(
    "freezeDriver() gives DATA-STALE after MAXAGE, thawDriver() recovers",
    async (s) => {
      await s.freezeDriver("dev1");
      const stale = await eventually(
        s.port,
        STATUS,
        (r) => r === "ERR DATA-STALE",
        (s.maxAge + 5) * 1000,
      );
      assert.ok(stale <= (s.maxAge + 5) * 1000);
      assert.match(await queryNut(s.port, "GET VAR dev2 ups.status"), /^VAR /);
      await s.thawDriver("dev1");
      await eventually(s.port, STATUS, (r) => r.startsWith("VAR "), 5000);
    },
    4,
  );

  test("killDriver() gives DRIVER-NOT-CONNECTED, restartDriver() recovers", async (s) => {
    await s.killDriver("dev2");
    assert.equal(
      await queryNut(s.port, "GET VAR dev2 ups.status"),
      "ERR DRIVER-NOT-CONNECTED",
    );
    await s.restartDriver("dev2");
    assert.equal(
      await queryNut(s.port, "GET VAR dev2 ups.status"),
      'VAR dev2 ups.status "OB DISCHRG"',
    );
    await assert.rejects(s.killDriver("nope"), /Cannot act on UPS "nope"/);
  });
}

const container = ENGINES[0];
Deno.test({
  name: "startNutServer() container stops on TERM at once with exit code 0",
  ignore: !(container instanceof Engine) && !IN_CI,
  timeout: TIMEOUT,
  async fn() {
    if (!(container instanceof Engine)) throw container;
    if (BUILT instanceof Error) throw BUILT;
    await using server = await startNutServer({
      engine: container,
      upses: UPSES,
    });
    await server.freezeDriver("dev1"); // a frozen driver must not hold it up
    const started = performance.now();
    await container.cli("stop", ["stop", "--time", "20", server.name]);
    assert.ok(performance.now() - started < 5000, "stopped by TERM, not KILL");
    const code = await container.cli("inspect", [
      "inspect",
      "--format",
      "{{.State.ExitCode}}",
      server.name,
    ]);
    assert.equal(code.trim(), "0");
    assert.match(await server.logs(), /rig-entrypoint: stopping/);
  },
});

Deno.test("startNutServer() rejects values upsd would mangle", async () => {
  // Validation comes first: no engine is needed to see it.
  const runner = createRunner({ logger: new MemoryLogger(), dryRun: false });
  for (const value of ["café", 'Rig "1"', "a\\b", "#1"]) {
    await assert.rejects(
      startNutServer({
        engine: new Engine("podman", runner),
        upses: [{ name: "dev1", values: { "ups.mfr": value } }],
      }),
      new TypeError(
        `Cannot start upsd: the value of "ups.mfr" of "dev1" must be printable ASCII without '"', '\\' and '#'`,
      ),
    );
  }
});
