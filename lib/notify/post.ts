/**
 * One request to a notification channel and what its answer means: posted
 * with a timeout, never following a redirect, reading at most
 * {@linkcode MAX_RESPONSE_BYTES} of the answer, and with a 429's wait checked
 * and capped. Shell: calls the injected `fetch`.
 *
 * @module
 */
import type { ChannelConfig } from "../config/schema.ts";
import type { Clock } from "../system/clock.ts";
import { escapeControls, redact } from "../system/log.ts";
import { type BoundChannelKind, channelKindOf } from "./channel_kinds.ts";
import { cutChars } from "./text.ts";

/** What a receiver answered to one request. */
export type PostResult =
  | { kind: "ok"; status: number }
  | { kind: "rate_limited"; status: 429; retryAfterMs: number }
  | { kind: "retry"; status?: number; why: string }
  | { kind: "drop"; status: number; why: string };

/**
 * The longest wait a 429 may impose, ms. A receiver's larger `retry_after`
 * is cut to this: a channel must not go quiet for hours, and values past
 * setTimeout's 2^31 ms would wrap to 1 ms and hammer the receiver.
 */
export const MAX_RETRY_AFTER_MS = 60_000;

/** The wait after a 429 that names no usable one (absent, NaN, negative), ms. */
export const DEFAULT_RETRY_AFTER_MS = 1000;

/**
 * Bytes of an answer's body read at most; the rest is cancelled unread, so a
 * receiver sending an endless body costs neither memory nor time.
 */
export const MAX_RESPONSE_BYTES = 64 * 1024;

/** What {@linkcode post} sends, and how long it may take. */
export interface PostRequest {
  fetch: typeof globalThis.fetch;
  clock: Clock;
  /** The channel: URL, headers and how it reads a 429 come from its kind. */
  channel: ChannelConfig;
  /** JSON text to POST. */
  body: string;
  /** Bound on the whole exchange, body read included, ms. */
  timeoutMs: number;
  /** Cancels the request. */
  signal?: AbortSignal;
}

/**
 * Posts one request and classifies the answer. Never throws: network
 * errors and timeouts become `retry`, a redirect becomes `drop`.
 *
 * @param request Where and what to post.
 * @returns The classified answer.
 */
export async function post(request: PostRequest): Promise<PostResult> {
  const kind = channelKindOf(request.channel);
  const controller = new AbortController();
  const stopTimer = new AbortController();
  const onAbort = () => controller.abort();
  request.signal?.addEventListener("abort", onAbort, { once: true });
  request.clock.sleep(request.timeoutMs, stopTimer.signal).then(
    () => controller.abort(),
    () => {/* the request finished first */},
  );
  try {
    const response = await request.fetch(kind.url(), {
      method: "POST",
      headers: { "content-type": "application/json", ...kind.headers() },
      body: request.body,
      signal: controller.signal,
      // A redirect would carry the body and secret headers to another
      // address, from https to plain http too: it is reported, not followed.
      redirect: "manual",
    });
    const text = await readBounded(response, MAX_RESPONSE_BYTES);
    const status = response.status;
    if (status >= 200 && status < 300) return { kind: "ok", status };
    if (status === 429) {
      return {
        kind: "rate_limited",
        status,
        retryAfterMs: retryAfterMs(
          kind.retryAfterSeconds(text),
          response.headers.get("retry-after"),
        ),
      };
    }
    if (status >= 500 || status === 408) {
      return { kind: "retry", status, why: `HTTP ${status}` };
    }
    return { kind: "drop", status, why: describeRefusal(kind, status, text) };
  } catch (error) {
    if (controller.signal.aborted) {
      return {
        kind: "retry",
        why: request.signal?.aborted
          ? "cancelled"
          : `timed out after ${request.timeoutMs} ms`,
      };
    }
    // The message of a fetch error may quote the URL, which is a secret.
    return {
      kind: "retry",
      why: error instanceof TypeError ? "network error" : "request failed",
    };
  } finally {
    stopTimer.abort();
    request.signal?.removeEventListener("abort", onAbort);
  }
}

/**
 * The text of at most `maxBytes` of a response body; the stream is cancelled
 * after that (or after an error), never left half read.
 *
 * @param response An answer whose body is not read yet.
 * @param maxBytes Bytes read at most.
 * @returns The head of the body as text (UTF-8, lossy).
 */
export async function readBounded(
  response: Response,
  maxBytes: number,
): Promise<string> {
  if (response.body === null) return "";
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < maxBytes) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } finally {
    await reader.cancel().catch(() => {
      // Already closed, or errored by the timeout: nothing left to free.
    });
  }
  const bytes = new Uint8Array(Math.min(size, maxBytes));
  let offset = 0;
  for (const chunk of chunks) {
    const part = chunk.subarray(0, bytes.length - offset);
    bytes.set(part, offset);
    offset += part.length;
  }
  return new TextDecoder().decode(bytes);
}

/**
 * The wait after a 429: the body's value, else the `Retry-After` header (in
 * seconds), else {@linkcode DEFAULT_RETRY_AFTER_MS}; NaN, infinite and
 * negative values do not count; at most {@linkcode MAX_RETRY_AFTER_MS}.
 */
function retryAfterMs(
  fromBody: number | undefined,
  header: string | null,
): number {
  const fromHeader = header === null || header.trim() === ""
    ? undefined
    : Number(header);
  const seconds = [fromBody, fromHeader].find((value) =>
    value !== undefined && Number.isFinite(value) && value >= 0
  );
  if (seconds === undefined) return DEFAULT_RETRY_AFTER_MS;
  return Math.min(Math.ceil(seconds * 1000), MAX_RETRY_AFTER_MS);
}

/** Characters of a receiver's own error text kept in a message at most. */
const MAX_ERROR_TEXT = 200;

/**
 * Why a message was refused: the status read, then what the receiver said
 * (Slack's `invalid_payload`, Telegram's description) where its kind reads
 * one, bounded, on one line and with the channel's secrets masked.
 */
function describeRefusal(
  kind: BoundChannelKind,
  status: number,
  body: string,
): string {
  const said = kind.errorText(body);
  const quoted = said === undefined
    ? ""
    : `: "${
      cutChars(escapeControls(redact(said, kind.secrets())), MAX_ERROR_TEXT)
    }"`;
  if (status >= 300 && status < 400) {
    return `HTTP ${status}: the receiver answered a redirect to another address, which is not followed`;
  }
  if (status === 401 || status === 403) {
    return `HTTP ${status}: the receiver refused the request (check the token or headers)${quoted}`;
  }
  if (status === 404) return `HTTP 404: ${kind.notFound}${quoted}`;
  return `HTTP ${status}: the receiver rejected the message${quoted}`;
}
