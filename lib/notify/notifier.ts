/**
 * The log-only notifier: the seam's simplest implementation, used when no
 * channel is configured and by tests. Re-exports the notification types.
 *
 * @module
 */
import type { Logger } from "../system/log.ts";
import type { Notification, Notifier } from "./notification.ts";

export type { Notification, Notifier, Severity } from "./notification.ts";

/** A notifier without channels: every notification becomes a debug log line. */
export class LogNotifier implements Notifier {
  #logger: Logger;
  #crisis = false;

  /** @param logger Where notifications are written. */
  constructor(logger: Logger) {
    this.#logger = logger;
  }

  notify(notification: Notification): void {
    // Whoever raised the event has logged it already: this is the trace of delivery.
    this.#logger.debug(
      "notify.message",
      `${notification.title}: ${notification.message}`,
      {
        "notified_event": notification.event,
        severity: notification.severity,
        ups: notification.ups,
        crisis: this.#crisis || undefined,
        ...notification.fields,
      },
    );
  }

  enterCrisis(): void {
    this.#crisis = true;
  }

  leaveCrisis(): void {
    this.#crisis = false;
  }

  flush(_timeoutMs: number, _options?: { final?: boolean }): Promise<boolean> {
    return Promise.resolve(true);
  }
}
