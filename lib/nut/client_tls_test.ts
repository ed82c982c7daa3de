import assert from "node:assert/strict";
import { NutClient, type NutClientOptions } from "./client.ts";
import { systemClock } from "../system/clock.ts";
import { ConsoleLogger } from "../system/log.ts";
import {
  makeCertificates,
  NSS_TOOLS_PRESENT,
  startTlsNutServer,
  writeNssDatabase,
} from "../testing/tls.ts";
import { IGNORE_WITHOUT_UPSD, startUpsd } from "../testing/upsd.ts";

function client(port: number, options: Partial<NutClientOptions>): NutClient {
  return new NutClient({
    address: { ups: "dev1", host: "127.0.0.1", port },
    clock: systemClock,
    logger: new ConsoleLogger({ write: () => {} }),
    replyTimeoutMs: 2000,
    connectTimeoutMs: 2000,
    ...options,
  });
}

Deno.test({
  name: "NutClient upgrades to TLS with STARTTLS and a CA file",
  timeout: 30_000,
  async fn() {
    const certs = await makeCertificates();
    await using server = await startTlsNutServer(certs);
    await using c = client(server.port, {
      tls: "required",
      caCerts: [certs.ca],
    });
    assert.equal(await c.getVar("ups.status"), "OL TLS");
    assert.equal(c.tls, true);
    assert.deepEqual(server.received, [
      "plain:STARTTLS",
      "tls:VER",
      "tls:GET VAR dev1 ups.status",
    ]);
  },
});

Deno.test({
  name: "NutClient refuses a server certificate it cannot verify",
  timeout: 30_000,
  async fn() {
    const certs = await makeCertificates();
    await using server = await startTlsNutServer(certs);
    await using c = client(server.port, { tls: "starttls" });
    await assert.rejects(c.getVar("ups.status"), {
      name: "NutConnectionError",
      message:
        `Cannot start TLS with upsd at "127.0.0.1:${server.port}": the server's certificate is not trusted (invalid peer certificate: UnknownIssuer); set ups.ca_file to the CA certificate that signed it, or set ups.tls: off (plaintext)`,
    });
    assert.equal(c.connected, false);
    assert.ok(!server.received.some((line) => line.startsWith("tls:")));
  },
});

Deno.test({
  name: "NutClient refuses a certificate for another host name",
  timeout: 30_000,
  async fn() {
    const certs = await makeCertificates(["DNS:other.example"]);
    await using server = await startTlsNutServer(certs);
    await using c = client(server.port, {
      tls: "required",
      caCerts: [certs.ca],
    });
    await assert.rejects(c.connect(), {
      name: "NutConnectionError",
      message:
        `Cannot start TLS with upsd at "127.0.0.1:${server.port}": the server's certificate is not valid for "127.0.0.1" (invalid peer certificate: certificate not valid for name "127.0.0.1"; certificate is only valid for DnsName("other.example")); set ups.name to a host name the certificate holds, or set ups.tls: off (plaintext)`,
    });
  },
});

if (!NSS_TOOLS_PRESENT && !IGNORE_WITHOUT_UPSD) {
  Deno.stderr.writeSync(
    new TextEncoder().encode(
      'certutil is not installed: the NSS upsd test is ignored; install it with "apt-get install libnss3-tools"\n',
    ),
  );
}

Deno.test({
  name: "NutClient speaks TLS with Debian's upsd and its NSS database",
  ignore: IGNORE_WITHOUT_UPSD || !NSS_TOOLS_PRESENT,
  timeout: 60_000,
  async fn() {
    const certs = await makeCertificates();
    const db = await Deno.makeTempDir({ prefix: "nut-nss" });
    try {
      await writeNssDatabase(certs, db);
      await using upsd = await startUpsd({
        upsdConf: `CERTPATH ${db}\nCERTIDENT "upsd" ""\n`,
      });
      await using c = client(upsd.port, {
        tls: "required",
        caCerts: [certs.ca],
      });
      assert.equal(await c.getVar("ups.status"), "OL CHRG");
      assert.equal(c.tls, true);
      assert.equal(
        (await c.poll(["ups.status", "ups.load"])).get("ups.load"),
        "23",
      );
    } finally {
      await Deno.remove(db, { recursive: true });
    }
  },
});
