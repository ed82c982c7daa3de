/**
 * Counts the test cases of a JUnit report from `deno test --junit-path` and
 * prints "N passed, N failed" (ignored tests count as neither).
 *
 * @module
 */
const [path] = Deno.args;
if (!path) throw new TypeError("Usage: count.ts REPORT.xml");
const xml = await Deno.readTextFile(path);
let passed = 0;
let failed = 0;
for (
  const match of xml.matchAll(/<testcase\b[^>]*?(\/>|>([\s\S]*?)<\/testcase>)/g)
) {
  const body = match[2] ?? "";
  if (/<failure\b|<error\b/.test(body)) failed++;
  else if (!/<skipped\b/.test(body)) passed++;
}
if (passed + failed === 0) failed = 1; // an empty report means the run broke
Deno.stdout.writeSync(
  new TextEncoder().encode(`${passed} passed, ${failed} failed\n`),
);
