import assert from "node:assert/strict";
import { maskSecret, maskSecrets, SECRET_MASK } from "./secret.ts";

Deno.test("maskSecret() keeps a URL's scheme and host, never its user or password", () => {
  const cases: [string, string][] = [
    ["https://discord.com/api/webhooks/1/token", "https://discord.com/***"],
    ["http://ntfy.lan:8080/ups?auth=x", "http://ntfy.lan:8080/***"],
    ["https://user:pass@hooks.example/x", "https://hooks.example/***"],
    ["Bearer abc", SECRET_MASK],
  ];
  for (const [secret, shown] of cases) assert.equal(maskSecret(secret), shown);
});

Deno.test("maskSecrets() replaces whole values only, deep, without touching the input", () => {
  const channel = {
    kind: "webhook",
    name: "ab",
    url: "https://h.example/t",
    headers: { Authorization: "ab", "X-Other": "abc" },
    list: ["ab", 1, null],
  };
  const masked = maskSecrets(channel, ["ab", "https://h.example/t", ""]);
  assert.deepEqual(masked, {
    kind: "webhook",
    name: SECRET_MASK,
    url: "https://h.example/***",
    headers: { Authorization: SECRET_MASK, "X-Other": "abc" },
    list: [SECRET_MASK, 1, null],
  });
  assert.equal(channel.headers.Authorization, "ab");
});
