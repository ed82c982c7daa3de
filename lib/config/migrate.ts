/**
 * Turns the settings of the scripts this program succeeds — the `Config`
 * dataclass of "UPS Monitor 3.0" (Python) or the `VAR=value` lines of the
 * 2.0 Bash script — into the YAML config. Every field is either converted or
 * reported; none is dropped silently. Pure.
 *
 * @pure
 * @module
 */
import { errorMessage } from "../errors.ts";
import { stringify } from "./yaml.ts";
import { formatDuration } from "./duration.ts";
import { migrateRemote } from "./migrate_remote.ts";
import { evaluatePython, isComplete, type PyValue } from "./py_expr.ts";

/** One assignment found in the old script. */
interface Field {
  name: string;
  line: number;
  value: PyValue;
}

/** The result of a migration. */
export interface Migration {
  /** The YAML config, notes included as comments. */
  yaml: string;
  /** What the user must know: unknown fields, rewrites, next steps. */
  notes: string[];
  /** Number of fields converted. */
  converted: number;
}

type Converter = (value: PyValue) => unknown;

/** The seed's placeholder webhook, as its guide prints it. */
const PLACEHOLDER_WEBHOOK = /\/webhooks\/\.\.\.|^\s*$|\.\.\.$|YOUR_WEBHOOK/i;

const SECONDS: Converter = (v) =>
  formatDuration(Math.round(toNumber(v) * 1000));
const NUMBER: Converter = (v) => toNumber(v);
const INTEGER: Converter = (v) => {
  const n = toNumber(v);
  if (!Number.isInteger(n)) {
    throw new TypeError(`expected a whole number, got ${n}`);
  }
  return n;
};
const BOOLEAN: Converter = (v) => toBoolean(v);
const TEXT: Converter = (v) => toText(v);

/** Old field name → where it goes in the YAML and how its value converts. */
const FIELDS: Record<string, [path: string[], convert: Converter]> = {
  "UPS_NAME": [["ups", "name"], TEXT],
  "CHECK_INTERVAL": [["ups", "check_interval"], SECONDS],
  "MAX_STALE_DATA_TOLERANCE": [["ups", "max_stale_data_tolerance"], INTEGER],
  "LOW_BATTERY_THRESHOLD": [["triggers", "low_battery"], NUMBER],
  "CRITICAL_RUNTIME_THRESHOLD": [["triggers", "critical_runtime"], SECONDS],
  "BATTERY_DEPLETION_WINDOW": [["triggers", "depletion", "window"], SECONDS],
  "CRITICAL_DEPLETION_RATE": [
    ["triggers", "depletion", "critical_rate"],
    NUMBER,
  ],
  "DEPLETION_RATE_GRACE_PERIOD": [
    ["triggers", "depletion", "grace_period"],
    SECONDS,
  ],
  "EXTENDED_TIME": [["triggers", "extended_time", "after"], SECONDS],
  "EXTENDED_TIME_ON_BATTERY_SHUTDOWN": [[
    "triggers",
    "extended_time",
    "enabled",
  ], BOOLEAN],
  "LOG_FILE": [["logging", "file"], TEXT],
  "STATE_FILE": [["paths", "state"], TEXT],
  "SHUTDOWN_SCHEDULED_FILE": [["paths", "flag"], TEXT],
  "BATTERY_HISTORY_FILE": [["paths", "history"], TEXT],
  "NOTIFICATION_TIMEOUT": [["notifications", "timeout"], SECONDS],
  "NOTIFICATION_TIMEOUT_BLOCKING": [
    ["notifications", "crisis_timeout"],
    SECONDS,
  ],
  "COLOR_RED": [["notifications", "colors", "red"], INTEGER],
  "COLOR_GREEN": [["notifications", "colors", "green"], INTEGER],
  "COLOR_YELLOW": [["notifications", "colors", "yellow"], INTEGER],
  "COLOR_ORANGE": [["notifications", "colors", "orange"], INTEGER],
  "COLOR_BLUE": [["notifications", "colors", "blue"], INTEGER],
  "DRY_RUN_MODE": [["shutdown", "dry_run"], BOOLEAN],
  "MAX_VM_WAIT": [["shutdown", "vms", "max_wait"], SECONDS],
  "UNMOUNT_TIMEOUT": [["shutdown", "filesystems", "timeout"], SECONDS],
};

/** Fields handled by hand below, because they build lists. */
const SPECIAL = new Set([
  "DISCORD_WEBHOOK_URL",
  "REMOTE_NAS_USER",
  "REMOTE_NAS_HOST",
  "REMOTE_NAS_COMMAND",
  "REMOTE_NAS_PORT",
  "MOUNTS_TO_UNMOUNT",
]);

function toNumber(value: PyValue): number {
  const n = typeof value === "string" && value.trim() !== ""
    ? Number(value)
    : value;
  if (typeof n !== "number" || !Number.isFinite(n)) {
    throw new TypeError(`expected a number, got ${JSON.stringify(value)}`);
  }
  return n;
}

function toBoolean(value: PyValue): boolean {
  if (typeof value === "boolean") return value;
  const text = String(value).trim().toLowerCase();
  if (["true", "yes", "1", "on"].includes(text)) return true;
  if (["false", "no", "0", "off", ""].includes(text)) return false;
  throw new TypeError(`expected true or false, got ${JSON.stringify(value)}`);
}

function toText(value: PyValue): string {
  if (typeof value === "string") return value;
  if (typeof value === "number") return String(value);
  throw new TypeError(`expected text, got ${JSON.stringify(value)}`);
}

/** Finds `NAME: type = value` (Python) or `NAME=value` (Bash) assignments. */
function extractFields(
  text: string,
  python: boolean,
  notes: string[],
  file: string,
): Field[] {
  const lines = text.split(/\r?\n/);
  const fields: Field[] = [];
  const names = new Map<string, PyValue>();
  const assignment = python
    ? /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?::\s*[^=]+?)?\s*=\s*(.*)$/
    : /^\s*(?:export\s+|readonly\s+|declare\s+-\w+\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/;
  let inClass = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? "";
    if (python) {
      if (/^class\s+Config\b/.test(line)) {
        inClass = true;
        continue;
      }
      if (/^\S/.test(line) && !/^\s*#/.test(line) && !/^@/.test(line)) {
        inClass = false;
      }
      const constant = /^[A-Z_][A-Z0-9_]*\s*=/.test(line);
      if (!inClass && !constant) continue;
    }
    const match = assignment.exec(line);
    if (!match || /^\s*(def|return|if|for)\b/.test(line)) continue;
    const name = match[1]!;
    const start = i;
    let source = match[2]!;
    const complete = python ? isComplete : bashComplete;
    while (!complete(source) && i + 1 < lines.length) {
      source += "\n" + lines[++i];
    }
    try {
      const value = python
        ? evaluatePython(source, names)
        : evaluateBash(source, names);
      names.set(name, value);
      if (python && !inClass) continue; // a module constant, only for later references
      fields.push({ name, line: start + 1, value });
    } catch (error) {
      notes.push(
        `${file}:${start + 1}: ${name}: cannot read the value: ${
          errorMessage(error)
        }`,
      );
    }
  }
  return fields;
}

function bashComplete(text: string): boolean {
  const trimmed = text.replace(/#.*$/gm, "").trim();
  return !trimmed.startsWith("(") || trimmed.includes(")");
}

/** Evaluates a Bash right-hand side: quotes, `$((…))`, `$VAR`, arrays. */
function evaluateBash(
  source: string,
  names: ReadonlyMap<string, PyValue>,
): PyValue {
  const text = source.trim();
  if (text.startsWith("(")) {
    const body = text.slice(1, text.lastIndexOf(")"));
    return [
      ...body.replace(/#.*$/gm, "").matchAll(
        /"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g,
      ),
    ].map(
      (m) => m[2] ?? expand(m[1] ?? m[3] ?? "", names),
    );
  }
  const arith = /^\$\(\((.*)\)\)(?:\s+#.*)?$/.exec(text);
  if (arith) return evaluatePython(expand(arith[1]!, names, true), names);
  const single = /^'([^']*)'/.exec(text);
  if (single) return single[1]!;
  const double = /^"((?:[^"\\]|\\.)*)"/.exec(text);
  if (double) return expand(double[1]!, names);
  return expand(text.replace(/\s+#.*$/, "").trim(), names);
}

function expand(
  text: string,
  names: ReadonlyMap<string, PyValue>,
  bare = false,
): string {
  return text.replace(
    /\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g,
    (_, name: string) => {
      const value = names.get(name);
      if (value === undefined) {
        throw new SyntaxError(
          `"$${name}" is not defined above`,
        );
      }
      return bare ? String(value) : String(value);
    },
  ).replace(/\\(.)/g, "$1");
}

function setIn(
  target: Record<string, unknown>,
  path: string[],
  value: unknown,
): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    node[key] ??= {};
    node = node[key] as Record<string, unknown>;
  }
  node[path.at(-1)!] = value;
}

/** Reads `(path, options)` tuples (Python) or `path[:| ]options` words (Bash). */
function convertMounts(
  value: PyValue,
  where: string,
  notes: string[],
): unknown[] {
  if (!Array.isArray(value)) throw new TypeError("expected a list of mounts");
  return value.map((item) => {
    let path: string;
    let options: string;
    if (Array.isArray(item)) {
      path = toText(item[0] ?? "");
      options = item[1] === undefined || item[1] === null
        ? ""
        : toText(item[1]);
    } else {
      const text = toText(item);
      const split = /^(\/\S*?)(?:[:| ]\s*(.*))?$/.exec(text);
      path = split?.[1] ?? text;
      options = split?.[2] ?? "";
    }
    const mount: Record<string, unknown> = { path };
    for (const word of options.split(/\s+/).filter(Boolean)) {
      const flags = /^-([a-zA-Z]+)$/.exec(word)?.[1] ?? "";
      for (
        const flag of word === "--lazy"
          ? "l"
          : word === "--force"
          ? "f"
          : flags || "?"
      ) {
        if (flag === "l") mount["lazy"] = true;
        else if (flag === "f") mount["force"] = true;
        else {notes.push(
            `${where}: unmount option "${word}" of "${path}" has no equivalent and was left out`,
          );}
      }
    }
    return mount;
  });
}

/**
 * Migrates the source of the old script.
 *
 * @param text Contents of the Python or Bash script.
 * @param file Its name, for notes.
 * @returns The YAML config and the notes.
 */
export function migrateScript(text: string, file: string): Migration {
  const notes: string[] = [];
  const python = /^\s*class\s+Config\b/m.test(text) ||
    /^\s*@dataclass/m.test(text);
  const fields = extractFields(text, python, notes, file);
  const config: Record<string, unknown> = {};
  const byName = new Map(fields.map((f) => [f.name, f]));
  let converted = 0;
  for (const field of fields) {
    const where = `${file}:${field.line}: ${field.name}`;
    const target = FIELDS[field.name];
    if (target) {
      try {
        setIn(config, target[0], target[1](field.value));
        converted++;
      } catch (error) {
        notes.push(
          `${where}: ${errorMessage(error)}; the default is used`,
        );
      }
    } else if (!SPECIAL.has(field.name)) {
      notes.push(`${where}: unknown setting, not migrated`);
    }
  }
  const webhook = byName.get("DISCORD_WEBHOOK_URL");
  if (webhook) {
    const url = typeof webhook.value === "string" ? webhook.value.trim() : "";
    if (PLACEHOLDER_WEBHOOK.test(url)) {
      notes.push(
        `${file}:${webhook.line}: DISCORD_WEBHOOK_URL: empty or a placeholder, so no Discord channel was created; add one under notifications.channels`,
      );
    } else {
      setIn(config, ["notifications", "channels"], [{ kind: "discord", url }]);
    }
    converted++;
  }
  const host = byName.get("REMOTE_NAS_HOST");
  const user = byName.get("REMOTE_NAS_USER");
  if (host && user) {
    const port = byName.get("REMOTE_NAS_PORT");
    const command = byName.get("REMOTE_NAS_COMMAND");
    const migrated = migrateRemote({
      host: toText(host.value),
      user: toText(user.value),
      ...(port ? { port: toNumber(port.value) } : {}),
      ...(command
        ? { command: { words: toText(command.value), line: command.line } }
        : {}),
      python,
    }, file);
    setIn(config, ["shutdown", "remotes"], [migrated.remote]);
    notes.push(...migrated.notes);
    converted += 2 + (command ? 1 : 0) + (port ? 1 : 0);
  } else if (host || user) {
    const only = (host ?? user)!;
    notes.push(
      `${file}:${only.line}: ${only.name}: REMOTE_NAS_HOST and REMOTE_NAS_USER go together; no remote was created`,
    );
  }
  const mounts = byName.get("MOUNTS_TO_UNMOUNT");
  if (mounts) {
    const where = `${file}:${mounts.line}: MOUNTS_TO_UNMOUNT`;
    try {
      setIn(
        config,
        ["shutdown", "filesystems", "mounts"],
        convertMounts(mounts.value, where, notes),
      );
      converted++;
    } catch (error) {
      notes.push(
        `${where}: ${errorMessage(error)}; no mounts were migrated`,
      );
    }
  }
  if (!byName.has("UPS_NAME")) {
    notes.push(`${file}: UPS_NAME not found: set ups.name by hand`);
  }
  notes.push(
    `The VM and container steps are enabled by default: check refuses the config on a host without virsh (libvirt-clients) or without docker and podman; there, set shutdown.vms.enabled: false or shutdown.containers.enabled: false`,
  );
  const header = [
    `# ups-monitor config migrated from ${file}`,
    ...notes.map((note) => `# NOTE: ${note.replaceAll("\n", " ")}`),
    "",
  ].join("\n");
  return {
    yaml: header + stringify(config, { lineWidth: 0 }),
    notes,
    converted,
  };
}
