/**
 * A client of the NUT network protocol over one persistent connection:
 * connect and reply timeouts, capped reconnect backoff, keep-alive against
 * upsd's 60 s idle close, re-authentication after a reconnect, STARTTLS and
 * sub-millisecond polls (shared/NUT.md).
 *
 * @module
 */

import { formatEndpoint } from "../config/ups_address.ts";
import {
  errorCode,
  NutError,
  nutError,
  type NutErrorContext,
} from "./protocol.ts";
import {
  errorFor,
  expectOk,
  expectWords,
  garbage,
  sendLine,
  sendList,
} from "./_requests.ts";
import { Link } from "./_link.ts";
import { denoTransport } from "./transport.ts";

export type { ReconnectPolicy, TlsMode } from "./_link.ts";

export {
  DEFAULT_RECONNECT,
  type InstcmdOptions,
  type NutClientOptions,
  type PollStrategy,
} from "./client_options.ts";
import {
  DEFAULT_RECONNECT,
  type InstcmdOptions,
  type NutClientOptions,
  type PollStrategy,
} from "./client_options.ts";

/** Sends requests to one upsd over one connection, reopened as needed. */
export class NutClient implements AsyncDisposable {
  #link: Link;
  #ups: string;
  #strategy: PollStrategy;
  #endpoint: string;

  /** @param options Address, credentials, timeouts and collaborators. */
  constructor(options: NutClientOptions) {
    const { address } = options;
    this.#ups = address.ups;
    this.#strategy = options.pollStrategy ?? "list";
    this.#endpoint = formatEndpoint(address);
    this.#link = new Link({
      hostname: address.host,
      port: address.port,
      endpoint: this.#endpoint,
      tls: options.tls ?? "off",
      caCerts: options.caCerts,
      connectTimeoutMs: options.connectTimeoutMs ?? 5000,
      replyTimeoutMs: options.replyTimeoutMs ?? 5000,
      keepAliveMs: options.keepAliveMs ?? 30_000,
      reconnect: options.reconnect ?? DEFAULT_RECONNECT,
      clock: options.clock,
      logger: options.logger,
      transport: options.transport ?? denoTransport,
      random: options.random ?? Math.random,
    });
    const credentials = this.#link.credentials;
    if (options.username !== undefined) credentials.username = options.username;
    if (options.password !== undefined) credentials.password = options.password;
  }

  /** `host:port` of the server, for messages. */
  get endpoint(): string {
    return this.#endpoint;
  }

  /** Whether a connection is open now. */
  get connected(): boolean {
    return this.#link.session !== null;
  }

  /** This end's IP address on the open connection, as upsd sees it. */
  get localAddress(): string | undefined {
    return this.#link.session?.localAddress;
  }

  /** Whether the open connection uses TLS. */
  get tls(): boolean {
    return this.#link.session?.tls ?? false;
  }

  /**
   * Opens the connection now (STARTTLS, credentials, a previous `LOGIN`).
   *
   * @throws {NutConnectionError} When upsd cannot be reached.
   * @throws {NutError} When TLS is required but not offered, or a login fails.
   */
  connect(): Promise<void> {
    return this.#link.run(async () => {
      await this.#link.ensure();
    });
  }

  /** @returns The `VER` line, e.g. `Network UPS Tools upsd 2.8.0 - ...`. */
  ver(): Promise<string> {
    return this.#simple(["VER"], "ask upsd for its version");
  }

  /** @returns The protocol version, e.g. `1.3`. */
  netver(): Promise<string> {
    return this.#simple(["NETVER"], "ask upsd for its protocol");
  }

  /**
   * Lists the UPSes of the server.
   *
   * @returns UPS name → description, in ups.conf order.
   * @throws {NutError} On an `ERR` reply. {@linkcode NutConnectionError} on a failed link.
   */
  async listUps(): Promise<Map<string, string>> {
    const items = await this.#list(["UPS"], { action: "list the UPSes" });
    return new Map(items.map((w) => [w[1]!, w[2] ?? ""]));
  }

  /**
   * Lists the clients logged in to a UPS (`LIST CLIENT`).
   *
   * @param ups The UPS. @default the configured UPS
   * @returns Their IP addresses, one per login, in upsd's order.
   * @throws {NutError} On an `ERR` reply.
   */
  async listClients(ups = this.#ups): Promise<string[]> {
    const items = await this.#list(["CLIENT", ups], {
      action: `list the clients of UPS "${ups}"`,
      ups,
    });
    return items.map((w) => w[2] ?? "");
  }

  /**
   * Lists all variables of a UPS.
   *
   * @param ups The UPS. @default the configured UPS
   * @returns Variable name → value, sorted by name.
   * @throws {NutError} E.g. DATA-STALE, DRIVER-NOT-CONNECTED, UNKNOWN-UPS.
   */
  async listVar(ups = this.#ups): Promise<Map<string, string>> {
    return pairs(
      await this.#list(["VAR", ups], { action: `read UPS "${ups}"`, ups }),
    );
  }

  /**
   * Lists the writable variables of a UPS.
   *
   * @param ups The UPS. @default the configured UPS
   * @returns Variable name → value.
   * @throws {NutError} On an `ERR` reply.
   */
  async listRw(ups = this.#ups): Promise<Map<string, string>> {
    return pairs(
      await this.#list(["RW", ups], { action: `read UPS "${ups}"`, ups }),
    );
  }

  /**
   * Lists the instant commands of a UPS.
   *
   * @param ups The UPS. @default the configured UPS
   * @returns Command names.
   * @throws {NutError} On an `ERR` reply.
   */
  async listCmd(ups = this.#ups): Promise<string[]> {
    const items = await this.#list(["CMD", ups], {
      action: `read UPS "${ups}"`,
      ups,
    });
    return items.map((w) => w[2] ?? "");
  }

  /**
   * Reads one variable.
   *
   * @param name The variable, e.g. `ups.status`.
   * @param ups The UPS. @default the configured UPS
   * @returns Its value.
   * @throws {NutError} VAR-NOT-SUPPORTED when absent, DATA-STALE, ...
   */
  getVar(name: string, ups = this.#ups): Promise<string> {
    return this.#link.run(async () => {
      const value = await this.#getVar(ups, name);
      if (value instanceof NutError) throw value;
      return value;
    });
  }

  /**
   * Reads the variables the monitor needs, as fast as the server allows:
   * one `GET VAR` at a time, or one nudged `LIST VAR` (NUT.md §7).
   *
   * @param names The variables; absent ones are left out of the result.
   * @param ups The UPS. @default the configured UPS
   * @returns Variable name → value, for those the UPS has.
   * @throws {NutError} DATA-STALE, DRIVER-NOT-CONNECTED, UNKNOWN-UPS, ...
   * @throws {NutConnectionError} When the link fails.
   */
  poll(
    names: readonly string[],
    ups = this.#ups,
  ): Promise<Map<string, string>> {
    if (this.#strategy === "list") {
      return this.listVar(ups).then((all) =>
        new Map(names.flatMap((n) => all.has(n) ? [[n, all.get(n)!]] : []))
      );
    }
    return this.#link.run(async () => {
      const values = new Map<string, string>();
      for (const name of names) {
        const value = await this.#getVar(ups, name);
        if (typeof value === "string") values.set(name, value);
        else if (value.code !== "VAR-NOT-SUPPORTED") throw value;
      }
      return values;
    });
  }

  /**
   * Sets a variable (needs `actions = SET`); `OK` means handed to the driver.
   *
   * @param name The variable.
   * @param value The new value, printable ASCII.
   * @param options `ups`, default the configured UPS.
   * @throws {NutError} ACCESS-DENIED, READONLY, TOO-LONG, INVALID-VALUE, ...
   * @throws {RangeError} When the value has characters upsd would drop.
   */
  async setVar(
    name: string,
    value: string,
    options: { ups?: string } = {},
  ): Promise<void> {
    const ups = options.ups ?? this.#ups;
    const action = `set "${name}" on UPS "${ups}"`;
    await this.#ok(["SET", "VAR", ups, name], { action, ups, name }, [value]);
  }

  /**
   * Runs an instant command (needs `instcmds`); `OK` means handed to the driver.
   *
   * @param command The command, e.g. `load.off`.
   * @param options `ups` and an optional `param`.
   * @throws {NutError} CMD-NOT-SUPPORTED, ACCESS-DENIED, ...
   */
  async instcmd(command: string, options: InstcmdOptions = {}): Promise<void> {
    const ups = options.ups ?? this.#ups;
    const params = options.param === undefined ? [] : [options.param];
    const action = `run "${command}" on UPS "${ups}"`;
    const context = { action, ups, name: command };
    await this.#ok(["INSTCMD", ups, command], context, params);
  }

  /**
   * Logs in to a UPS like an upsmon, so NUMLOGINS counts this client; redone
   * after every reconnect until {@linkcode NutClient.logout}.
   *
   * @param ups The UPS. @default the configured UPS
   * @throws {NutError} ACCESS-DENIED (wrong user or password, or no `upsmon`
   *   role), USERNAME-REQUIRED, UNKNOWN-UPS.
   */
  login(ups = this.#ups): Promise<void> {
    return this.#link.run(async () => {
      const session = await this.#link.ensure();
      if (session.sent.login === ups) return;
      await this.#link.login(session, ups);
      this.#link.credentials.login = ups;
    });
  }

  /**
   * Claims the primary role (`PRIMARY`, or `MASTER` on servers before 2.8).
   *
   * @param ups The UPS. @default the configured UPS
   * @throws {NutError} ACCESS-DENIED without `upsmon primary`.
   */
  primary(ups = this.#ups): Promise<void> {
    return this.#link.run(async () => {
      const action = `claim the primary role for UPS "${ups}"`;
      let line = await sendLine(this.#link, ["PRIMARY", ups], { action });
      if (errorCode(line) === "UNKNOWN-COMMAND") {
        line = await sendLine(this.#link, ["MASTER", ups], { action });
      }
      await expectOk(this.#link, line, { action, ups });
    });
  }

  /**
   * Sets forced shutdown on a UPS; it latches until upsd restarts.
   *
   * @param ups The UPS. @default the configured UPS
   * @throws {NutError} ACCESS-DENIED without `upsmon primary` or `actions = FSD`.
   */
  async fsd(ups = this.#ups): Promise<void> {
    const action = `set forced shutdown on UPS "${ups}"`;
    await this.#ok(["FSD", ups], { action, ups });
  }

  /**
   * Counts the clients logged in to a UPS.
   *
   * @param ups The UPS. @default the configured UPS
   * @returns The count.
   * @throws {NutError} DATA-STALE and DRIVER-NOT-CONNECTED like a read.
   */
  getNumLogins(ups = this.#ups): Promise<number> {
    return this.#link.run(async () => {
      const action = `count the logins of UPS "${ups}"`;
      const words = ["GET", "NUMLOGINS", ups];
      const line = await sendLine(this.#link, words, {
        action,
        idempotent: true,
      });
      const context = { action, ups };
      const prefix = ["NUMLOGINS", ups];
      const reply = await expectWords(this.#link, line, {
        prefix,
        count: 3,
        context,
      });
      const count = Number(reply[2]);
      if (!Number.isInteger(count)) await garbage(this.#link, line, action);
      return count;
    });
  }

  /** Ends the login and the connection (`LOGOUT`); no re-login follows. */
  logout(): Promise<void> {
    return this.#link.run(async () => {
      delete this.#link.credentials.login;
      if (!this.connected) return;
      try {
        await sendLine(this.#link, ["LOGOUT"], { action: "log out" });
      } finally {
        await this.#link.drop();
      }
    });
  }

  /** Closes the connection and stops the keep-alive; the client is done. */
  close(): Promise<void> {
    return this.#link.close();
  }

  #simple(words: string[], action: string): Promise<string> {
    return this.#link.run(async () => {
      const line = await sendLine(this.#link, words, {
        action,
        idempotent: true,
      });
      const code = errorCode(line);
      if (code !== null) throw nutError(code, { action });
      return line;
    });
  }

  #list(words: string[], context: NutErrorContext): Promise<string[][]> {
    return this.#link.run(() => sendList(this.#link, words, context));
  }

  /** `GET VAR`; an `ERR` reply is returned, for the caller to decide. */
  async #getVar(ups: string, name: string): Promise<string | NutError> {
    const context = { action: `read UPS "${ups}"`, ups, name };
    const words = ["GET", "VAR", ups, name];
    const line = await sendLine(this.#link, words, {
      ...context,
      idempotent: true,
    });
    const code = errorCode(line);
    if (code !== null) return await errorFor(this.#link, code, context);
    const prefix = ["VAR", ups, name];
    return (await expectWords(this.#link, line, { prefix, count: 4, context }))[
      3
    ]!;
  }

  /** Sends a command whose success reply is `OK ...`. */
  #ok(
    words: string[],
    context: NutErrorContext,
    values?: string[],
  ): Promise<void> {
    return this.#link.run(async () => {
      const line = await sendLine(this.#link, words, {
        action: context.action,
        ...(values ? { values } : {}),
      });
      await expectOk(this.#link, line, context);
    });
  }

  /** Same as {@linkcode NutClient.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** `<KIND> <ups> <name> <value>` items → name → value. */
function pairs(items: string[][]): Map<string, string> {
  return new Map(items.map((w) => [w[2] ?? "", w[3] ?? ""]));
}
