/**
 * A stand-in for systemd's end of `NOTIFY_SOCKET`: a real `AF_UNIX`
 * `SOCK_DGRAM` socket bound by python3 (Deno cannot receive a Unix datagram
 * without `--unstable-net`, and receiving through the same FFI code as the
 * sender would prove nothing). Like systemd it sets `SO_PASSCRED`, so every
 * message comes with the sender's pid from the kernel. Test support only.
 *
 * @module
 */
import {
  type JsonProcess,
  type LoggedEvent,
  spawnJsonProcess,
} from "./json_process.ts";
import { IN_CI } from "./upsd.ts";

const PYTHON = "/usr/bin/python3";
const INSTALL = "apt-get install python3";

/** Binds argv[1] ("@name" is abstract), then prints one JSON line per datagram. */
const RECEIVER = `
import json, socket, struct, sys, time
address = sys.argv[1]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
s.bind("\\0" + address[1:] if address.startswith("@") else address)
def say(event, **fields):
    print(json.dumps({"event": event, "level": "info", **fields}), file=sys.stderr, flush=True)
say("receiver.ready", msg=address)
while True:
    data, ancillary, _, _ = s.recvmsg(65536, socket.CMSG_SPACE(12))
    pid = None
    for level, kind, value in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
            pid = struct.unpack("iII", value[:12])[0]
    say("sd_notify", msg=data.decode(), pid=pid, received_ms=time.monotonic() * 1000)
`;

/** Whether python3 is installed. */
export const PYTHON_PRESENT = (() => {
  try {
    return Deno.statSync(PYTHON).isFile;
  } catch {
    return false; // absent: the tests say how to install it
  }
})();

/**
 * `ignore` for tests that need the receiver: ignored without python3, except
 * in CI (there the test fails). Says once how to install it.
 */
export const IGNORE_WITHOUT_PYTHON: boolean = (() => {
  if (PYTHON_PRESENT || IN_CI) return false;
  Deno.stderr.writeSync(
    new TextEncoder().encode(
      `${PYTHON} is not installed: tests of the systemd notifications are ignored; install it with "${INSTALL}"\n`,
    ),
  );
  return true;
})();

/** One datagram as systemd would see it. */
export interface Notification {
  /**
   * When the receiver took it from the socket, its monotonic ms: a test that
   * reads the pipe late still sees the gaps between messages.
   */
  at: number;
  /** The sender's pid, from the kernel's credentials. */
  pid: number;
  /** The raw message. */
  text: string;
  /** Its assignments, e.g. `{ READY: "1", STATUS: "On line, …" }`. */
  fields: Record<string, string>;
}

/** A bound receiver. */
export interface NotifyReceiver extends AsyncDisposable {
  /** The value for `NOTIFY_SOCKET`. */
  readonly address: string;
  /** Every datagram so far, in order. */
  messages(): Notification[];
  /**
   * Waits for the first matching datagram at index `from` or later.
   *
   * @throws {Error} After `timeoutMs`, listing what arrived.
   */
  next(
    match: (message: Notification) => boolean,
    options?: { from?: number; timeoutMs?: number },
  ): Promise<Notification>;
}

function notificationOf(event: LoggedEvent): Notification {
  const text = String(event.msg);
  const fields: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const cut = line.indexOf("=");
    if (cut > 0) fields[line.slice(0, cut)] = line.slice(cut + 1);
  }
  return {
    at: Number(event["received_ms"]),
    pid: Number(event["pid"]),
    text,
    fields,
  };
}

/**
 * Binds a receiver at `address` and waits until it listens.
 *
 * @param address A path in a directory the test owns, or `@name`.
 * @returns The receiver; dispose it to stop it.
 * @throws {Error} When python3 is missing or the socket cannot be bound.
 */
export async function startNotifyReceiver(
  address: string,
): Promise<NotifyReceiver> {
  const child: JsonProcess = spawnJsonProcess(PYTHON, [
    "-c",
    RECEIVER,
    address,
  ]);
  const ready = await child.next((e) => e.event === "receiver.ready", {
    timeoutMs: 10_000,
  });
  if (ready === null) {
    await child[Symbol.asyncDispose]();
    throw new Error(
      `Cannot bind a notification receiver at "${address}": ${
        child.other.join("\n")
      }`,
    );
  }
  const received = () => child.events.filter((e) => e.event === "sd_notify");
  const messages = () => received().map(notificationOf);
  return {
    address,
    messages,
    async next(match, options = {}) {
      const from = options.from ?? 0;
      const timeoutMs = options.timeoutMs ?? 10_000;
      const found = await child.next(
        (e) =>
          e.event === "sd_notify" && received().indexOf(e) >= from &&
          match(notificationOf(e)),
        { timeoutMs },
      );
      if (found) return notificationOf(found);
      const seen = messages().slice(from).map((m) => JSON.stringify(m.text));
      throw new Error(
        `No matching notification within ${timeoutMs} ms; seen:\n  ${
          seen.join("\n  ")
        }`,
      );
    },
    [Symbol.asyncDispose]: () => child[Symbol.asyncDispose](),
  };
}
