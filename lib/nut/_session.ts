/**
 * One open connection to upsd: writes one request at a time, reads replies
 * through the pure framer, nudges `LIST` replies past upsd's Nagle stall
 * (NUT.md §7) and drops itself on any failure. Internal to the client.
 *
 * @module
 */

import { errorMessage } from "../errors.ts";
import type { NutConnection, StartTlsOptions } from "./transport.ts";
import {
  type Expect,
  LineSplitter,
  MAX_REPLY_BYTES,
  NutConnectionError,
  NutProtocolError,
  NutTimeoutError,
  type Reply,
  ReplyFramer,
} from "./protocol.ts";

const NUDGE = new TextEncoder().encode("NETVER\n");

/** What a failed exchange is about, for its message. */
export interface ExchangeContext {
  /** Phrase after "Cannot", e.g. `read UPS "ups"`. */
  action: string;
  /** `host:port` of upsd. */
  endpoint: string;
  /** The reply timeout, for the message. */
  timeoutMs: number;
}

/** A live connection; after any failure it is closed and stays closed. */
export class Session {
  #conn: NutConnection;
  #buffer = new Uint8Array(16 * 1024);
  #decoder = new TextDecoder();
  #encoder = new TextEncoder();
  #splitter = new LineSplitter();
  #framer = new ReplyFramer();
  /** Lines split off but not yet fed to the framer. */
  #lines: string[] = [];
  /** One flag per pending reply: `true` for nudges, whose reply is dropped. */
  #discard: boolean[] = [];
  #inflight: Promise<unknown> | null = null;
  #closed: Promise<void> | null = null;
  #expired = false;
  /** Bytes read since the current request was sent. */
  #replyBytes = 0;
  /** What this connection is logged in to (`LOGIN <ups>`). */
  readonly sent: { login?: string } = {};
  /** Whether the channel is TLS. */
  tls = false;

  /** The IP address of this end, when the transport tells it. */
  get localAddress(): string | undefined {
    return this.#conn.localAddress;
  }

  /** @param conn A freshly opened connection. */
  constructor(conn: NutConnection) {
    this.#conn = conn;
  }

  /** Whether the session was closed. */
  get closed(): boolean {
    return this.#closed !== null;
  }

  /**
   * Sends one request and waits for its reply.
   *
   * @param line The encoded request, LF-terminated.
   * @param expect The shape of its reply.
   * @param context For error messages.
   * @returns The reply, which may be an `ERR` line.
   * @throws {NutConnectionError} When the link fails; the session is closed.
   */
  async exchange(
    line: string,
    expect: Expect,
    context: ExchangeContext,
  ): Promise<Reply> {
    if (this.#closed) {
      throw new NutConnectionError(
        `Cannot ${context.action}: the connection to upsd at "${context.endpoint}" is closed`,
      );
    }
    try {
      await this.#write(this.#encoder.encode(line));
      this.#replyBytes = 0;
      this.#framer.expect(expect);
      this.#discard.push(false);
      return await this.#next(expect.kind === "list", context);
    } catch (error) {
      await this.close();
      throw wrap(error, this.#expired, context);
    }
  }

  /**
   * Upgrades to TLS after `OK STARTTLS`; no read may be pending, and nothing
   * may have arrived after that line.
   *
   * @param options Host name, CA certificates and an abort signal.
   * @returns A session on the TLS channel; this one is spent.
   * @throws {NutProtocolError} When the server sent more than the OK line.
   */
  async startTls(options: StartTlsOptions): Promise<Session> {
    if (this.#lines.length > 0 || this.#splitter.partial) {
      await this.close();
      throw new NutProtocolError(
        'Cannot start TLS with upsd: it sent data after "OK STARTTLS"',
        this.#lines[0] ?? "",
      );
    }
    this.#closed = Promise.resolve();
    const session = new Session(await this.#conn.startTls(options));
    session.tls = true;
    return session;
  }

  /**
   * Ends a request that waited too long: closes the socket, so the pending
   * read fails and the request reports a timeout.
   */
  expire(): void {
    this.#expired = true;
    this.close();
  }

  /** Closes the socket and waits for the pending read to end. */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      this.#conn.close();
      try {
        await this.#inflight;
      } catch {
        // The read fails because the socket was closed under it: expected.
      }
    })();
    return this.#closed;
  }

  async #write(data: Uint8Array): Promise<void> {
    for (let offset = 0; offset < data.length;) {
      offset += await this.#conn.write(data.subarray(offset));
    }
  }

  async #next(nudge: boolean, context: ExchangeContext): Promise<Reply> {
    for (let reads = 0;; reads++) {
      while (this.#lines.length > 0) {
        const reply = this.#framer.push(this.#lines.shift()!);
        if (reply !== null && !this.#discard.shift()) return reply;
      }
      if (nudge && reads > 0) {
        // upsd's Nagle holds the rest of the list until we ACK; data from us
        // carries the ACK at once (NUT.md §7). Its reply is discarded. Also
        // after a read of old nudge replies only: upsd's first list line may
        // wait behind them for the same ACK.
        await this.#write(NUDGE);
        this.#framer.expect({ kind: "line" });
        this.#discard.push(true);
      }
      const read = this.#conn.read(this.#buffer);
      this.#inflight = read;
      const n = await read;
      this.#inflight = null;
      if (n === null) {
        throw new NutConnectionError(
          `Cannot ${context.action}: upsd at "${context.endpoint}" closed the connection`,
        );
      }
      this.#replyBytes += n;
      if (this.#replyBytes > MAX_REPLY_BYTES) {
        // Checked per read, before decoding: a hostile server costs at most
        // this much memory, whatever its lines and lists look like.
        throw new NutProtocolError(
          `Cannot ${context.action}: the reply of upsd at "${context.endpoint}" is longer than ${MAX_REPLY_BYTES} bytes`,
        );
      }
      const text = this.#decoder.decode(this.#buffer.subarray(0, n), {
        stream: true,
      });
      this.#lines.push(...this.#splitter.push(text));
    }
  }
}

function wrap(
  error: unknown,
  expired: boolean,
  context: ExchangeContext,
): Error {
  if (expired) {
    return new NutTimeoutError(
      `Cannot ${context.action}: upsd at "${context.endpoint}" did not answer within ${context.timeoutMs} ms`,
      { cause: error },
    );
  }
  if (error instanceof NutConnectionError) return error;
  const detail = errorMessage(error);
  return new NutConnectionError(
    `Cannot ${context.action}: the connection to upsd at "${context.endpoint}" failed (${detail})`,
    { cause: error },
  );
}
