import assert from "node:assert/strict";
import { startRecordingServer } from "../testing/http_server.ts";
import { runProgram } from "../testing/program.ts";

Deno.test(
  "ups-monitor notify-test reports per channel what the receiver answered",
  { timeout: 20_000 },
  async () => {
    await using server = startRecordingServer((request) =>
      request.path.startsWith("/api/webhooks/")
        ? new Response(null, { status: 204 })
        : new Response("no", { status: 404 })
    );
    const dir = await Deno.makeTempDir({ dir: "/run" });
    try {
      const config = `${dir}/config.yaml`;
      await Deno.writeTextFile(
        config,
        `ups: {name: ups@127.0.0.1}
notifications:
  channels:
    - {kind: discord, url: "${server.url}/api/webhooks/1/secret-token"}
    - {kind: webhook, name: ntfy, url: "${server.url}/missing", headers: {Authorization: Bearer hidden-value}}
`,
      );
      const result = await runProgram(["notify-test", "--config", config]);
      assert.equal(result.code, 1, result.stderr);
      assert.equal(
        result.stdout,
        "discord (discord): delivered (HTTP 204)\n" +
          "ntfy (webhook): failed: HTTP 404: the webhook does not exist (wrong or deleted URL)\n",
      );
      assert.equal(server.requests.length, 2);
      const embed = JSON.parse(server.requests[0]?.body ?? "").embeds[0];
      assert.equal(embed.title, "Test notification");
      const output = result.stdout + result.stderr;
      assert.ok(
        !output.includes("secret-token") && !output.includes("hidden-value"),
      );

      await Deno.writeTextFile(config, "ups: {name: ups@127.0.0.1}\n");
      const none = await runProgram(["notify-test", "--config", config]);
      assert.equal(none.code, 2);
      assert.match(
        none.stderr,
        /has no notification channels: add one under notifications\.channels/,
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);
