import assert from "node:assert/strict";
import { systemClock } from "../system/clock.ts";
import { MemoryLogger } from "../testing/memory_logger.ts";
import {
  type HttpLimits,
  HttpListenError,
  type HttpRoutes,
  type HttpServer,
  listenHttp,
} from "./server.ts";

const LOOPBACK = { hostname: "127.0.0.1", port: 0 };
const ROUTES: HttpRoutes = {
  metrics: () => "# HELP up Up\n# TYPE up gauge\nup 1\n",
  status: () => JSON.stringify({ ups: "rack" }, null, 2) + "\n",
};

function serve(
  limits: HttpLimits = {},
  routes: HttpRoutes = ROUTES,
  logger = new MemoryLogger(),
): HttpServer {
  return listenHttp(LOOPBACK, routes, {
    clock: systemClock,
    logger,
    ...limits,
  });
}

function urlOf(server: HttpServer, path: string): string {
  return `http://127.0.0.1:${server.address.port}${path}`;
}

/** Sends raw bytes and reads until the server closes; "" when cut. */
async function raw(server: HttpServer, request: string): Promise<string> {
  using conn = await Deno.connect({ ...LOOPBACK, port: server.address.port });
  await conn.write(new TextEncoder().encode(request));
  return await readToEnd(conn);
}

async function readToEnd(conn: Deno.Conn): Promise<string> {
  const chunks: Uint8Array[] = [];
  const buffer = new Uint8Array(4096);
  try {
    for (;;) {
      const n = await conn.read(buffer);
      if (n === null) break;
      chunks.push(buffer.slice(0, n));
    }
  } catch (error) {
    // A reset after the server closed on unread bytes ends the answer too.
    if (!(error instanceof Deno.errors.ConnectionReset)) throw error;
  }
  return new TextDecoder().decode(
    new Uint8Array(chunks.flatMap((chunk) => [...chunk])),
  );
}

Deno.test(
  "listenHttp() serves GET /metrics and /status with their content types",
  {
    timeout: 10_000,
  },
  async () => {
    await using server = serve();
    const metrics = await fetch(urlOf(server, "/metrics"));
    assert.equal(metrics.status, 200);
    assert.equal(
      metrics.headers.get("content-type"),
      "text/plain; version=0.0.4; charset=utf-8",
    );
    assert.equal(metrics.headers.get("cache-control"), "no-store");
    assert.equal(await metrics.text(), "# HELP up Up\n# TYPE up gauge\nup 1\n");
    const status = await fetch(urlOf(server, "/status?pretty"));
    assert.equal(
      status.headers.get("content-type"),
      "application/json; charset=utf-8",
    );
    assert.deepEqual(await status.json(), { ups: "rack" });
    const head = await fetch(urlOf(server, "/metrics"), { method: "HEAD" });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get("content-length"), "34");
    assert.equal(await head.text(), "");
  },
);

Deno.test(
  "listenHttp() answers 404 for other paths and 405 for other methods",
  {
    timeout: 10_000,
  },
  async () => {
    await using server = serve();
    const cases: [string, string, number, string][] = [
      ["GET", "/", 404, 'Not found: "/"; try "/metrics" or "/status"\n'],
      [
        "GET",
        "/metrics/",
        404,
        'Not found: "/metrics/"; try "/metrics" or "/status"\n',
      ],
      ["POST", "/metrics", 405, 'Method not allowed: "POST"; use GET\n'],
      ["PUT", "/status", 405, 'Method not allowed: "PUT"; use GET\n'],
    ];
    for (const [method, path, status, text] of cases) {
      const response = await fetch(urlOf(server, path), {
        method,
        ...(method === "GET" ? {} : { body: "x" }),
      });
      assert.equal(response.status, status, `${method} ${path}`);
      assert.equal(await response.text(), text);
      assert.equal(
        response.headers.get("allow"),
        status === 405 ? "GET, HEAD" : null,
      );
    }
    assert.match(
      await raw(server, "HELLO\r\n\r\n"),
      /^HTTP\/1\.1 400 Bad Request\r\n[\s\S]*\r\n\r\nBad request: expected an HTTP\/1\.x request line\n$/,
    );
    assert.equal(server.rejections.bad_request, 1);
  },
);

Deno.test(
  "listenHttp() answers 503 while there is nothing to serve and 500 when building the answer fails",
  {
    timeout: 10_000,
  },
  async () => {
    const logger = new MemoryLogger();
    await using server = serve({}, {
      metrics: () => null,
      status: () => {
        throw new TypeError("Cannot read the state: a bug");
      },
    }, logger);
    const metrics = await fetch(urlOf(server, "/metrics"));
    assert.equal(metrics.status, 503);
    assert.equal(await metrics.text(), "Not ready: no session is running\n");
    const status = await fetch(urlOf(server, "/status"));
    assert.equal(status.status, 500);
    assert.equal(await status.text(), "Internal server error\n");
    assert.deepEqual(logger.events("http.failed").map((e) => e.msg), [
      "Cannot read the state: a bug",
    ]);
  },
);

Deno.test(
  "listenHttp() cuts off a client that stalls mid-request, and serves another scrape meanwhile",
  {
    timeout: 10_000,
  },
  async () => {
    await using server = serve({ deadlineMs: 400 });
    using slow = await Deno.connect({ ...LOOPBACK, port: server.address.port });
    await slow.write(new TextEncoder().encode("GET /metrics HTTP/1.1\r\nHo"));
    const opened = performance.now();
    const cut = readToEnd(slow).then(() => performance.now() - opened);
    // Another scrape while the slow one is open is answered at once.
    const started = performance.now();
    const response = await fetch(urlOf(server, "/metrics"));
    assert.equal(response.status, 200);
    await response.body?.cancel();
    const scrapeMs = performance.now() - started;
    assert.ok(scrapeMs < 300, `the scrape took ${Math.round(scrapeMs)} ms`);
    const cutAfter = await cut;
    assert.ok(
      cutAfter >= 350 && cutAfter < 2000,
      `cut after ${Math.round(cutAfter)} ms`,
    );
    assert.equal(server.rejections.deadline, 1);
  },
);

Deno.test(
  "listenHttp() closes connections beyond the cap at accept, and serves again once they are gone",
  {
    timeout: 10_000,
  },
  async () => {
    await using server = serve({ maxConnections: 2, deadlineMs: 500 });
    const port = server.address.port;
    using first = await Deno.connect({ ...LOOPBACK, port });
    using second = await Deno.connect({ ...LOOPBACK, port });
    // Let the server accept both before the third arrives.
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(await raw(server, "GET /metrics HTTP/1.1\r\n\r\n"), "");
    assert.equal(server.rejections.busy, 1);
    await Promise.all([readToEnd(first), readToEnd(second)]);
    assert.equal(server.rejections.deadline, 2);
    assert.match(
      await raw(server, "GET /metrics HTTP/1.1\r\n\r\n"),
      /^HTTP\/1\.1 200 OK\r\n/,
    );
  },
);

Deno.test("listenHttp() answers 431 to a request head larger than its buffer", {
  timeout: 10_000,
}, async () => {
  await using server = serve({ maxHeadBytes: 256 });
  const answer = await raw(
    server,
    `GET /metrics HTTP/1.1\r\nX-Big: ${"a".repeat(1000)}\r\n\r\n`,
  );
  assert.match(answer, /^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
  assert.equal(server.rejections.too_large, 1);
  // A head that just fits is served.
  const fits = `GET /metrics HTTP/1.1\r\nX: ${"a".repeat(200)}\r\n\r\n`;
  assert.equal(fits.length <= 256, true);
  assert.match(await raw(server, fits), /^HTTP\/1\.1 200 OK\r\n/);
});

Deno.test("listenHttp() throws HttpListenError naming the address when it is taken", () => {
  using taken = Deno.listen(LOOPBACK);
  const address = { hostname: "127.0.0.1", port: taken.addr.port };
  assert.throws(
    () =>
      listenHttp(address, ROUTES, {
        clock: systemClock,
        logger: new MemoryLogger(),
      }),
    (error: unknown) => {
      assert.ok(error instanceof HttpListenError);
      assert.equal(
        error.message,
        `Cannot listen on "127.0.0.1:${taken.addr.port}": address already in use`,
      );
      assert.equal(error.address, `127.0.0.1:${taken.addr.port}`);
      return true;
    },
  );
});

Deno.test("HttpServer.close() ends the connections still open", {
  timeout: 10_000,
}, async () => {
  const server = serve({ deadlineMs: 60_000 });
  using slow = await Deno.connect({ ...LOOPBACK, port: server.address.port });
  await slow.write(new TextEncoder().encode("GET /"));
  await new Promise((resolve) => setTimeout(resolve, 50));
  const started = performance.now();
  await server.close();
  assert.equal(await readToEnd(slow), "");
  assert.ok(performance.now() - started < 1000);
});
