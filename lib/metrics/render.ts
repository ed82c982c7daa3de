/**
 * The Prometheus text exposition format (version 0.0.4): metric families in,
 * text out. `# HELP` and `# TYPE` per family, one line per sample, label
 * values escaped, histograms as cumulative `_bucket{le}` lines with `_sum`
 * and `_count`. A sample whose value is absent or not a number is left out
 * (never "undefined" or "NaN"), and so is a family left without samples.
 * Pure.
 *
 * @pure
 * @module
 */

/** The `Content-Type` of the text format. */
export const METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** Label name → value; names match `[a-zA-Z_][a-zA-Z0-9_]*`. */
export type Labels = Readonly<Record<string, string>>;

/** One sample of a gauge or a counter. */
export interface Sample {
  /** Its labels. @default none */
  readonly labels?: Labels;
  /** The value; null, undefined and NaN leave the sample out. */
  readonly value: number | null | undefined;
}

/** A gauge or a counter (a counter's name ends in `_total`). */
export interface ScalarFamily {
  readonly type: "gauge" | "counter";
  /** Matches `[a-zA-Z_:][a-zA-Z0-9_:]*`. */
  readonly name: string;
  /** One line for people; escaped on output. */
  readonly help: string;
  readonly samples: readonly Sample[];
}

/** One labelled histogram: counts per bucket, not yet cumulative. */
export interface HistogramSeries {
  /** Its labels (without `le`). @default none */
  readonly labels?: Labels;
  /** Upper bounds of the buckets, ascending, without +Inf. */
  readonly bounds: readonly number[];
  /**
   * Observations per bucket: `counts[i]` fell in (bounds[i-1], bounds[i]],
   * `counts[bounds.length]` above the last bound.
   */
  readonly counts: ArrayLike<number>;
  /** Sum of the observations. */
  readonly sum: number;
}

/** A histogram. */
export interface HistogramFamily {
  readonly type: "histogram";
  /** The base name; `_bucket`, `_sum` and `_count` are added. */
  readonly name: string;
  readonly help: string;
  readonly series: readonly HistogramSeries[];
}

/** A metric family. */
export type MetricFamily = ScalarFamily | HistogramFamily;

/**
 * Escapes a label value: backslash, double quote and line feed.
 *
 * @param value The raw value.
 * @returns The text between the quotes.
 */
export function escapeLabelValue(value: string): string {
  return value.replace(/[\\"\n]/g, (c) => c === "\n" ? "\\n" : `\\${c}`);
}

/**
 * Escapes a help text: backslash and line feed.
 *
 * @param text The raw text.
 * @returns The text for `# HELP`.
 */
export function escapeHelp(text: string): string {
  return text.replace(/[\\\n]/g, (c) => c === "\n" ? "\\n" : "\\\\");
}

/**
 * Formats a sample value as Prometheus parses it.
 *
 * @param value A number (not NaN).
 * @returns `+Inf`, `-Inf`, or the shortest decimal form.
 */
export function formatValue(value: number): string {
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}

function labelText(labels: Labels | undefined, le?: string): string {
  const parts: string[] = [];
  if (labels !== undefined) {
    for (const name in labels) {
      parts.push(`${name}="${escapeLabelValue(labels[name]!)}"`);
    }
  }
  if (le !== undefined) parts.push(`le="${le}"`);
  return parts.length === 0 ? "" : `{${parts.join(",")}}`;
}

function present(value: number | null | undefined): value is number {
  return typeof value === "number" && !Number.isNaN(value);
}

function scalarLines(family: ScalarFamily): string[] {
  const lines: string[] = [];
  for (const sample of family.samples) {
    if (!present(sample.value)) continue;
    lines.push(
      `${family.name}${labelText(sample.labels)} ${formatValue(sample.value)}`,
    );
  }
  return lines;
}

function histogramLines(family: HistogramFamily): string[] {
  const lines: string[] = [];
  const { name } = family;
  for (const series of family.series) {
    let cumulative = 0;
    series.bounds.forEach((bound, i) => {
      cumulative += series.counts[i] ?? 0;
      lines.push(
        `${name}_bucket${
          labelText(series.labels, formatValue(bound))
        } ${cumulative}`,
      );
    });
    cumulative += series.counts[series.bounds.length] ?? 0;
    lines.push(
      `${name}_bucket${labelText(series.labels, "+Inf")} ${cumulative}`,
      `${name}_sum${labelText(series.labels)} ${formatValue(series.sum)}`,
      `${name}_count${labelText(series.labels)} ${cumulative}`,
    );
  }
  return lines;
}

/**
 * Renders metric families in the text format.
 *
 * @param families The families, in the order to print.
 * @returns The text, each line ending in a line feed; empty for nothing.
 */
export function renderMetrics(families: readonly MetricFamily[]): string {
  const out: string[] = [];
  for (const family of families) {
    const lines = family.type === "histogram"
      ? histogramLines(family)
      : scalarLines(family);
    if (lines.length === 0) continue;
    out.push(
      `# HELP ${family.name} ${escapeHelp(family.help)}`,
      `# TYPE ${family.name} ${family.type}`,
      ...lines,
    );
  }
  return out.length === 0 ? "" : out.join("\n") + "\n";
}
