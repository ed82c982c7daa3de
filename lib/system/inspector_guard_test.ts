import assert from "node:assert/strict";
import { systemClock } from "./clock.ts";
import { guardInspectorPort } from "./inspector_guard.ts";
import { MemoryLogger } from "../testing/memory_logger.ts";

/** Resolves once `check` holds, polling every 20 ms, or throws after 5 s. */
async function eventually(check: () => boolean): Promise<void> {
  for (let waited = 0; waited < 5000; waited += 20) {
    if (check()) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error("Condition not met within 5000 ms");
}

/** Whether a connection to `port` is accepted and closed without a byte. */
async function closedAtOnce(port: number): Promise<boolean> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port }).catch(
    () => null,
  );
  if (conn === null) return false;
  try {
    return await conn.read(new Uint8Array(16)) === null;
  } finally {
    conn.close();
  }
}

Deno.test({
  name:
    "guardInspectorPort() waits for a busy port, holds it, closes each connection and releases it",
  timeout: 20_000,
}, async () => {
  const logger = new MemoryLogger();
  // Another process holds the port first: the guard keeps trying.
  const other = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = other.addr;
  {
    await using _guard = guardInspectorPort({
      logger,
      clock: systemClock,
      port,
      retryMs: 50,
    });
    await eventually(() =>
      logger.entries.some((e) => e.event === "inspector.guard_busy")
    );
    other.close();
    await eventually(() =>
      logger.entries.some((e) => e.event === "inspector.guarded")
    );
    assert.equal(await closedAtOnce(port), true);
    assert.throws(
      () => Deno.listen({ hostname: "127.0.0.1", port }),
      Deno.errors.AddrInUse,
    );
  }
  // Released on dispose.
  Deno.listen({ hostname: "127.0.0.1", port }).close();
});
