/**
 * The incident of a shutdown sequence, for channel kinds that edit one
 * message in place (Discord): the per-step table that the step
 * notifications fold into, which version of it the receiver shows, and what
 * to do next. A notification that a table never showed is handed back for a
 * message of its own (the fallback), so none is lost. Pure: time is a
 * parameter.
 *
 * @module
 * @pure
 */
import type { Notification, StepProgress } from "./notification.ts";
import { type Pace, paceDelayMs, type PaceQuery } from "./pace.ts";

/** Where a step stands in the table. */
export type IncidentStatus = "running" | "done" | "failed" | "timeout";

/** One row of the table: one step of the sequence. */
export interface IncidentRow {
  /** The plan's step id. */
  id: string;
  /** The step's title. */
  title: string;
  /** Running, or how it ended. */
  status: IncidentStatus;
  /** How long it took, ms; null while it runs. */
  durationMs: number | null;
  /** What it did, one line; empty while it runs. */
  summary: string;
  /** Further lines it reported. */
  details: readonly string[];
}

/** What the incident message shows. */
export interface IncidentTable {
  /** One row per step, in the order the steps started. */
  rows: readonly IncidentRow[];
  /** Whether the sequence only rehearses. */
  dryRun: boolean;
  /** The UPS as configured. */
  ups: string;
  /** Time of the latest update, ms since the epoch. */
  updatedMs: number;
}

/** A step notification folded in, with the table version it made. */
export interface FoldedStep {
  /** The table version that first showed it. */
  version: number;
  /** The notification as the sequence sent it. */
  notification: Notification;
}

/** One sequence's incident message at one channel. */
export interface Incident {
  /** The table as of the latest step notification. */
  table: IncidentTable;
  /** Bumped by every step notification folded in; 1 after the first. */
  version: number;
  /** The version the receiver shows; 0 before the message is posted. */
  shownVersion: number;
  /** Step notifications of versions the receiver does not show yet. */
  unshown: readonly FoldedStep[];
  /** The receiver's id of the message; null until posted. */
  messageId: string | null;
  /** Edits delivered so far. */
  edits: number;
  /**
   * `table` while the message is kept up to date; `fallback` once it cannot
   * be (no id, deleted, too many edits): every later step is a message.
   */
  mode: "table" | "fallback";
}

/** A step notification: one with its progress. */
export type StepNotification = Notification & { step: StepProgress };

/**
 * Edits of one incident message at most; past them, the remaining steps go
 * out as messages of their own. A sequence of 25 steps needs 50 (start and
 * end of each) when none coalesce.
 */
export const MAX_INCIDENT_EDITS = 50;

/** Events that begin a new sequence, and so a new incident message. */
const SEQUENCE_STARTS = new Set(["shutdown.triggered", "shutdown.resumed"]);

/**
 * Whether a notification belongs in the incident table.
 *
 * @param notification Any notification.
 * @returns True for a step's start or end.
 */
export function isStepNotification(
  notification: Notification,
): notification is StepNotification {
  return notification.step !== undefined;
}

/**
 * Whether a notification begins a new sequence: the next step opens a new
 * incident message instead of editing the last one.
 *
 * @param notification Any notification.
 * @returns True for a trigger or a resume.
 */
export function startsSequence(notification: Notification): boolean {
  return SEQUENCE_STARTS.has(notification.event);
}

/**
 * Folds a step's start or end into the incident, a new one when `incident`
 * is null.
 *
 * @param incident The sequence's incident so far, or null.
 * @param notification The step notification.
 * @returns The incident with the row added or updated and a new version.
 */
export function foldStep(
  incident: Incident | null,
  notification: StepNotification,
): Incident {
  const base = incident ?? {
    table: {
      rows: [],
      dryRun: notification.step.dryRun,
      ups: notification.ups,
      updatedMs: notification.timeMs,
    },
    version: 0,
    shownVersion: 0,
    unshown: [],
    messageId: null,
    edits: 0,
    mode: "table" as const,
  };
  const row = rowOf(notification.step);
  const rows = base.table.rows.some((r) => r.id === row.id)
    ? base.table.rows.map((r) => r.id === row.id ? row : r)
    : [...base.table.rows, row];
  const version = base.version + 1;
  return {
    ...base,
    table: {
      ...base.table,
      rows,
      dryRun: base.table.dryRun || notification.step.dryRun,
      updatedMs: Math.max(base.table.updatedMs, notification.timeMs),
    },
    version,
    unshown: [...base.unshown, { version, notification }],
  };
}

function rowOf(step: StepProgress): IncidentRow {
  if (step.phase === "start") {
    return {
      id: step.id,
      title: step.title,
      status: "running",
      durationMs: null,
      summary: "",
      details: [],
    };
  }
  return {
    id: step.id,
    title: step.title,
    status: step.phase,
    durationMs: step.durationMs ?? null,
    summary: step.summary ?? "",
    details: step.details ?? [],
  };
}

/**
 * The incident after the receiver accepted the table of `sent.version`.
 *
 * @param incident The incident.
 * @param sent The version sent, and the id the receiver gave a newly posted
 *   message (omitted for an edit).
 * @returns The incident with that version shown.
 */
export function markShown(
  incident: Incident,
  sent: { version: number; messageId?: string },
): Incident {
  const { version, messageId } = sent;
  const edit = messageId === undefined && incident.messageId !== null;
  return {
    ...incident,
    shownVersion: Math.max(incident.shownVersion, version),
    unshown: incident.unshown.filter((s) => s.version > version),
    messageId: messageId ?? incident.messageId,
    edits: incident.edits + (edit ? 1 : 0),
  };
}

/**
 * Gives up the table: the step notifications it does not show yet become
 * messages of their own, and so does every later step of the sequence.
 *
 * @param incident The incident.
 * @returns The incident in fallback mode and the notifications to send, oldest first.
 */
export function fallBack(
  incident: Incident,
): { incident: Incident; notifications: Notification[] } {
  return {
    incident: {
      ...incident,
      mode: "fallback",
      unshown: [],
      shownVersion: incident.version,
    },
    notifications: incident.unshown.map((s) => s.notification),
  };
}

/** What an incident needs from the sender next. */
export type IncidentWork = "post" | "edit" | "fallback" | "none";

/**
 * What an incident needs next: its first message (only once every message
 * queued before its first step went out, so it stays below the trigger), an
 * edit showing the latest table, a fallback once edits run out, or nothing.
 *
 * @param incident The incident.
 * @param anchorAtHead Whether its first step is the head of the queue, or no longer queued.
 * @returns The work to do.
 */
export function incidentWork(
  incident: Incident,
  anchorAtHead: boolean,
): IncidentWork {
  if (incident.mode === "fallback") return "none";
  if (incident.shownVersion >= incident.version) return "none";
  if (incident.messageId === null) return anchorAtHead ? "post" : "none";
  return incident.edits >= MAX_INCIDENT_EDITS ? "fallback" : "edit";
}

/** The sender's next move. */
export type SendPlan =
  | { kind: "idle" }
  | { kind: "fallback" }
  | { kind: "wait"; ms: number }
  | { kind: "incident"; work: "post" | "edit" }
  | { kind: "queue" };

/** What {@linkcode planSend} decides from. */
export interface SendState extends PaceQuery {
  /** The work of the first incident that has some, else `none`. */
  work: IncidentWork;
  /** Notifications queued for messages of their own. */
  queued: number;
  /** The channel's recent requests. */
  pace: Pace;
}

/**
 * The sender's next move: an incident's post or edit comes before queued
 * messages (an edit has no place in the channel to keep), and any request
 * waits until the rate limits allow it. Step notifications that arrive
 * while it waits fold into the table, so only the latest table is sent:
 * edits coalesce instead of queueing up.
 *
 * @param state The incident work, the queue and the pace.
 * @returns What to do now.
 */
export function planSend(state: SendState): SendPlan {
  if (state.work === "fallback") return { kind: "fallback" };
  if (state.work === "none" && state.queued === 0) return { kind: "idle" };
  const ms = paceDelayMs(state.pace, state);
  if (ms > 0) return { kind: "wait", ms };
  if (state.work === "post" || state.work === "edit") {
    return { kind: "incident", work: state.work };
  }
  return { kind: "queue" };
}
