/**
 * Test certificates made with `openssl` (a CA and a leaf with `CA:FALSE` and
 * a SAN, as rustls wants) and a loopback server that speaks enough NUT to
 * answer `STARTTLS` and upgrade with `node:tls`. Test support only.
 *
 * @module
 */

import * as net from "node:net";
import * as tls from "node:tls";

/** PEM texts of a test CA and a leaf it signed. */
export interface TestCertificates {
  /** The CA certificate, to trust. */
  ca: string;
  /** The leaf certificate, for the server. */
  cert: string;
  /** The leaf's private key. */
  key: string;
}

async function openssl(dir: string, args: string[]): Promise<void> {
  const output = await new Deno.Command("openssl", {
    args,
    cwd: dir,
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!output.success) {
    throw new Error(
      `Cannot run "openssl ${args[0]}": ${
        new TextDecoder().decode(output.stderr).trim()
      }`,
    );
  }
}

/**
 * Makes a CA and a leaf for `localhost` and `127.0.0.1`.
 *
 * @param names SAN entries of the leaf. @default ["DNS:localhost", "IP:127.0.0.1"]
 * @returns The PEM texts.
 * @throws {Error} When openssl fails.
 */
export async function makeCertificates(
  names = ["DNS:localhost", "IP:127.0.0.1"],
): Promise<TestCertificates> {
  const dir = await Deno.makeTempDir({ prefix: "nut-tls" });
  try {
    const days = ["-days", "2"];
    await openssl(dir, [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-nodes",
      "-keyout",
      "ca.key",
      "-out",
      "ca.pem",
      ...days,
      "-subj",
      "/CN=ups-monitor test CA",
      "-addext",
      "basicConstraints=critical,CA:TRUE",
      "-addext",
      "keyUsage=critical,keyCertSign,cRLSign",
    ]); // deno-fmt-ignore
    await openssl(dir, [
      "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
      "-keyout", "leaf.key", "-out", "leaf.csr", "-subj", "/CN=localhost",
    ]); // deno-fmt-ignore
    await Deno.writeTextFile(
      `${dir}/leaf.ext`,
      `basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n` +
        `extendedKeyUsage=serverAuth\nsubjectAltName=${names.join(",")}\n`,
    );
    await openssl(dir, [
      "x509",
      "-req",
      "-in",
      "leaf.csr",
      "-CA",
      "ca.pem",
      "-CAkey",
      "ca.key",
      "-CAcreateserial",
      "-out",
      "leaf.pem",
      ...days,
      "-extfile",
      "leaf.ext",
    ]); // deno-fmt-ignore
    return {
      ca: await Deno.readTextFile(`${dir}/ca.pem`),
      cert: await Deno.readTextFile(`${dir}/leaf.pem`),
      key: await Deno.readTextFile(`${dir}/leaf.key`),
    };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** A NUT-ish server with STARTTLS; `await using` closes it. */
export interface TlsNutServer extends AsyncDisposable {
  /** The port on 127.0.0.1. */
  port: number;
  /** Request lines received, each marked `tls:` or `plain:`. */
  received: string[];
}

/**
 * Starts a loopback server that answers `STARTTLS` with `OK STARTTLS`, then
 * upgrades with the given certificate; `VER`, `NETVER` and
 * `GET VAR <ups> ups.status` are answered on either channel.
 *
 * @param certs The server's certificate and key.
 * @returns The server.
 */
export async function startTlsNutServer(
  certs: TestCertificates,
): Promise<TlsNutServer> {
  const received: string[] = [];
  const sockets = new Set<net.Socket>();
  const context = tls.createSecureContext({ cert: certs.cert, key: certs.key });
  function serve(socket: net.Socket, secure: boolean): void {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => socket.destroy());
    let buffer = "";
    const onData = (data: Buffer | string) => {
      buffer += data.toString();
      for (
        let at = buffer.indexOf("\n");
        at !== -1;
        at = buffer.indexOf("\n")
      ) {
        const line = buffer.slice(0, at).trim();
        buffer = buffer.slice(at + 1);
        received.push(`${secure ? "tls" : "plain"}:${line}`);
        if (line === "STARTTLS" && !secure) {
          socket.off("data", onData);
          socket.write("OK STARTTLS\n", () => {
            serve(
              new tls.TLSSocket(socket, {
                isServer: true,
                secureContext: context,
              }),
              true,
            );
          });
          return;
        }
        const words = line.split(" ");
        socket.write(
          line === "VER"
            ? "Network UPS Tools upsd 2.8.0 - test\n"
            : line === "NETVER"
            ? "1.3\n"
            : words[0] === "GET" && words[3] === "ups.status"
            ? `VAR ${words[2]} ups.status "${secure ? "OL TLS" : "OL"}"\n`
            : "ERR UNKNOWN-COMMAND\n",
        );
      }
    };
    socket.on("data", onData);
  }
  const server = net.createServer((socket) => serve(socket, false));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    received,
    async [Symbol.asyncDispose]() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Whether NSS's `certutil` and `pk12util` are installed (`libnss3-tools`). */
export const NSS_TOOLS_PRESENT: boolean = ["certutil", "pk12util"].every(
  (tool) => {
    try {
      return Deno.statSync(`/usr/bin/${tool}`).isFile;
    } catch {
      return false; // absent: the NSS test is ignored with a hint
    }
  },
);

async function run(dir: string, program: string, args: string[]) {
  const output = await new Deno.Command(program, {
    args,
    cwd: dir,
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!output.success) {
    throw new Error(
      `Cannot run "${program} ${args[0]}": ${
        new TextDecoder().decode(output.stderr).trim()
      }`,
    );
  }
}

/**
 * Writes an NSS certificate database for Debian's upsd (`CERTPATH <dir>`,
 * `CERTIDENT "upsd" ""`): the CA trusted, the leaf and its key as "upsd".
 *
 * @param certs The certificates.
 * @param dir An existing, empty directory.
 * @throws {Error} When certutil, pk12util or openssl fail.
 */
export async function writeNssDatabase(
  certs: TestCertificates,
  dir: string,
): Promise<void> {
  const db = `sql:${dir}`;
  await Deno.writeTextFile(`${dir}/ca.pem`, certs.ca);
  await Deno.writeTextFile(`${dir}/leaf.pem`, certs.cert + certs.key);
  await run(dir, "certutil", ["-N", "-d", db, "--empty-password"]);
  await run(dir, "certutil", [
    "-A",
    "-d",
    db,
    "-n",
    "ca",
    "-t",
    "CT,,",
    "-a",
    "-i",
    "ca.pem",
  ]);
  await run(dir, "openssl", [
    "pkcs12",
    "-export",
    "-in",
    "leaf.pem",
    "-name",
    "upsd",
    "-out",
    "leaf.p12",
    "-passout",
    "pass:",
  ]); // deno-fmt-ignore
  await run(dir, "pk12util", ["-i", "leaf.p12", "-d", db, "-W", ""]);
}
