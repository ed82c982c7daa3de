/**
 * The UPS name of the config, `upsname[@host[:port]]`, as `upsc` and the seed
 * spell it. Pure.
 *
 * @pure
 * @module
 */

/** Where a UPS is served: its name on the NUT server, the host and the port. */
export interface UpsAddress {
  /** UPS name as upsd knows it (`[ups]` section of ups.conf). */
  ups: string;
  /** Host name or IP address of upsd; IPv6 without brackets. */
  host: string;
  /** TCP port of upsd. @default 3493 */
  port: number;
}

/** Default port of the NUT network protocol. */
export const NUT_PORT = 3493;

const UPS_NAME = /^[A-Za-z0-9_.\-]+$/;
const HOST_NAME = /^[A-Za-z0-9_.\-]+$/;
const IPV6 = /^[0-9A-Fa-f:.]+(%[A-Za-z0-9_.\-]+)?$/;

/**
 * Parses `ups`, `ups@host`, `ups@host:port`, `ups@[v6]` or `ups@[v6]:port`.
 *
 * @param text The configured UPS name.
 * @returns The address, or a message that says what is wrong.
 */
export function parseUpsAddress(
  text: string,
): { ok: true; value: UpsAddress } | { ok: false; message: string } {
  const at = text.indexOf("@");
  const ups = at === -1 ? text : text.slice(0, at);
  if (!UPS_NAME.test(ups)) {
    return {
      ok: false,
      message: ups === ""
        ? 'the UPS name before "@" is empty'
        : `"${ups}" is not a valid UPS name (letters, digits, "_", "-", ".")`,
    };
  }
  if (at === -1) {
    return { ok: true, value: { ups, host: "localhost", port: NUT_PORT } };
  }
  const rest = text.slice(at + 1);
  let host: string;
  let portText: string | undefined;
  if (rest.startsWith("[")) {
    const close = rest.indexOf("]");
    if (close === -1) {
      return {
        ok: false,
        message: `missing "]" after the IPv6 address in "${text}"`,
      };
    }
    host = rest.slice(1, close);
    const after = rest.slice(close + 1);
    if (after !== "" && !after.startsWith(":")) {
      return {
        ok: false,
        message: `unexpected "${after}" after "]" in "${text}"`,
      };
    }
    portText = after === "" ? undefined : after.slice(1);
    if (!IPV6.test(host) || !host.includes(":")) {
      return { ok: false, message: `"${host}" is not an IPv6 address` };
    }
  } else if ((rest.match(/:/g) ?? []).length > 1) {
    // Several colons without brackets: a bare IPv6 address, default port.
    host = rest;
    if (!IPV6.test(host)) {
      return { ok: false, message: `"${host}" is not an IPv6 address` };
    }
  } else {
    const colon = rest.indexOf(":");
    host = colon === -1 ? rest : rest.slice(0, colon);
    portText = colon === -1 ? undefined : rest.slice(colon + 1);
    if (host === "") {
      return { ok: false, message: `the host after "@" is empty in "${text}"` };
    }
    if (!HOST_NAME.test(host)) {
      return { ok: false, message: `"${host}" is not a valid host name` };
    }
  }
  let port = NUT_PORT;
  if (portText !== undefined) {
    port = /^\d{1,5}$/.test(portText) ? Number(portText) : NaN;
    if (!(port >= 1 && port <= 65535)) {
      return {
        ok: false,
        message: `"${portText}" is not a port number (1-65535)`,
      };
    }
  }
  return { ok: true, value: { ups, host, port } };
}

/**
 * Formats an address for messages: `host:port`, with brackets around IPv6.
 *
 * @param address The address.
 * @returns For example `nas:3493` or `[::1]:3493`.
 */
export function formatEndpoint(
  address: Pick<UpsAddress, "host" | "port">,
): string {
  const host = address.host.includes(":") ? `[${address.host}]` : address.host;
  return `${host}:${address.port}`;
}

/**
 * The UPS's name on its server: `ups` of `ups@nas:3493`. A name that does
 * not parse (the schema refuses it) is returned whole.
 *
 * @param name `ups.name`.
 * @returns The name upsd knows.
 */
export function upsNameOf(name: string): string {
  const address = parseUpsAddress(name);
  return address.ok ? address.value.ups : name;
}
