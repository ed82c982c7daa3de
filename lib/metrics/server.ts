/**
 * The HTTP endpoint: `GET /metrics` and `GET /status`, one request per
 * connection, answered from what the daemon has in memory. Bounded so that
 * no client can hold the daemon's memory or file descriptors: at most
 * `maxConnections` at once (more are closed at accept), a request head of at
 * most `maxHeadBytes` (a fixed buffer per connection; 431 beyond), and a
 * deadline per connection from accept to close (a client that stalls
 * mid-request is cut off).
 *
 * Built on `Deno.listen` rather than `Deno.serve` or `node:http`: measured
 * on Deno 2.9.6, `Deno.serve` accepts any number of connections and keeps a
 * half-sent request open indefinitely, and `node:http` enforces
 * `maxConnections` but not `headersTimeout`. A raw listener enforces all
 * three bounds, and the protocol needed here is one request line.
 *
 * @module
 */
import { errorMessage } from "../errors.ts";
import {
  formatListenAddress,
  type ListenAddress,
} from "../config/listen_address.ts";
import type { Clock } from "../system/clock.ts";
import type { Logger } from "../system/log.ts";
import { METRICS_CONTENT_TYPE } from "./render.ts";
import { headEnd, type Route, routeRequest } from "./request_head.ts";

/** Builds each answer from memory; null when nothing can be said now (503). */
export type HttpRoutes = Readonly<Record<Route, () => string | null>>;

/** The bounds of the endpoint. */
export interface HttpLimits {
  /** Connections served at once; more are closed at accept. @default 8 */
  maxConnections?: number;
  /** Largest request head, bytes. @default 8192 */
  maxHeadBytes?: number;
  /** Accept to close, per connection, ms. @default 5000 */
  deadlineMs?: number;
}

/** Options of {@linkcode HttpServer.listen}. */
export interface HttpServerOptions extends HttpLimits {
  clock: Clock;
  logger: Logger;
}

/** Why a connection was cut off or turned away. */
export type RejectReason = "busy" | "deadline" | "too_large" | "bad_request";

/** The endpoint cannot listen on its address. */
export class HttpListenError extends Error {
  /** The address, as configured (`127.0.0.1:9171`). */
  readonly address: string;

  /**
   * @param address The address.
   * @param reason Why, in words (`address already in use`).
   * @param options Standard error options (`cause`).
   */
  constructor(address: string, reason: string, options?: ErrorOptions) {
    super(`Cannot listen on "${address}": ${reason}`, options);
    this.name = "HttpListenError";
    this.address = address;
  }
}

const CONTENT_TYPES: Record<Route, string> = {
  metrics: METRICS_CONTENT_TYPE,
  status: "application/json; charset=utf-8",
};

const REASONS: Record<number, string> = {
  200: "OK",
  400: "Bad Request",
  404: "Not Found",
  405: "Method Not Allowed",
  431: "Request Header Fields Too Large",
  500: "Internal Server Error",
  503: "Service Unavailable",
};

function listenReason(error: unknown): string {
  if (error instanceof Deno.errors.AddrInUse) return "address already in use";
  if (error instanceof Deno.errors.AddrNotAvailable) {
    return "no interface of this host has that address";
  }
  if (
    error instanceof Deno.errors.PermissionDenied ||
    error instanceof Deno.errors.NotCapable
  ) {
    return `permission denied (${errorMessage(error)})`;
  }
  return errorMessage(error);
}

/** A running endpoint. */
export interface HttpServer extends AsyncDisposable {
  /** Where it listens, with the port the system picked for port 0. */
  readonly address: ListenAddress;
  /** Connections cut off or turned away so far, by reason. */
  readonly rejections: Readonly<Record<RejectReason, number>>;
  /** Stops accepting, cuts the open connections, and waits for both. */
  close(): Promise<void>;
}

/**
 * Listens on `address` and serves `routes`.
 *
 * @param address Where to listen.
 * @param routes The answers.
 * @param options The clock, the logger and the bounds.
 * @returns The running server; close it with `close()` or `await using`.
 * @throws {HttpListenError} When the address cannot be bound.
 */
export function listenHttp(
  address: ListenAddress,
  routes: HttpRoutes,
  options: HttpServerOptions,
): HttpServer {
  let listener: Deno.TcpListener;
  try {
    listener = Deno.listen({
      transport: "tcp",
      hostname: address.hostname,
      port: address.port,
    });
  } catch (error) {
    throw new HttpListenError(
      formatListenAddress(address),
      listenReason(error),
      { cause: error },
    );
  }
  return new Endpoint(listener, routes, {
    maxConnections: 8,
    maxHeadBytes: 8192,
    deadlineMs: 5000,
    ...options,
  });
}

/** The server behind {@linkcode listenHttp}. */
class Endpoint implements HttpServer {
  readonly address: ListenAddress;
  readonly rejections: Record<RejectReason, number> = {
    busy: 0,
    deadline: 0,
    "too_large": 0,
    "bad_request": 0,
  };
  #listener: Deno.TcpListener;
  #routes: HttpRoutes;
  #options: Required<HttpLimits> & HttpServerOptions;
  #active = new Set<Promise<void>>();
  #closing = new AbortController();
  #accepting: Promise<void>;

  constructor(
    listener: Deno.TcpListener,
    routes: HttpRoutes,
    options: Required<HttpLimits> & HttpServerOptions,
  ) {
    this.#listener = listener;
    this.#routes = routes;
    this.#options = options;
    this.address = {
      hostname: listener.addr.hostname,
      port: listener.addr.port,
    };
    this.#accepting = this.#acceptLoop();
  }

  async close(): Promise<void> {
    if (!this.#closing.signal.aborted) {
      this.#closing.abort();
      this.#listener.close();
    }
    await this.#accepting;
    await Promise.all(this.#active);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #acceptLoop(): Promise<void> {
    const { clock, logger } = this.#options;
    while (!this.#closing.signal.aborted) {
      let conn: Deno.TcpConn;
      try {
        conn = await this.#listener.accept();
      } catch (error) {
        if (this.#closing.signal.aborted) return;
        // Out of file descriptors, say: wait a little rather than spin.
        logger.warning("http.accept_failed", errorMessage(error));
        await clock.sleep(100, this.#closing.signal).catch(
          () => {/* stopping */},
        );
        continue;
      }
      if (this.#active.size >= this.#options.maxConnections) {
        this.#reject("busy");
        conn.close();
        continue;
      }
      const handled = this.#handle(conn).finally(() =>
        this.#active.delete(handled)
      );
      this.#active.add(handled);
    }
  }

  #reject(reason: RejectReason): void {
    this.rejections[reason]++;
    this.#options.logger.debug(
      "http.rejected",
      "HTTP connection cut off or turned away",
      { reason },
    );
  }

  /** One connection: read the head within the deadline, answer, close. */
  async #handle(conn: Deno.TcpConn): Promise<void> {
    const { clock, logger } = this.#options;
    let open = true;
    const close = () => {
      if (open) conn.close();
      open = false;
    };
    const answered = new AbortController();
    // Closing the connection is what interrupts a pending read or write.
    const deadline = clock.sleep(
      this.#options.deadlineMs,
      AbortSignal.any([answered.signal, this.#closing.signal]),
    ).then(() => {
      this.#reject("deadline");
      close();
    }, () => {
      if (this.#closing.signal.aborted) close();
    });
    try {
      const answer = await this.#answer(conn);
      if (answer !== null) await writeAll(conn, answer);
    } catch (error) {
      // Cut off by the deadline or the stop, or the client went away: there
      // is nobody left to answer.
      logger.debug("http.connection_ended", errorMessage(error));
    } finally {
      answered.abort();
      await deadline;
      close();
    }
  }

  /** Reads the head and builds the response; null when the client left early. */
  async #answer(conn: Deno.TcpConn): Promise<Uint8Array | null> {
    const buffer = new Uint8Array(this.#options.maxHeadBytes);
    let filled = 0;
    let end = -1;
    while (end === -1) {
      if (filled === buffer.length) {
        this.#reject("too_large");
        return response(431, "Request head too large\n", "text/plain");
      }
      const n = await conn.read(buffer.subarray(filled));
      if (n === null) return null;
      end = headEnd(buffer, filled + n, filled - 3);
      filled += n;
    }
    const head = new TextDecoder().decode(buffer.subarray(0, end));
    const routing = routeRequest(head);
    if (routing.kind === "error") {
      if (routing.status === 400) this.#reject("bad_request");
      return response(routing.status, routing.message + "\n", "text/plain", {
        allow: routing.status === 405,
      });
    }
    let body: string | null;
    try {
      body = this.#routes[routing.route]();
    } catch (error) {
      this.#options.logger.error("http.failed", errorMessage(error), {
        path: `/${routing.route}`,
      });
      return response(500, "Internal server error\n", "text/plain");
    }
    if (body === null) {
      return response(503, "Not ready: no session is running\n", "text/plain");
    }
    return response(200, body, CONTENT_TYPES[routing.route], {
      omitBody: routing.head,
    });
  }
}

function response(
  status: number,
  body: string,
  contentType: string,
  options: { allow?: boolean; omitBody?: boolean } = {},
): Uint8Array {
  const bytes = new TextEncoder().encode(body);
  const head = [
    `HTTP/1.1 ${status} ${REASONS[status] ?? ""}`,
    `Content-Type: ${
      contentType === "text/plain" ? "text/plain; charset=utf-8" : contentType
    }`,
    `Content-Length: ${bytes.length}`,
    "Cache-Control: no-store",
    "Connection: close",
    ...(options.allow ? ["Allow: GET, HEAD"] : []),
    "",
    "",
  ].join("\r\n");
  const headBytes = new TextEncoder().encode(head);
  if (options.omitBody) return headBytes;
  const out = new Uint8Array(headBytes.length + bytes.length);
  out.set(headBytes);
  out.set(bytes, headBytes.length);
  return out;
}

async function writeAll(conn: Deno.TcpConn, bytes: Uint8Array): Promise<void> {
  let written = 0;
  while (written < bytes.length) {
    written += await conn.write(bytes.subarray(written));
  }
}
