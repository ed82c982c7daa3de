/**
 * The container step: list running docker or podman containers, keep those
 * the include and exclude filters select, stop them in one call.
 *
 * @module
 */
import type { Config } from "../../config/schema.ts";
import { resolveEngines } from "../dependencies.ts";
import type { PlannedStep } from "../plan.ts";
import {
  call,
  failureText,
  type StepContext,
  type StepOutcome,
  succeeded,
} from "../step.ts";

/** A running container as the engine lists it. */
export interface Container {
  /** Full id. */
  id: string;
  /** Name (the first one, without a leading slash). */
  name: string;
  /** Labels as key → value. */
  labels: Record<string, string>;
}

/** `ps --format`: one tab-separated line per container. */
const PS_FORMAT = "{{.ID}}\t{{.Names}}\t{{json .Labels}}";

/**
 * Parses the output of `ps --format` with {@linkcode PS_FORMAT}. Docker
 * prints labels as `"k=v,k2=v2"`, podman as a JSON object: both are read.
 *
 * @param text The engine's stdout.
 * @returns The containers; lines that do not parse are left out.
 */
export function parseContainers(text: string): Container[] {
  const containers: Container[] = [];
  for (const line of text.split("\n")) {
    const [id, names, labelText] = line.split("\t");
    if (!id || names === undefined) continue;
    const labels: Record<string, string> = {};
    let parsed: unknown = null;
    try {
      parsed = JSON.parse(labelText ?? "null");
    } catch {
      // Not JSON: an engine that prints labels bare; read it as docker's form.
      parsed = labelText ?? "";
    }
    if (typeof parsed === "string") {
      for (const pair of parsed.split(",")) {
        if (pair === "") continue;
        const cut = pair.indexOf("=");
        if (cut < 0) labels[pair] = "";
        else labels[pair.slice(0, cut)] = pair.slice(cut + 1);
      }
    } else if (typeof parsed === "object" && parsed !== null) {
      for (const [key, value] of Object.entries(parsed)) {
        labels[key] = String(value);
      }
    }
    const name = (names.split(",")[0] ?? "").replace(/^\//, "");
    containers.push({ id, name, labels });
  }
  return containers;
}

function globMatch(pattern: string, name: string): boolean {
  const escaped = pattern.split("*").map((part) =>
    part.replace(/[.+?^${}()|[\]\\]/g, "\\$&")
  ).join(".*");
  return new RegExp(`^${escaped}$`).test(name);
}

function matches(
  container: Container,
  filter: { names: string[]; labels: string[] },
): boolean {
  return filter.names.some((pattern) => globMatch(pattern, container.name)) ||
    filter.labels.some((label) => {
      const cut = label.indexOf("=");
      return cut < 0
        ? Object.hasOwn(container.labels, label)
        : container.labels[label.slice(0, cut)] === label.slice(cut + 1);
    });
}

/**
 * Applies the include and exclude filters: everything when include is
 * empty, exclude always wins.
 *
 * @param containers Running containers.
 * @param settings `shutdown.containers` of the config.
 * @returns The containers to stop, in the given order.
 */
export function selectContainers(
  containers: readonly Container[],
  settings: Pick<Config["shutdown"]["containers"], "include" | "exclude">,
): Container[] {
  const { include, exclude } = settings;
  const everything = include.names.length + include.labels.length === 0;
  return containers.filter((c) =>
    (everything || matches(c, include)) && !matches(c, exclude)
  );
}

/**
 * Stops the selected running containers with one `stop -t` call.
 *
 * @param context Collaborators; `config.shutdown.containers` is used.
 * @param _step The planned step.
 * @returns Done when the stop call succeeded or nothing was running.
 */
export async function containersStep(
  context: StepContext,
  _step: PlannedStep,
): Promise<StepOutcome> {
  const settings = context.config.shutdown.containers;
  const engines = await resolveEngines(
    settings.engine,
    context.searchPath ?? context.env?.["PATH"],
  );
  if (engines.length === 0) {
    return {
      status: "failed",
      summary:
        'Cannot stop containers: neither "docker" nor "podman" is installed',
      details: [],
    };
  }
  const details: string[] = [];
  let engine: string | null = null;
  let running: Container[] = [];
  let lastFailure = "";
  let timedOut = false;
  // With auto, a docker client without a reachable daemon (or podman's
  // docker shim) must not hide podman's containers.
  for (const candidate of engines) {
    const result = await call(context, candidate, [
      "ps",
      "--no-trunc",
      "--format",
      PS_FORMAT,
    ], { kind: "query", timeoutMs: settings.timeout });
    if (succeeded(result)) {
      engine = candidate;
      running = parseContainers(result.stdout);
      break;
    }
    timedOut ||= result.timedOut;
    lastFailure = `${candidate} ps: ${failureText(result)}`;
    details.push(`Cannot list containers with ${lastFailure}`);
  }
  if (engine === null) {
    return {
      status: timedOut ? "timeout" : "failed",
      summary: `Cannot list containers: ${lastFailure}`,
      details,
    };
  }
  const selected = selectContainers(running, settings);
  const kept = running.filter((c) => !selected.includes(c));
  for (const c of kept) details.push(`Container ${c.name}: kept (filtered)`);
  if (selected.length === 0) {
    return {
      status: "done",
      summary: running.length === 0
        ? "No container was running"
        : `No running container matched; ${kept.length} kept`,
      details,
    };
  }
  const names = selected.map((c) => c.name).join(", ");
  context.action(`Stopping containers ${names}`, {
    engine,
    containers: selected.length,
  });
  const seconds = Math.ceil(settings.stop_timeout / 1000);
  const result = await call(
    context,
    engine,
    // After "--" no listed id can be taken for an option.
    ["stop", "-t", String(seconds), "--", ...selected.map((c) => c.id)],
    { kind: "action", timeoutMs: settings.timeout },
  );
  // Even a failed stop call may have stopped some: an abort starts them all.
  const undo = {
    kind: "containers" as const,
    engine,
    ids: selected.map((c) => c.id),
    names: selected.map((c) => c.name),
  };
  if (succeeded(result)) {
    for (const c of selected) details.push(`Container ${c.name}: stopped`);
    return {
      undo,
      status: "done",
      summary: `${selected.length} containers stopped${
        kept.length > 0 ? `, ${kept.length} kept` : ""
      }`,
      details,
    };
  }
  return {
    undo,
    status: result.timedOut ? "timeout" : "failed",
    summary: `Cannot stop containers ${names}: ${failureText(result)}`,
    details,
  };
}
