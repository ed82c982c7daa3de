/**
 * The rig's output: a few lines per scenario for the terminal (pass or
 * fail with the first failed expectation, the trigger with its reason and
 * delay, the steps with their durations), the final `N passed, N failed`
 * line, and an HTML page with a chart per scenario.
 *
 * @module
 */
import { escapeXml, type Marker, renderChart } from "./chart.ts";
import type { ScenarioResult } from "./scenario.ts";
import { fleetTimelineHtml, formatFleetTimeline } from "./report_fleet.ts";

/**
 * Events worth a marker on the chart (the rest is noise at this scale): a
 * readiness change, not every round; an abort and its rollback; a UPS of
 * several turning unsafe or safe again (supplies.*).
 */
const MARKED =
  /^(power|battery|voltage|avr|ups|connection|supplies)\.|^readiness\.(not_)?ready$|^shutdown\.(aborted|rolled_back|point_of_no_return)$/;

/**
 * The terminal lines of one scenario.
 *
 * @param result The scenario's result.
 * @returns Lines joined by newlines.
 */
export function formatResult(result: ScenarioResult): string {
  const { verdict } = result;
  const lines = [
    `${verdict.passed ? "PASS" : "FAIL"} ${result.name} (${
      seconds(result.wallMs)
    } wall)`,
  ];
  if (!verdict.passed) lines.push(`  first failure: ${verdict.firstFailure}`);
  const trigger = verdict.trigger;
  lines.push(
    trigger
      ? `  trigger: ${trigger.name}, ${trigger.delayMs} ms after "${trigger.mark}": ${trigger.message}`
      : "  trigger: none",
  );
  if (verdict.steps.length > 0) {
    lines.push(
      `  steps: ${
        verdict.steps.map((s) => `${s.step} ${s.phase} ${s.durationMs} ms`)
          .join(", ")
      }`,
    );
  }
  const undone = result.events.filter((e) => e.event === "shutdown.rollback");
  if (undone.length > 0) {
    lines.push(
      `  rolled back: ${
        undone.map((e) => `${e.fields["step"]}: ${e.msg}`).join("; ")
      }`,
    );
  }
  for (const step of verdict.steps) {
    if (step.phase === "failed" && step.details) {
      lines.push(`  ${step.step} failed: ${step.details}`);
    }
  }
  if (result.fleet) {
    lines.push(...formatFleetTimeline(result.fleet, result.events));
  }
  return lines.join("\n");
}

/**
 * The summary: a line per scenario, the wall time, and last the count line
 * CI adds to its own.
 *
 * @param results Every scenario's result.
 * @param wallMs Wall time of the whole run.
 * @returns Lines joined by newlines; the last is `N passed, N failed`.
 */
export function formatSummary(
  results: readonly ScenarioResult[],
  wallMs: number,
): string {
  const passed = results.filter((r) => r.verdict.passed).length;
  const width = Math.max(0, ...results.map((r) => r.name.length));
  const rows = results.map((r) =>
    `  ${r.verdict.passed ? "pass" : "FAIL"}  ${r.name.padEnd(width)}  ${
      r.verdict.trigger
        ? `${r.verdict.trigger.name} after ${r.verdict.trigger.delayMs} ms`
        : "no trigger"
    }`
  );
  return [
    "Summary:",
    ...rows,
    `Total wall time ${seconds(wallMs)}`,
    `${passed} passed, ${results.length - passed} failed`,
  ].join("\n");
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/**
 * The markers of a scenario's chart: events, the trigger, each step's end,
 * the timeline's faults.
 *
 * @param result The scenario's result.
 * @returns The markers.
 */
export function markersOf(result: ScenarioResult): Marker[] {
  const markers: Marker[] = [];
  for (const e of result.events) {
    if (e.event === "shutdown.triggered") {
      markers.push({
        t: e.t,
        label: `trigger ${e.fields["reason"]}`,
        kind: "trigger",
      });
    } else if (
      e.event === "shutdown.step" &&
      !["start", "skipped"].includes(String(e.fields["phase"]))
    ) {
      markers.push({
        t: e.t,
        label: `${e.fields["step"]} ${e.fields["phase"]}`,
        kind: "step",
      });
    } else if (MARKED.test(e.event) && e.t >= 0) {
      markers.push({ t: e.t, label: e.event, kind: "event" });
    }
  }
  for (const f of result.faults) {
    const label = f.ups === undefined ? f.fault : `${f.fault} ${f.ups}`;
    markers.push({ t: f.t, label, kind: "fault" });
  }
  return markers;
}

/** Facts about the run shown at the top of the page. */
export interface RunInfo {
  /** Engine name. */
  engine: string;
  /** Program form: the binary's path or the deno run line. */
  program: string;
  /** Wall time, ms. */
  wallMs: number;
}

/**
 * The HTML page: a summary table and, per scenario, its checks, steps and
 * chart.
 *
 * @param results Every scenario's result.
 * @param info Engine, program form and wall time.
 * @returns The page.
 */
export function renderHtml(
  results: readonly ScenarioResult[],
  info: RunInfo,
): string {
  const passed = results.filter((r) => r.verdict.passed).length;
  const sections = results.map((r) => {
    const v = r.verdict;
    const end = Math.max(
      r.spanMs,
      ...r.events.map((e) => e.t).filter((t) => Number.isFinite(t)),
    );
    const chart = renderChart({
      name: r.name,
      spanMs: end + 500,
      charge: r.series.charge,
      runtime: r.series.runtime,
      voltage: r.series.voltage,
      markers: markersOf(r),
    });
    const checks = v.checks.map((c) =>
      `<li class="${c.ok ? "ok" : "bad"}">${c.ok ? "✔" : "✘"} ${
        escapeXml(c.text)
      }</li>`
    ).join("");
    const steps = v.steps.map((s) =>
      `<tr><td>${escapeXml(s.step)}</td><td>${
        escapeXml(s.phase)
      }</td><td>${s.durationMs} ms</td></tr>`
    ).join("");
    return `<section class="scenario ${v.passed ? "passed" : "failed"}" id="${
      escapeXml(r.name)
    }">
<h2>${v.passed ? "✔" : "✘"} ${escapeXml(r.name)}</h2>
<p>${escapeXml(r.description)}</p>
<p><b>Trigger:</b> ${
      v.trigger
        ? `${escapeXml(v.trigger.name)}, ${v.trigger.delayMs} ms after “${
          escapeXml(v.trigger.mark)
        }” — ${escapeXml(v.trigger.message)}`
        : "none"
    }</p>
${chart}
${
      steps
        ? `<table><tr><th>step</th><th>result</th><th>duration</th></tr>${steps}</table>`
        : ""
    }
${
      r.fleet
        ? `<h3>Fleet</h3>\n${fleetTimelineHtml(r.fleet, r.events)}\n`
        : ""
    }<ul class="checks">${checks}</ul>
</section>`;
  }).join("\n");
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>ups-monitor rig: ${passed} passed, ${
    results.length - passed
  } failed</title>
<style>
body{font-family:sans-serif;margin:2em;max-width:960px;color:#212121}
.ok{color:#2e7d32}.bad{color:#c62828;font-weight:bold}
section{border-top:1px solid #ccc;padding-top:1em}
table{border-collapse:collapse}td,th{padding:2px 10px;border:1px solid #ddd}
.checks{font-size:90%}
.fleet td:nth-child(-n+2){white-space:nowrap}
</style></head><body>
<h1>ups-monitor outage rig</h1>
<p>${passed} passed, ${results.length - passed} failed · engine ${
    escapeXml(info.engine)
  } · program ${escapeXml(info.program)} · wall time ${
    (info.wallMs / 1000).toFixed(1)
  } s</p>
<table><tr><th>scenario</th><th>result</th><th>trigger</th></tr>${
    results.map((r) =>
      `<tr><td><a href="#${escapeXml(r.name)}">${
        escapeXml(r.name)
      }</a></td><td class="${r.verdict.passed ? "ok" : "bad"}">${
        r.verdict.passed ? "pass" : "fail"
      }</td><td>${
        r.verdict.trigger
          ? `${
            escapeXml(r.verdict.trigger.name)
          } (${r.verdict.trigger.delayMs} ms)`
          : "none"
      }</td></tr>`
    ).join("")
  }</table>
${sections}
</body></html>
`;
}

/**
 * Writes the HTML page.
 *
 * @param path Where to write it.
 * @param results Every scenario's result.
 * @param info Engine, program form and wall time.
 * @returns When it is written.
 */
export async function writeHtmlReport(
  path: string,
  results: readonly ScenarioResult[],
  info: RunInfo,
): Promise<void> {
  await Deno.writeTextFile(path, renderHtml(results, info));
}
