/**
 * Argument parsing for subcommands with `node:util` parseArgs, turning its
 * errors into {@linkcode UsageError}s a user understands.
 *
 * @module
 */
import { errorMessage } from "../errors.ts";
import { parseArgs } from "node:util";
import { UsageError } from "./context.ts";

/** Options every subcommand accepts. */
export const COMMON_OPTIONS = {
  help: { type: "boolean", short: "h" },
  "log-format": { type: "string" },
} as const;

type OptionSpec = Record<
  string,
  { type: "string" | "boolean"; short?: string; multiple?: boolean }
>;

/**
 * Parses subcommand arguments strictly.
 *
 * @param args Arguments after the subcommand.
 * @param options Option spec in parseArgs form (common options are added).
 * @param positionals How many positionals are allowed.
 * @returns Parsed values and positionals.
 * @throws {UsageError} On an unknown option, a missing value, extra arguments
 * or a `--log-format` other than text or json.
 */
export function parseCommandArgs<T extends OptionSpec>(
  args: string[],
  options: T,
  positionals = 0,
): {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
} {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: { ...COMMON_OPTIONS, ...options },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw new UsageError(usageMessage(error), { cause: error });
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  logFormatOption(values["log-format"]);
  if (parsed.positionals.length > positionals) {
    throw new UsageError(
      `Unexpected argument "${parsed.positionals[positionals]}"`,
    );
  }
  return {
    values,
    positionals: parsed.positionals,
  };
}

function usageMessage(error: unknown): string {
  const message = errorMessage(error);
  const code = (error as { code?: string }).code;
  const option = /'([^']+)'/.exec(message)?.[1]?.split(" ")[0];
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
    return `Unknown option "${option}"`;
  }
  if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") {
    return /argument missing/.test(message)
      ? `Option "${option}" needs a value`
      : `Option "${option}" takes no value`;
  }
  return message;
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
