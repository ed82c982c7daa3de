/**
 * Keeps the V8 inspector shut. Since 2.9.2, `deno run` opens an
 * unauthenticated inspector on 127.0.0.1:9229 when the process gets SIGUSR1
 * (denoland/deno#35738, `cli/worker.rs` `spawn_sigusr1_inspector_listener`),
 * with no flag or variable to turn it off and whatever the permission set
 * says; anyone who can connect to that port could then run code as root.
 * The inspector binds that one fixed address and gives up if it is taken, so
 * the daemon takes it first and closes every connection at once. A compiled
 * binary (denort, `cli/rt`) has no such listener as of 2.9.6; holding the
 * port costs nothing there and covers a future version that adds one.
 *
 * @module
 */
import type { Clock } from "./clock.ts";
import type { Logger } from "./log.ts";

/** Where Deno's SIGUSR1 inspector listens (`default_inspector_host`). */
export const INSPECTOR_PORT = 9229;

/** How often a port held by another process is tried again. */
export const INSPECTOR_GUARD_RETRY_MS = 10_000;

/** Options of {@linkcode guardInspectorPort}. */
export interface InspectorGuardOptions {
  /** Hears what the guard does (debug) and when it cannot work (warning). */
  logger: Logger;
  /** Paces the retries. */
  clock: Clock;
  /** The port to hold; tests choose a free one. @default INSPECTOR_PORT */
  port?: number;
  /** @default INSPECTOR_GUARD_RETRY_MS */
  retryMs?: number;
}

/**
 * Holds 127.0.0.1:`port` until disposed, so a SIGUSR1 cannot open the V8
 * inspector there. While another process holds the port the inspector
 * cannot bind it either; the guard tries again every `retryMs`. A bind the
 * system refuses (systemd's `SocketBindDeny=`) is refused to the inspector
 * too, and the guard stops.
 *
 * @param options Logger, clock, port.
 * @returns A handle; disposing it releases the port.
 */
export function guardInspectorPort(
  options: InspectorGuardOptions,
): AsyncDisposable {
  const { logger, clock } = options;
  const port = options.port ?? INSPECTOR_PORT;
  const stop = new AbortController();
  const hold = async (listener: Deno.TcpListener) => {
    const close = () => listener.close();
    stop.signal.addEventListener("abort", close, { once: true });
    logger.debug("inspector.guarded", "Holding the inspector port", { port });
    // The listener's iterator ends once it is closed.
    for await (const conn of listener) conn.close();
  };
  const running = (async () => {
    while (!stop.signal.aborted) {
      let listener: Deno.TcpListener;
      try {
        listener = Deno.listen({ hostname: "127.0.0.1", port });
      } catch (error) {
        if (error instanceof Deno.errors.PermissionDenied) {
          logger.debug(
            "inspector.guard_denied",
            "Binding the inspector port is denied to this service, to the inspector too",
            { port, error },
          );
          return;
        }
        if (error instanceof Deno.errors.NotCapable) {
          logger.warning(
            "inspector.guard_failed",
            `Cannot hold the inspector port "127.0.0.1:${port}": no net permission; SIGUSR1 would open the V8 inspector there`,
          );
          return;
        }
        logger.debug(
          "inspector.guard_busy",
          "The inspector port is in use: trying again later",
          { port, error },
        );
        await clock.sleep(
          options.retryMs ?? INSPECTOR_GUARD_RETRY_MS,
          stop.signal,
        )
          .catch(() => {/* stopped while waiting */});
        continue;
      }
      await hold(listener);
    }
  })();
  return {
    async [Symbol.asyncDispose]() {
      stop.abort();
      await running;
    },
  };
}
