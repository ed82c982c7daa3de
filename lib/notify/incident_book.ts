/**
 * A channel sender's incident messages: which sequence a step notification
 * belongs to, where in the queue the first message of each goes (its
 * anchor: the first step notification, so the message lands below the
 * trigger), which incident has work, the request that does it, what the
 * answer means, and the fallback to a message per step. The sender does the
 * requests; this keeps the books.
 *
 * @module
 */
import type { Logger } from "../system/log.ts";
import type { BoundIncident } from "./channel_kinds.ts";
import type { Colors } from "./discord.ts";
import {
  fallBack,
  foldStep,
  type Incident,
  type IncidentWork,
  incidentWork,
  isStepNotification,
  markShown,
  startsSequence,
} from "./incident.ts";
import type { Notification } from "./notification.ts";
import type { PostResult } from "./post.ts";

/** One sequence's incident and its place in the queue. */
export interface IncidentEntry {
  /** The incident as of now. */
  incident: Incident;
  /** The queued notification its first message replaces; null once posted or given up. */
  anchor: Notification | null;
  /** Sends of its table that failed in a row (network, 5xx, timeout). */
  failures: number;
}

/**
 * Failed sends of an incident's table in a row (429s included) before its
 * steps go out as messages of their own: a receiver whose edits fail must
 * not hold the summary back behind them.
 */
export const MAX_INCIDENT_FAILURES = 3;

/** The request that shows an incident's table. */
export interface IncidentRequest {
  /** JSON text. */
  body: string;
  /** The post URL (asking for the id) or the message's edit URL. */
  url: string;
  /** POST for the first table, PATCH for an edit. */
  method: "POST" | "PATCH";
  /** The incident. */
  entry: IncidentEntry;
  /** The table version the body shows. */
  version: number;
}

/** What {@linkcode IncidentBook} needs from its sender. */
export interface IncidentBookOptions {
  /** The channel's kind, bound to it. */
  kind: BoundIncident;
  /** The configured palette. */
  colors: Colors;
  /** Where a fallback is reported. */
  logger: Logger;
  /** The channel's name, for the log. */
  channel: string;
}

/** The incident messages of one channel, oldest first. */
export class IncidentBook {
  #options: IncidentBookOptions;
  #entries: IncidentEntry[] = [];
  /** The next step notification opens a new incident (a sequence began). */
  #openNew = true;

  /** @param options The channel's kind and collaborators. */
  constructor(options: IncidentBookOptions) {
    this.#options = options;
  }

  /**
   * Takes a notification the sender is about to queue.
   *
   * @param notification Any notification.
   * @returns `folded` when the incident table took it (queue nothing);
   *   `queue` when it goes into the queue: an ordinary message, or the
   *   anchor of a new incident.
   */
  accept(notification: Notification): "folded" | "queue" {
    if (startsSequence(notification)) {
      this.#openNew = true;
      return "queue";
    }
    if (!isStepNotification(notification)) return "queue";
    const current = this.#openNew ? undefined : this.#entries.at(-1);
    if (current === undefined) {
      this.#openNew = false;
      this.#entries.push({
        incident: foldStep(null, notification),
        anchor: notification,
        failures: 0,
      });
      return "queue";
    }
    if (current.incident.mode === "fallback") return "queue";
    current.incident = foldStep(current.incident, notification);
    return "folded";
  }

  /**
   * Whether a queued notification stands for an incident's first message.
   *
   * @param notification A queued notification.
   * @returns True for the anchor of an incident not posted yet.
   */
  isAnchor(notification: Notification): boolean {
    return this.#entries.some((e) => e.anchor === notification);
  }

  /**
   * The oldest incident with work, given the head of the queue; incidents
   * of ended sequences with nothing left to send are forgotten.
   *
   * @param queue The sender's queue.
   * @returns The entry and its work, or null when none has any.
   */
  next(
    queue: readonly Notification[],
  ): { entry: IncidentEntry; work: Exclude<IncidentWork, "none"> } | null {
    this.#entries = this.#entries.filter((e, i) =>
      i === this.#entries.length - 1 ||
      incidentWork(e.incident, true) !== "none"
    );
    for (const entry of this.#entries) {
      const anchorAtHead = entry.anchor === null || entry.anchor === queue[0];
      const work = incidentWork(entry.incident, anchorAtHead);
      if (work !== "none") return { entry, work };
    }
    return null;
  }

  /** Whether some incident still has a table to send. */
  get pending(): boolean {
    return this.#entries.some((e) => incidentWork(e.incident, true) !== "none");
  }

  /**
   * The post of an incident's first table, or the edit showing its latest.
   *
   * @param entry The incident.
   * @param work What it needs.
   * @returns The request.
   */
  request(entry: IncidentEntry, work: "post" | "edit"): IncidentRequest {
    const { kind, colors } = this.#options;
    const { incident } = entry;
    const id = work === "edit" ? incident.messageId : null;
    return {
      body: kind.body(incident.table, { colors, edit: id !== null }),
      url: id === null ? kind.postUrl() : kind.editUrl(id),
      method: id === null ? "POST" : "PATCH",
      entry,
      version: incident.version,
    };
  }

  /**
   * Records what the receiver shows after a post or an edit; a refusal, or
   * a post answered without an id, gives the table up.
   *
   * @param sent The request.
   * @param result The receiver's final answer (not a retry).
   * @param queue The sender's queue, for a fallback.
   */
  settle(
    sent: IncidentRequest,
    result: Extract<PostResult, { kind: "ok" | "drop" }>,
    queue: Notification[],
  ): void {
    const { entry, version, method } = sent;
    const edit = method === "PATCH";
    entry.failures = 0;
    if (result.kind === "drop") {
      const why = edit && result.status === 404
        ? "HTTP 404: the message or its webhook was deleted"
        : result.why;
      this.fallBack(entry, queue, why);
      return;
    }
    const messageId = edit
      ? undefined
      : this.#options.kind.messageId(result.body ?? "");
    entry.incident = markShown(entry.incident, {
      version,
      ...(messageId === undefined ? {} : { messageId }),
    });
    if (edit) return;
    if (messageId === undefined) {
      // Posted, so that table is shown; later steps cannot be edited in.
      this.fallBack(
        entry,
        queue,
        "the receiver did not answer the message's id",
      );
      return;
    }
    this.#takeAnchor(entry, queue);
  }

  /** Takes the anchor out of the queue; its step is in the table now. */
  #takeAnchor(entry: IncidentEntry, queue: Notification[]): number {
    const at = entry.anchor === null ? -1 : queue.indexOf(entry.anchor);
    if (at !== -1) queue.splice(at, 1);
    entry.anchor = null;
    return at;
  }

  /**
   * Counts a send that failed but may be retried (a timeout, a network
   * error, a 5xx or a 429); the last one allowed gives the table up.
   *
   * @param sent The request.
   * @param why What went wrong, for the log.
   * @param queue The sender's queue, for a fallback.
   */
  failed(sent: IncidentRequest, why: string, queue: Notification[]): void {
    const { entry } = sent;
    entry.failures++;
    if (entry.failures >= MAX_INCIDENT_FAILURES) {
      this.fallBack(entry, queue, `${why}, ${entry.failures} times in a row`);
    }
  }

  /**
   * Gives the incident up: every step notification it does not show yet
   * becomes a message of its own, and so does every later step; logged.
   *
   * @param entry The incident.
   * @param queue The sender's queue: the anchor is taken out, the notifications go first.
   * @param why Why, for the log.
   */
  fallBack(entry: IncidentEntry, queue: Notification[], why: string): void {
    const { incident, notifications } = fallBack(entry.incident);
    entry.incident = incident;
    const at = this.#takeAnchor(entry, queue);
    queue.splice(Math.max(0, at), 0, ...notifications);
    const { logger, channel } = this.#options;
    logger.warning(
      "notify.incident_fallback",
      `Cannot keep the shutdown steps in one message at notification channel "${channel}": ${why}; sending each step as a message of its own`,
      { channel },
    );
  }
}
