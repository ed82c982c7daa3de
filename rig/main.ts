/**
 * `deno task rig`: the outage rig. It replays outage scenarios against the
 * real program over real upsd traffic. Not available yet (issue 7).
 *
 * @module
 */
// deno-lint-ignore-file no-console

if (import.meta.main) {
  console.error(
    "The outage rig is not available yet: it comes with issue 7. Until then, `deno task test` runs the test suite against a real upsd.",
  );
  Deno.exit(2);
}
