/**
 * The SVG chart of one scenario: battery charge (%), runtime (s) and input
 * voltage (V) over time, each on its own scale, with vertical markers for
 * the program's events, the trigger, each shutdown step and the timeline's
 * faults. Pure: data in, SVG text out.
 *
 * @module
 */
import type { Point } from "./timeline.ts";

/** A vertical marker. */
export interface Marker {
  /** ms since the start. */
  t: number;
  /** Short label. */
  label: string;
  /** `event`, `trigger`, `step` or `fault`: sets the color. */
  kind: "event" | "trigger" | "step" | "fault";
}

/** What the chart shows. */
export interface ChartData {
  /** Scenario name, used in element ids. */
  name: string;
  /** Length of the time axis, ms. */
  spanMs: number;
  /** battery.charge, %. */
  charge: Point[];
  /** battery.runtime, s. */
  runtime: Point[];
  /** input.voltage, V. */
  voltage: Point[];
  /** Markers. */
  markers: Marker[];
}

const WIDTH = 900;
const HEIGHT = 300;
const PAD = { left: 50, right: 20, top: 20, bottom: 80 };
const COLORS = {
  charge: "#2e7d32",
  runtime: "#1565c0",
  voltage: "#ef6c00",
  event: "#9e9e9e",
  trigger: "#c62828",
  step: "#6a1b9a",
  fault: "#000000",
} as const;

/**
 * Escapes text for XML content and attributes.
 *
 * @param text Any text.
 * @returns The escaped text.
 */
export function escapeXml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) =>
      ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[
        c
      ]!,
  );
}

/**
 * Renders the chart.
 *
 * @param data Series and markers.
 * @returns An `<svg>` element as text.
 */
export function renderChart(data: ChartData): string {
  const span = Math.max(1000, data.spanMs);
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const x = (t: number) =>
    PAD.left + Math.min(1, Math.max(0, t / span)) * plotW;
  const parts: string[] = [];
  parts.push(
    `<rect x="${PAD.left}" y="${PAD.top}" width="${plotW}" height="${plotH}" fill="#fafafa" stroke="#bdbdbd"/>`,
  );
  for (let s = 0; s <= span / 1000; s += tickStep(span)) {
    const px = x(s * 1000).toFixed(1);
    parts.push(
      `<line x1="${px}" y1="${PAD.top + plotH}" x2="${px}" y2="${
        PAD.top + plotH + 4
      }" stroke="#616161"/>`,
      `<text x="${px}" y="${
        PAD.top + plotH + 16
      }" font-size="10" text-anchor="middle">${s}s</text>`,
    );
  }
  const series = [
    ["charge", "battery.charge %", data.charge],
    ["runtime", "battery.runtime s", data.runtime],
    ["voltage", "input.voltage V", data.voltage],
  ] as const;
  for (const [index, [key, label, points]] of series.entries()) {
    const color = COLORS[key];
    parts.push(
      `<text x="${
        PAD.left + index * 170
      }" y="12" font-size="11" fill="${color}">■ ${label}${
        range(points)
      }</text>`,
    );
    if (points.length === 0) continue;
    const values = points.map((p) => p.v);
    let lo = Math.min(...values);
    let hi = Math.max(...values);
    if (hi - lo < 1e-9) [lo, hi] = [lo - 1, hi + 1];
    const y = (v: number) =>
      PAD.top + plotH - ((v - lo) / (hi - lo)) * (plotH - 10) - 5;
    // A step line: a value holds until the next SET, then to the end.
    const d: string[] = [];
    for (const [i, p] of points.entries()) {
      const px = x(p.t).toFixed(1);
      const py = y(p.v).toFixed(1);
      if (i === 0) d.push(`M${px},${py}`);
      else d.push(`H${px}`, `V${py}`);
    }
    d.push(`H${x(span).toFixed(1)}`);
    parts.push(
      `<path class="series series-${key}" data-points="${points.length}" d="${
        d.join(" ")
      }" fill="none" stroke="${color}" stroke-width="2"/>`,
    );
  }
  const sorted = [...data.markers].sort((a, b) => a.t - b.t);
  for (const [i, marker] of sorted.entries()) {
    const px = x(marker.t).toFixed(1);
    const color = COLORS[marker.kind];
    const width = marker.kind === "trigger" ? 2 : 1;
    const dash = marker.kind === "event" ? ` stroke-dasharray="3,3"` : "";
    const ly = PAD.top + plotH + 28 + (i % 4) * 12;
    parts.push(
      `<g class="marker marker-${marker.kind}"><title>${
        escapeXml(`${(marker.t / 1000).toFixed(2)} s: ${marker.label}`)
      }</title><line x1="${px}" y1="${PAD.top}" x2="${px}" y2="${
        PAD.top + plotH
      }" stroke="${color}" stroke-width="${width}"${dash}/><text x="${px}" y="${ly}" font-size="9" fill="${color}" text-anchor="middle">${
        escapeXml(marker.label.slice(0, 24))
      }</text></g>`,
    );
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="chart-${
    escapeXml(data.name)
  }" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${WIDTH}" height="${HEIGHT}" role="img" aria-label="${
    escapeXml(`Outage chart of ${data.name}`)
  }">${parts.join("")}</svg>`;
}

function tickStep(spanMs: number): number {
  const seconds = spanMs / 1000;
  return seconds <= 20 ? 2 : seconds <= 60 ? 5 : seconds <= 180 ? 15 : 60;
}

function range(points: readonly Point[]): string {
  if (points.length === 0) return " (not served)";
  const values = points.map((p) => p.v);
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  return lo === hi ? ` ${lo}` : ` ${lo}–${hi}`;
}
