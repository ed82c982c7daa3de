/**
 * The part of HTTP/1.x the endpoint speaks: find the end of a request head
 * in the bytes received, read its request line, and decide the answer's
 * status and content from the method and the path. Headers and bodies are
 * ignored (every answer closes the connection). Pure.
 *
 * @pure
 * @module
 */

/** What the endpoint serves. */
export type Route = "metrics" | "status";

/** The answer to a request head. */
export type Routing =
  | { readonly kind: "route"; readonly route: Route; readonly head: boolean }
  | {
    readonly kind: "error";
    readonly status: 400 | 404 | 405;
    readonly message: string;
  };

const CR = 13;
const LF = 10;

/**
 * Where the head ends: after the first empty line (`\r\n\r\n`, or `\n\n`
 * from a lenient client).
 *
 * @param bytes The bytes received so far.
 * @param length How many of them are filled.
 * @param from Where to start looking (what was already searched, less 3).
 * @returns The index just after the empty line, or -1 when not yet there.
 */
export function headEnd(bytes: Uint8Array, length: number, from = 0): number {
  for (let i = Math.max(0, from); i < length; i++) {
    if (bytes[i] !== LF) continue;
    if (bytes[i - 1] === LF) return i + 1;
    if (bytes[i - 1] === CR && bytes[i - 2] === LF) return i + 1;
  }
  return -1;
}

const REQUEST_LINE = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+) (\/[^ ]*) HTTP\/1\.[01]$/;
const PATHS: Readonly<Record<string, Route>> = {
  "/metrics": "metrics",
  "/status": "status",
};

/**
 * Decides the answer from the request line.
 *
 * @param head The request head as text (request line first).
 * @returns The route, or the error status with a one-line message.
 */
export function routeRequest(head: string): Routing {
  const lineEnd = head.indexOf("\n");
  const line = (lineEnd === -1 ? head : head.slice(0, lineEnd)).replace(
    /\r$/,
    "",
  );
  const match = REQUEST_LINE.exec(line);
  if (match === null) {
    return {
      kind: "error",
      status: 400,
      message: "Bad request: expected an HTTP/1.x request line",
    };
  }
  const method = match[1]!;
  const target = match[2]!;
  const query = target.search(/[?#]/);
  const path = query === -1 ? target : target.slice(0, query);
  const route = PATHS[path];
  if (route === undefined) {
    return {
      kind: "error",
      status: 404,
      message: `Not found: "${path}"; try "/metrics" or "/status"`,
    };
  }
  if (method !== "GET" && method !== "HEAD") {
    return {
      kind: "error",
      status: 405,
      message: `Method not allowed: "${method}"; use GET`,
    };
  }
  return { kind: "route", route, head: method === "HEAD" };
}
