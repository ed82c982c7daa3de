/**
 * `status` with several UPSes: one block per UPS (a UPS that cannot be read
 * says why instead) and the supplies line, weighed as the daemon weighs
 * them but on this one reading: a UPS whose trigger would fire is unsafe, a
 * UPS that cannot be read is unknown.
 *
 * @module
 */
import type { Config } from "../config/schema.ts";
import {
  type UpsSafety,
  verdictText,
  weighSupplies,
} from "../power/supplies.ts";
import type { StatusReport } from "./status_report.ts";

/** A UPS that could not be read. */
export interface UnreadUps {
  name: string;
  error: string;
}

/** What `status --json` prints with several UPSes. */
export interface SeveralReport {
  /** Each UPS's report, in config order. */
  upses: (StatusReport | UnreadUps)[];
  /** The supplies on these readings. */
  supplies: {
    fed: number;
    total: number;
    "min_supplies": number;
    shutdown: boolean;
    text: string;
  };
}

/**
 * Weighs the supplies on the reports.
 *
 * @param config The config (`upses`, `power`).
 * @param upses The reports, in config order.
 * @param safeties What the daemon holds of each UPS (its fired triggers,
 *   its lost links), instead of what one reading suggests. @default from
 *   the reports
 * @returns The supplies part of the report.
 */
export function suppliesOf(
  config: Config,
  upses: readonly (StatusReport | UnreadUps)[],
  safeties?: readonly UpsSafety[],
): SeveralReport["supplies"] {
  const verdict = weighSupplies(
    config.upses.map((ups, index) => ({
      name: ups.name,
      supplies: ups.supplies,
      safety: safeties?.[index] ?? safetyOfReport(upses[index]),
    })),
    {
      minSupplies: config.power.min_supplies,
      unknownIsUnsafe: config.power.unknown_is_unsafe,
    },
  );
  return {
    fed: verdict.fed,
    total: verdict.total,
    "min_supplies": verdict.minSupplies,
    shutdown: verdict.shutdown,
    text: verdictText(verdict),
  };
}

function safetyOfReport(
  report: StatusReport | UnreadUps | undefined,
): UpsSafety {
  if (report === undefined) return { kind: "unknown", detail: "not read" };
  if (!("ups" in report)) return { kind: "unknown", detail: report.error };
  if (report.trigger !== null) {
    return {
      kind: "unsafe",
      detail: `${report.trigger.trigger}: ${report.trigger.reason}`,
    };
  }
  const onBattery = report.flags.includes("OB");
  return { kind: "safe", detail: onBattery ? "on battery" : "on line" };
}

/**
 * The text: each UPS's block, then the supplies.
 *
 * @param several The report.
 * @param render Renders one UPS's block.
 * @returns The text.
 */
export function renderSeveral(
  several: SeveralReport,
  render: (report: StatusReport) => string,
): string {
  const blocks = several.upses.map((entry) =>
    "ups" in entry
      ? render(entry)
      : `UPS "${entry.name}"\n  unreadable   ${entry.error}\n`
  );
  const { supplies } = several;
  return `${blocks.join("\n")}\nsupplies       ${supplies.text}${
    supplies.shutdown ? ": the host would shut down" : ""
  }\n`;
}
