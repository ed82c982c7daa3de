/**
 * A real HTTP server on loopback that records every request and answers as
 * the test scripts it: the stand-in for Discord and webhook receivers. Test
 * support only.
 *
 * @module
 */

/** One request the server received. */
export interface RecordedRequest {
  /** HTTP method, e.g. `POST`. */
  method: string;
  /** Path, e.g. `/api/webhooks/1/token`. */
  path: string;
  /** Query with its `?`, e.g. `?chat_id=-100123`; empty when none (absent in hand-made records). */
  query?: string;
  /** Request headers, lower-case names. */
  headers: Record<string, string>;
  /** Body as text. */
  body: string;
  /** Monotonic time of arrival, ms. */
  atMs: number;
}

/** Decides the answer to the n-th request (0-based); may wait on the request's signal. */
export type Responder = (
  request: RecordedRequest,
  index: number,
  signal: AbortSignal,
) => Response | Promise<Response>;

/** A running recording server. */
export interface RecordingServer extends AsyncDisposable {
  /** Base URL, e.g. `http://127.0.0.1:40123`. */
  url: string;
  /** Requests so far, in arrival order. */
  requests: RecordedRequest[];
  /** Resolves once `count` requests have arrived. */
  waitForRequests(count: number): Promise<void>;
}

/**
 * Starts a server on 127.0.0.1 with a free port.
 *
 * @param respond The answer to each request; 204 by default.
 * @returns The server; dispose it to stop it.
 */
export function startRecordingServer(
  respond: Responder = () => new Response(null, { status: 204 }),
): RecordingServer {
  const requests: RecordedRequest[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  const closing = new AbortController();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (request) => {
      const recorded: RecordedRequest = {
        method: request.method,
        path: new URL(request.url).pathname,
        query: new URL(request.url).search,
        headers: Object.fromEntries(request.headers),
        body: await request.text(),
        atMs: performance.now(),
      };
      const index = requests.push(recorded) - 1;
      for (const waiter of waiters.filter((w) => requests.length >= w.count)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
      return await respond(
        recorded,
        index,
        AbortSignal.any([request.signal, closing.signal]),
      );
    },
  );
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    requests,
    waitForRequests(count: number) {
      if (requests.length >= count) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ count, resolve }));
    },
    async [Symbol.asyncDispose]() {
      closing.abort();
      await server.shutdown();
    },
  };
}

/**
 * A responder that never answers until the request is cancelled or the
 * server stops: a hung webhook.
 *
 * @returns The responder.
 */
export function hang(): Responder {
  return (_request, _index, signal) =>
    new Promise((resolve) => {
      signal.addEventListener("abort", () =>
        resolve(new Response(null, { status: 503 })), { once: true });
    });
}
