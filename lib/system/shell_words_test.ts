import assert from "node:assert/strict";
import { formatWords, quoteWord } from "./shell_words.ts";

Deno.test("quoteWord() leaves plain words alone and single-quotes the rest", () => {
  const cases: [string, string][] = [
    ["shutdown", "shutdown"],
    ["-h", "-h"],
    ["/usr/syno/sbin/synoshutdown", "/usr/syno/sbin/synoshutdown"],
    ["qemu+ssh://root@host/system", "qemu+ssh://root@host/system"],
    ["UserKnownHostsFile=/etc/k,x:1%", "UserKnownHostsFile=/etc/k,x:1%"],
    ["a b", "'a b'"],
    ["", "''"],
    ["it's", "'it'\\''s'"],
    ['say "hi"', `'say "hi"'`],
    ["$HOME", "'$HOME'"],
    ["a;b", "'a;b'"],
    ["*.log", "'*.log'"],
    ["~/x", "'~/x'"],
    ["tab\there", "'tab\there'"],
    ["qemu:///system?socket=/run/x", "'qemu:///system?socket=/run/x'"],
  ];
  for (const [word, expected] of cases) {
    assert.equal(quoteWord(word), expected, JSON.stringify(word));
  }
});

Deno.test("formatWords() shows each word as a shell splits it", () => {
  assert.equal(formatWords(["sh", "-c", "a b"]), "sh -c 'a b'");
  assert.equal(formatWords(["shutdown", "-h", "now"]), "shutdown -h now");
  assert.equal(formatWords([]), "");
});
