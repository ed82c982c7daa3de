/**
 * The sending end of systemd's notification protocol (sd_notify(3)): each
 * message is one datagram of `KEY=VALUE` lines sent to the `AF_UNIX`
 * `SOCK_DGRAM` socket that `NOTIFY_SOCKET` names, a file system path or,
 * with a leading `@`, a name in the abstract namespace.
 *
 * Why libc through FFI. Deno 2.9 has no stable way to send a Unix datagram:
 * `Deno.listenDatagram` with transport `"unixpacket"` exists only under
 * `--unstable-net` (without it the function is undefined), `node:dgram`
 * creates `udp4`/`udp6` sockets only, and `node:net` and `Deno.connect`
 * open stream sockets, which systemd's datagram socket refuses. FFI is
 * stable in 2.9 (`Deno.dlopen` is in the stable namespace) and needs the
 * `ffi` permission, not a flag; the daemon already has unscoped `run`, which
 * Deno counts as the same escape from its sandbox, so `ffi` adds no power it
 * lacks. The permission is unscoped because a scoped grant makes Deno turn
 * `libc.so.6` into a path under the working directory, and libc's real path
 * differs between distributions and architectures. The alternative,
 * `systemd-notify` as a child per message, sends from a process that is not
 * the main one: it works under `NotifyAccess=main` only because root may
 * forge its parent's pid in the credentials, and otherwise needs
 * `NotifyAccess=all` with a race when the child exits before systemd looks
 * up its cgroup (sd_notify(3)). From the daemon's own socket the sender is
 * the main pid itself, with no fork per message.
 *
 * Every send is bounded: `MSG_DONTWAIT` makes `sendto` fail with `EAGAIN`
 * instead of waiting when systemd's queue is full, and the call is a single
 * system call on a datagram that fits a page. Linux only (systemd is).
 *
 * @module
 */
import { errorMessage } from "../errors.ts";

/** `AF_UNIX`. */
const AF_UNIX = 1;
/** `SOCK_DGRAM | SOCK_CLOEXEC`: children (virsh, ssh, ...) do not inherit it. */
const SOCK_DGRAM_CLOEXEC = 2 | 0o2000000;
/** `MSG_DONTWAIT | MSG_NOSIGNAL`: never block, never raise SIGPIPE. */
const SEND_FLAGS = 0x40 | 0x4000;
/** Bytes of `sun_path` in `struct sockaddr_un` on Linux. */
const SUN_PATH_BYTES = 108;

/** The errno values a send can meet, by name (Linux, every architecture). */
const ERRNO_NAMES: Readonly<Record<number, string>> = {
  1: "EPERM (operation not permitted)",
  2: "ENOENT (no such socket)",
  11: "EAGAIN (the receiver's queue is full)",
  13: "EACCES (permission denied)",
  20: "ENOTDIR (not a directory)",
  90: "EMSGSIZE (message too long)",
  91: "EPROTOTYPE (not a datagram socket)",
  97: "EAFNOSUPPORT (address family not supported)",
  105: "ENOBUFS (no buffer space)",
  111: "ECONNREFUSED (nobody listens on the socket)",
};

const LIBC_SYMBOLS = {
  socket: { parameters: ["i32", "i32", "i32"], result: "i32" },
  sendto: {
    parameters: ["i32", "buffer", "usize", "i32", "buffer", "u32"],
    result: "isize",
  },
  close: { parameters: ["i32"], result: "i32" },
  "__errno_location": { parameters: [], result: "pointer" },
} as const;

/** An open socket to systemd; dispose it to close it. */
export interface NotifySocket extends Disposable {
  /**
   * Sends one message, newline-separated `KEY=VALUE` assignments.
   *
   * @throws {Error} When the datagram cannot be sent (no socket, queue full).
   */
  send(message: string): void;
}

/**
 * The `struct sockaddr_un` bytes of a `NOTIFY_SOCKET` value.
 *
 * @param address A path (`/run/systemd/notify`) or an abstract name (`@name`).
 * @returns The address bytes, as long as `addrlen` must be.
 * @throws {TypeError} When the value is neither, or longer than `sun_path`.
 */
export function notifyAddress(address: string): Uint8Array {
  const name = new TextEncoder().encode(address.slice(1));
  let path: Uint8Array;
  if (address.startsWith("/")) {
    // A path is NUL-terminated, as sd_notify sends it.
    path = new TextEncoder().encode(`${address}\0`);
  } else if (address.startsWith("@") && name.length > 0) {
    // An abstract name: a leading NUL, no terminator.
    path = new Uint8Array([0, ...name]);
  } else {
    throw new TypeError(
      `Cannot use NOTIFY_SOCKET "${address}": expected an absolute path or "@" and a name`,
    );
  }
  if (path.length > SUN_PATH_BYTES) {
    throw new TypeError(
      `Cannot use NOTIFY_SOCKET "${address}": longer than ${SUN_PATH_BYTES} bytes`,
    );
  }
  const bytes = new Uint8Array(2 + path.length);
  // sa_family_t in the host's byte order.
  new Uint16Array(bytes.buffer, 0, 1)[0] = AF_UNIX;
  bytes.set(path, 2);
  return bytes;
}

/**
 * Opens a datagram socket for messages to `address` (libc through FFI).
 *
 * @param address The value of `NOTIFY_SOCKET`.
 * @returns The socket.
 * @throws {TypeError} When the address is not usable (see {@linkcode notifyAddress}).
 * @throws {Error} When libc cannot be loaded (no `ffi` permission, not
 * Linux) or no socket can be made.
 */
export function openNotifySocket(address: string): NotifySocket {
  const target = notifyAddress(address);
  if (Deno.build.os !== "linux") {
    throw new Error(
      `Cannot notify systemd at "${address}": not on Linux ("${Deno.build.os}")`,
    );
  }
  let libc: Deno.DynamicLibrary<typeof LIBC_SYMBOLS>;
  try {
    libc = Deno.dlopen("libc.so.6", LIBC_SYMBOLS);
  } catch (error) {
    throw new Error(
      `Cannot notify systemd at "${address}": cannot load libc: ${
        errorMessage(error)
      }`,
      { cause: error },
    );
  }
  const errno = () => {
    const where = libc.symbols.__errno_location();
    const code = where === null
      ? 0
      : new Deno.UnsafePointerView(where).getInt32();
    return ERRNO_NAMES[code] ?? `errno ${code}`;
  };
  const fd = libc.symbols.socket(AF_UNIX, SOCK_DGRAM_CLOEXEC, 0);
  if (fd < 0) {
    const reason = errno();
    libc.close();
    throw new Error(
      `Cannot notify systemd at "${address}": no socket: ${reason}`,
    );
  }
  const encoder = new TextEncoder();
  let open = true;
  return {
    send(message) {
      if (!open) throw new Error("Cannot notify systemd: the socket is closed");
      const data = encoder.encode(message);
      const sent = libc.symbols.sendto(
        fd,
        data,
        BigInt(data.length),
        SEND_FLAGS,
        target,
        target.length,
      );
      if (Number(sent) < 0) {
        throw new Error(`Cannot notify systemd at "${address}": ${errno()}`);
      }
    },
    [Symbol.dispose]() {
      if (!open) return;
      open = false;
      libc.symbols.close(fd);
      libc.close();
    },
  };
}
