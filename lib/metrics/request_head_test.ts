import assert from "node:assert/strict";
import { headEnd, routeRequest, type Routing } from "./request_head.ts";

Deno.test("headEnd() finds the empty line that ends the head, or says not yet", () => {
  const cases: [string, number][] = [
    ["GET / HTTP/1.1\r\nHost: x\r\n\r\n", 27],
    ["GET / HTTP/1.1\r\n\r\nbody", 18],
    ["GET / HTTP/1.1\n\n", 16],
    ["GET / HTTP/1.1\r\nHost: x\r\n", -1],
    ["GET / HTTP/1.1\r\n\r", -1],
    ["", -1],
  ];
  for (const [text, end] of cases) {
    const bytes = new TextEncoder().encode(text);
    assert.equal(headEnd(bytes, bytes.length), end, JSON.stringify(text));
  }
  // Only the filled part counts.
  const bytes = new TextEncoder().encode("GET / HTTP/1.1\r\n\r\n");
  assert.equal(headEnd(bytes, 17), -1);
});

Deno.test("routeRequest() serves GET and HEAD of /metrics and /status, 404 elsewhere, 405 for other methods", () => {
  const cases: [string, Routing][] = [
    ["GET /metrics HTTP/1.1\r\nHost: x", {
      kind: "route",
      route: "metrics",
      head: false,
    }],
    ["GET /status HTTP/1.0", { kind: "route", route: "status", head: false }],
    ["GET /metrics?name[]=x HTTP/1.1", {
      kind: "route",
      route: "metrics",
      head: false,
    }],
    ["HEAD /metrics HTTP/1.1", { kind: "route", route: "metrics", head: true }],
    ["POST /metrics HTTP/1.1", {
      kind: "error",
      status: 405,
      message: 'Method not allowed: "POST"; use GET',
    }],
    ["DELETE /status HTTP/1.1", {
      kind: "error",
      status: 405,
      message: 'Method not allowed: "DELETE"; use GET',
    }],
    ["GET / HTTP/1.1", {
      kind: "error",
      status: 404,
      message: 'Not found: "/"; try "/metrics" or "/status"',
    }],
    ["POST /metrics/x HTTP/1.1", {
      kind: "error",
      status: 404,
      message: 'Not found: "/metrics/x"; try "/metrics" or "/status"',
    }],
    ...[
      "GET /metrics",
      "GET /metrics HTTP/2",
      "GET  /metrics HTTP/1.1",
      "GET http://host/metrics HTTP/1.1",
      "\r\nGET /metrics HTTP/1.1",
      "",
      "\u0000\u0001",
    ].map((line): [string, Routing] => [line, {
      kind: "error",
      status: 400,
      message: "Bad request: expected an HTTP/1.x request line",
    }]),
  ];
  for (const [head, routing] of cases) {
    assert.deepEqual(routeRequest(head), routing, JSON.stringify(head));
  }
});
