/**
 * Argument parsing for subcommands: long options (`--name value`,
 * `--name=value`), their short letters, booleans, positionals and `--`.
 * Errors are {@linkcode UsageError}s a user understands. Written here rather
 * than taken from `node:util`, whose import starts Node's compatibility
 * layer in every command (about 10 ms and 5 MiB, issue 19).
 *
 * @module
 */
import { UsageError } from "./context.ts";

/** Options every subcommand accepts. */
export const COMMON_OPTIONS = {
  help: { type: "boolean", short: "h" },
  "log-format": { type: "string" },
} as const;

type OptionSpec = Record<
  string,
  { type: "string" | "boolean"; short?: string }
>;

type Values = Record<string, string | boolean | undefined>;

/**
 * Parses subcommand arguments strictly.
 *
 * @param args Arguments after the subcommand.
 * @param options Option spec by long name (common options are added).
 * @param positionals How many positionals are allowed.
 * @returns Parsed values and positionals.
 * @throws {UsageError} On an unknown option, a missing value, extra arguments
 * or a `--log-format` other than text or json.
 */
export function parseCommandArgs<T extends OptionSpec>(
  args: string[],
  options: T,
  positionals = 0,
): { values: Values; positionals: string[] } {
  const spec: OptionSpec = { ...COMMON_OPTIONS, ...options };
  const values: Values = {};
  const found: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--") {
      found.push(...args.slice(i + 1));
      break;
    }
    if (!arg.startsWith("-") || arg === "-") {
      found.push(arg);
      continue;
    }
    const equals = arg.indexOf("=");
    const written = arg.startsWith("--") && equals > 0
      ? arg.slice(0, equals)
      : arg;
    const name = optionName(spec, written);
    const inline = written === arg ? undefined : arg.slice(equals + 1);
    if (spec[name]!.type === "boolean") {
      if (inline !== undefined) {
        throw new UsageError(`Option "${written}" takes no value`);
      }
      values[name] = true;
      continue;
    }
    const value = inline ?? args[i + 1];
    if (
      value === undefined || (inline === undefined && value.startsWith("-"))
    ) {
      throw new UsageError(`Option "${written}" needs a value`);
    }
    if (inline === undefined) i++;
    values[name] = value;
  }
  logFormatOption(values["log-format"]);
  if (found.length > positionals) {
    throw new UsageError(`Unexpected argument "${found[positionals]}"`);
  }
  return { values, positionals: found };
}

/** The long name of an option as written (`--config` or `-h`). */
function optionName(spec: OptionSpec, written: string): string {
  const name = written.startsWith("--")
    ? written.slice(2)
    : Object.keys(spec).find((long) => {
      const short = spec[long]!.short;
      return short !== undefined && `-${short}` === written;
    });
  if (name === undefined || !Object.hasOwn(spec, name)) {
    throw new UsageError(`Unknown option "${written}"`);
  }
  return name;
}

/**
 * Reads `--log-format` and checks its value.
 *
 * @param value The raw option value.
 * @returns The format, or undefined when not given.
 * @throws {UsageError} When the value is neither text nor json.
 */
export function logFormatOption(value: unknown): "text" | "json" | undefined {
  if (value === undefined) return undefined;
  if (value === "text" || value === "json") return value;
  throw new UsageError(
    `Option "--log-format" must be "text" or "json", not "${String(value)}"`,
  );
}
