/**
 * A loopback TCP server that misbehaves on cue, for what upsd will not do on
 * request: garbage, silence, half lines, lists that never end, closes in the
 * middle of a reply. Test support only.
 *
 * @module
 */

/** One accepted connection, seen from the script. */
export interface ScriptedConnection {
  /** The next request line without its LF, or `null` at EOF or after close. */
  readLine(): Promise<string | null>;
  /** Writes raw text; failures (client gone) are ignored. */
  write(text: string): Promise<void>;
  /** Closes the connection. */
  close(): void;
}

/** What the server does with each connection; `index` counts from 0. */
export type Script = (
  conn: ScriptedConnection,
  index: number,
) => Promise<void>;

class Connection implements ScriptedConnection {
  #conn: Deno.Conn;
  #buffer = "";
  #decoder = new TextDecoder();
  #encoder = new TextEncoder();
  #closed = false;

  constructor(conn: Deno.Conn) {
    this.#conn = conn;
  }

  async readLine(): Promise<string | null> {
    const chunk = new Uint8Array(4096);
    while (!this.#buffer.includes("\n")) {
      if (this.#closed) return null;
      let n: number | null;
      try {
        n = await this.#conn.read(chunk);
      } catch {
        return null; // reset by the client or closed by the script: EOF
      }
      if (n === null) return null;
      this.#buffer += this.#decoder.decode(chunk.subarray(0, n));
    }
    const at = this.#buffer.indexOf("\n");
    const line = this.#buffer.slice(0, at);
    this.#buffer = this.#buffer.slice(at + 1);
    return line;
  }

  async write(text: string): Promise<void> {
    if (this.#closed) return;
    const bytes = this.#encoder.encode(text);
    try {
      for (let off = 0; off < bytes.length;) {
        off += await this.#conn.write(bytes.subarray(off));
      }
    } catch {
      // The client dropped the connection: that is what some tests expect.
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#conn.close();
  }
}

/** A running scripted server; `await using` closes it and its connections. */
export class ScriptedServer implements AsyncDisposable {
  #listener: Deno.Listener;
  #open = new Set<Connection>();
  #tasks = new Set<Promise<void>>();
  #accepting: Promise<void>;
  /** Every request line received, over all connections, in order. */
  readonly received: string[] = [];
  /** Number of connections accepted so far. */
  accepted = 0;

  /** @param script What to do with each connection. */
  constructor(script: Script) {
    this.#listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    this.#accepting = this.#accept(script);
  }

  /** The port it listens on. */
  get port(): number {
    return (this.#listener.addr as Deno.NetAddr).port;
  }

  /** The address for a client config, with the given UPS name. */
  address(ups = "dev1"): { ups: string; host: string; port: number } {
    return { ups, host: "127.0.0.1", port: this.port };
  }

  async #accept(script: Script): Promise<void> {
    for await (const raw of this.#listener) {
      const conn = new Connection(raw);
      const received = this.received;
      const recording: ScriptedConnection = {
        async readLine() {
          const line = await conn.readLine();
          if (line !== null) received.push(line);
          return line;
        },
        write: (text) => conn.write(text),
        close: () => conn.close(),
      };
      this.#open.add(conn);
      const task = script(recording, this.accepted++)
        .catch(() => {/* a script failing on a dropped client is expected */})
        .finally(() => {
          conn.close();
          this.#open.delete(conn);
          this.#tasks.delete(task);
        });
      this.#tasks.add(task);
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.#listener.close();
    await this.#accepting.catch(() => {/* closed listener: done accepting */});
    for (const conn of this.#open) conn.close();
    await Promise.all(this.#tasks);
  }
}

/**
 * Answers requests from a table: exact request line → reply text (with its
 * LFs), or a function of the line; unknown lines get `ERR UNKNOWN-COMMAND`.
 *
 * @param table The replies.
 * @returns A script.
 */
export function answering(
  table: Record<string, string | ((line: string) => string | null)>,
): Script {
  return async (conn) => {
    for (
      let line = await conn.readLine();
      line !== null;
      line = await conn.readLine()
    ) {
      const entry = table[line] ?? table["*"];
      const reply = typeof entry === "function" ? entry(line) : entry;
      if (reply === null) return;
      await conn.write(reply ?? "ERR UNKNOWN-COMMAND\n");
    }
  };
}

/** Resolves after `ms`; for pacing scripts. */
export function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
