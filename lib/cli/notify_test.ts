import assert from "node:assert/strict";
import {
  type RecordedRequest,
  startRecordingServer,
} from "../testing/http_server.ts";
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

/** One channel kind through notify-test: its config, answer and what must arrive. */
interface KindTest {
  kind: string;
  secret: string;
  channel: (url: string) => string;
  answer: (request: RecordedRequest) => Response;
  path: string;
  check: (body: Record<string, unknown>) => void;
  stdout: string;
}

const KIND_TESTS: KindTest[] = [
  {
    kind: "ntfy",
    secret: "tk_notifytestsecret",
    channel: (url) =>
      `{kind: ntfy, server: "${url}", topic: ups-test, token: tk_notifytestsecret}`,
    answer: (request) =>
      request.headers["authorization"] === "Bearer tk_notifytestsecret"
        ? Response.json({ id: "x", event: "message" })
        : Response.json({ error: "unauthorized" }, { status: 401 }),
    path: "/",
    check(body) {
      assert.equal(body["topic"], "ups-test");
      assert.equal(body["title"], "Test notification");
      assert.deepEqual(body["tags"], ["information_source", "notify.test"]);
    },
    stdout: "ntfy (ntfy): delivered (HTTP 200)\n",
  },
  {
    kind: "slack",
    secret: "slacknotifytestsecret",
    channel: (url) =>
      `{kind: slack, name: team, url: "${url}/hooks/slacknotifytestsecret"}`,
    answer: () => new Response("ok"),
    path: "/hooks/slacknotifytestsecret",
    check(body) {
      assert.equal(body["text"], ":information_source: Test notification");
      const [attachment] = body["attachments"] as Record<string, unknown>[];
      assert.equal(attachment?.["title"], "Test notification");
    },
    stdout: "team (slack): delivered (HTTP 200)\n",
  },
  {
    kind: "telegram",
    secret: "123:telegramnotifytestsecret",
    channel: (url) =>
      `{kind: telegram, bot_token: "123:telegramnotifytestsecret", chat_id: -42, api_url: "${url}"}`,
    answer: () =>
      Response.json({
        ok: false,
        "error_code": 403,
        description: "Forbidden: bot was blocked by the user",
      }, { status: 403 }),
    path: "/bot123:telegramnotifytestsecret/sendMessage",
    check(body) {
      assert.equal(body["chat_id"], "-42");
      assert.match(String(body["text"]), /^ℹ️ <b>Test notification<\/b>\n/);
    },
    stdout:
      'telegram (telegram): failed: HTTP 403: the receiver refused the request (check the token or headers): "Forbidden: bot was blocked by the user"\n',
  },
];

for (const t of KIND_TESTS) {
  Deno.test(
    `ups-monitor notify-test sends through a channel of kind ${t.kind}`,
    { timeout: 20_000 },
    async () => {
      await using server = startRecordingServer(t.answer);
      const dir = await Deno.makeTempDir({ dir: "/run" });
      try {
        const config = `${dir}/config.yaml`;
        await Deno.writeTextFile(
          config,
          `ups: {name: ups@127.0.0.1}\nnotifications:\n  channels:\n    - ${
            t.channel(server.url)
          }\n`,
        );
        const result = await runProgram(["notify-test", "--config", config]);
        assert.equal(result.stdout, t.stdout, result.stderr);
        assert.equal(result.code, t.stdout.includes("delivered") ? 0 : 1);
        assert.deepEqual(
          server.requests.map((r) => [r.method, r.path]),
          [["POST", t.path]],
        );
        t.check(JSON.parse(server.requests[0]?.body ?? ""));
        assert.ok(!(result.stdout + result.stderr).includes(t.secret));
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    },
  );
}
