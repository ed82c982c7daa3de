/**
 * The reply path of the client without a socket: tokenizing one line, and
 * splitting plus framing a whole `LIST VAR` reply, for a real-sized list and
 * for one at the reply bound of 1 MiB made of 4 KiB lines (the shape of a
 * hostile server's reply).
 *
 * `deno bench -P=test --no-prompt lib/nut/protocol_bench.ts`
 *
 * @module
 */

import { LineSplitter, ReplyFramer, tokenizeReply } from "./protocol.ts";

/** `LIST VAR` reply text of `count` variables whose values are `width` long. */
function listReply(count: number, width: number): string {
  const lines = ["BEGIN LIST VAR ups"];
  for (let i = 0; i < count; i++) {
    lines.push(`VAR ups v${i} "${"x".repeat(width)}"`);
  }
  lines.push("END LIST VAR ups");
  return lines.join("\n") + "\n";
}

/** About the largest dump in nut-ddl: 581 variables, 22 KB as a reply. */
const REAL = listReply(600, 20);
/** 256 lines just under the 4096-character line limit: 1 MiB. */
const LARGE = listReply(256, 4060);
const LONG_LINE = LARGE.split("\n")[1]!;

function frame(text: string): number {
  const splitter = new LineSplitter();
  const framer = new ReplyFramer();
  framer.expect({ kind: "list", words: ["VAR", "ups"] });
  let items = 0;
  for (const line of splitter.push(text)) {
    const reply = framer.push(line);
    if (reply?.kind === "list") items = reply.items.length;
  }
  return items;
}

Deno.bench("tokenizeReply() on a 4 KiB line", () => {
  tokenizeReply(LONG_LINE);
});

Deno.bench("split and frame a 600-variable LIST VAR reply (22 KB)", () => {
  frame(REAL);
});

Deno.bench("split and frame a 1 MiB LIST VAR reply of 4 KiB lines", () => {
  frame(LARGE);
});
