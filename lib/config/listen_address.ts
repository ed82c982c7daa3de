/**
 * The address of the HTTP endpoint (`http.listen`): a literal IP address and
 * a port, `127.0.0.1:9171` or `[::1]:9171`. A host name is refused: it
 * would be resolved at every start and could bind somewhere unexpected, and
 * the endpoint has no authentication. Pure.
 *
 * @pure
 * @module
 */

/** Where the HTTP endpoint listens. */
export interface ListenAddress {
  /** A literal IPv4 or IPv6 address, IPv6 without brackets. */
  readonly hostname: string;
  /** TCP port; 0 lets the system pick one (it is logged at start). */
  readonly port: number;
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const IPV6 = /^[0-9A-Fa-f:.]+$/;
const PORT = /^\d{1,5}$/;

function isIPv4(text: string): boolean {
  const match = IPV4.exec(text);
  return match !== null &&
    match.slice(1).every((part) => Number(part) <= 255 && !/^0\d/.test(part));
}

/** IPv6 text: hex groups, at most one "::", an IPv4 tail allowed. */
function isIPv6(text: string): boolean {
  if (!IPV6.test(text) || !text.includes(":")) return false;
  const halves = text.split("::");
  if (halves.length > 2) return false;
  const groups = halves.flatMap((half) => half === "" ? [] : half.split(":"));
  const last = groups.at(-1) ?? "";
  const tail = last.includes(".") ? (isIPv4(last) ? 2 : -1) : 0;
  if (tail < 0) return false;
  const hex = tail === 0 ? groups : groups.slice(0, -1);
  if (!hex.every((group) => /^[0-9A-Fa-f]{1,4}$/.test(group))) return false;
  const count = hex.length + tail;
  return halves.length === 2 ? count < 8 : count === 8;
}

/**
 * Parses `IPv4:port` or `[IPv6]:port`.
 *
 * @param text The configured `http.listen`.
 * @returns The address, or a message that says what is wrong.
 */
export function parseListenAddress(
  text: string,
): { ok: true; value: ListenAddress } | { ok: false; message: string } {
  let hostname: string;
  let portText: string;
  if (text.startsWith("[")) {
    const close = text.indexOf("]");
    if (close === -1 || text[close + 1] !== ":") {
      return {
        ok: false,
        message: `expected "[IPv6]:port" such as "[::1]:9171", got "${text}"`,
      };
    }
    hostname = text.slice(1, close);
    portText = text.slice(close + 2);
    if (!isIPv6(hostname)) {
      return { ok: false, message: `"${hostname}" is not an IPv6 address` };
    }
  } else {
    const colon = text.lastIndexOf(":");
    if (colon === -1) {
      return {
        ok: false,
        message:
          `expected "address:port" such as "127.0.0.1:9171", got "${text}"`,
      };
    }
    hostname = text.slice(0, colon);
    portText = text.slice(colon + 1);
    if (hostname.includes(":")) {
      return {
        ok: false,
        message: `put an IPv6 address in brackets, as in "[::1]:9171"`,
      };
    }
    if (!isIPv4(hostname)) {
      return {
        ok: false,
        message:
          `"${hostname}" is not a literal IP address: give one, such as "127.0.0.1"`,
      };
    }
  }
  const port = PORT.test(portText) ? Number(portText) : NaN;
  if (!(port >= 0 && port <= 65535)) {
    return {
      ok: false,
      message: `"${portText}" is not a port number (0-65535)`,
    };
  }
  return { ok: true, value: { hostname, port } };
}

/**
 * Formats an address for messages and logs: `host:port`, IPv6 in brackets.
 *
 * @param address The address.
 * @returns For example `127.0.0.1:9171` or `[::1]:9171`.
 */
export function formatListenAddress(address: ListenAddress): string {
  const host = address.hostname.includes(":")
    ? `[${address.hostname}]`
    : address.hostname;
  return `${host}:${address.port}`;
}
