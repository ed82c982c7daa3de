/**
 * The expectation `incident: true`: a shutdown's steps reached Discord as
 * one incident message edited in place, not as a message per step, and
 * its final table lists every step that ended, with how it ended. Data in,
 * checks out.
 *
 * @module
 */
import type { CheckFn } from "./expect_abort.ts";
import type { TimedEvent } from "./expect.ts";
import type { ReceivedEmbed, ReceivedIncident } from "./fake_discord.ts";

/** How a table row says a step ended (lib/notify/discord_incident.ts). */
const ENDED: Record<string, string> = {
  done: "done in",
  failed: "failed after",
  timeout: "timed out after",
};

/** A step that ended, with the title the program announced it with. */
interface EndedStep {
  id: string;
  title: string;
  phase: string;
}

/**
 * Judges the Discord side of the shutdown's steps.
 *
 * @param check Records one check.
 * @param seen The program's events, the incident messages and the other messages' embeds.
 */
export function judgeIncident(
  check: CheckFn,
  seen: {
    events: readonly TimedEvent[];
    incidents: readonly ReceivedIncident[];
    embeds: readonly ReceivedEmbed[];
  },
): void {
  const ended = endedWithTitles(seen.events);
  if (seen.incidents.length === 0) {
    check(
      false,
      "Expected an incident message at the fake Discord, but none was posted with ?wait=true",
    );
    return;
  }
  const edits = seen.incidents.reduce((sum, i) => sum + i.edits, 0);
  check(
    true,
    `${seen.incidents.length} incident message(s) at the fake Discord, edited ${edits} times`,
  );
  const missing = ended.filter((step) =>
    !seen.incidents.some((incident) =>
      incident.table.split("\n").some((line) =>
        line.includes(`**${step.title}** · ${ENDED[step.phase] ?? step.phase}`)
      )
    )
  );
  check(
    missing.length === 0,
    missing.length === 0
      ? `The incident message's final table lists every step that ended: "${
        ended.map((s) => s.id).join('", "')
      }"`
      : `The incident message's final table lacks ${
        missing.map((s) => `"${s.title}" ${s.phase}`).join(", ")
      }: ${JSON.stringify(seen.incidents.at(-1)?.table ?? "")}`,
  );
  const titles = new Set(ended.map((s) => s.title));
  const stepMessages = seen.embeds.filter((e) =>
    (titles.has(e.title) && e.description === "Starting") ||
    ended.some((s) => e.title === `${s.title}: ${s.phase}`)
  );
  check(
    stepMessages.length === 0,
    stepMessages.length === 0
      ? "No step was a Discord message of its own"
      : `Expected the steps only in the incident message, but ${stepMessages.length} were messages of their own: "${
        stepMessages.map((e) => e.title).join('", "')
      }"`,
  );
}

/** The steps that ended, titled from their `Starting <title>` events. */
function endedWithTitles(events: readonly TimedEvent[]): EndedStep[] {
  const titles = new Map<string, string>();
  const ended: EndedStep[] = [];
  for (const e of events) {
    if (e.event !== "shutdown.step") continue;
    const id = String(e.fields["step"] ?? "");
    const phase = String(e.fields["phase"] ?? "");
    if (phase === "start") {
      titles.set(
        id,
        e.msg.replace(/^\[DRY-RUN\] /, "").replace(/^Starting /, ""),
      );
    } else if (phase in ENDED) {
      ended.push({ id, title: titles.get(id) ?? id, phase });
    }
  }
  return ended;
}
