/**
 * The ups-monitor command line: picks the subcommand, runs it and turns its
 * outcome into the exit code (0 success, 1 runtime failure, 2 usage or
 * config error). The only place that exits.
 *
 * @module
 */
import { errorMessage } from "./lib/errors.ts";
import { ConfigError } from "./lib/config/errors.ts";
import {
  type Command,
  type CommandContext,
  type TextWriter,
  UsageError,
} from "./lib/cli/context.ts";
import { PidFileError } from "./lib/shutdown/pid_file.ts";
import { ConsoleLogger, underJournald } from "./lib/system/log.ts";

/**
 * Every subcommand by name; `run` is the default. Each is loaded only when
 * it runs (or its help is asked for): a one-shot command does not pay for
 * the modules of the others, nor `version` for YAML and the config schema.
 */
export const COMMANDS: Record<string, () => Promise<Command>> = {
  run: async () => (await import("./lib/cli/run.ts")).runCommand,
  check: async () => (await import("./lib/cli/check.ts")).checkCommand,
  status: async () => (await import("./lib/cli/status.ts")).statusCommand,
  plan: async () => (await import("./lib/cli/plan.ts")).planCommand,
  rehearse: async () => (await import("./lib/cli/rehearse.ts")).rehearseCommand,
  "notify-test": async () =>
    (await import("./lib/cli/notify.ts")).notifyTestCommand,
  reset: async () => (await import("./lib/cli/reset.ts")).resetCommand,
  migrate: async () => (await import("./lib/cli/migrate.ts")).migrateCommand,
  schema: async () => (await import("./lib/cli/schema.ts")).schemaCommand,
  version: async () => (await import("./lib/cli/version.ts")).versionCommand,
};

async function overview(): Promise<string> {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length));
  const lines = await Promise.all(
    Object.entries(COMMANDS).map(async ([name, load]) =>
      `  ${name.padEnd(width)}  ${(await load()).summary}`
    ),
  );
  return `Usage: ups-monitor [COMMAND] [OPTIONS]

Watches a UPS through a NUT server and shuts down VMs, containers, file
systems, remote machines and this host, in order, when the power fails.

Commands (default: run):
${lines.join("\n")}

Every command takes --help and --log-format text|json.
Exit codes: 0 success, 1 runtime failure, 2 usage or configuration error.
`;
}

/** Output writers of the real process. */
function processWriter(
  stream: { writeSync(data: Uint8Array): number },
): TextWriter {
  const encoder = new TextEncoder();
  return {
    write(text: string) {
      const bytes = encoder.encode(text);
      let written = 0;
      while (written < bytes.length) {
        written += stream.writeSync(bytes.subarray(written));
      }
    },
  };
}

/** `--log-format` is read before dispatch so that early messages use it. */
function logFormatFlag(args: string[]): "text" | "json" | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? "";
    const value = arg.startsWith("--log-format=")
      ? arg.slice("--log-format=".length)
      : arg === "--log-format"
      ? args[i + 1]
      : undefined;
    if (value === "text" || value === "json") return value;
  }
  return undefined;
}

/**
 * Runs ups-monitor with command-line arguments.
 *
 * @param args The arguments after the program name.
 * @param io Output writers; the process's stdout and stderr by default.
 * @returns The exit code.
 */
export async function main(
  args: string[],
  io: { stdout?: TextWriter; stderr?: TextWriter } = {},
): Promise<number> {
  const stdout = io.stdout ?? processWriter(Deno.stdout);
  const stderr = io.stderr ?? processWriter(Deno.stderr);
  const format = logFormatFlag(args);
  const logger = new ConsoleLogger({
    format: format ?? "text",
    journald: underJournald(),
    write: (line) => stderr.write(line + "\n"),
  });
  const first = args[0];
  if (first === "--help" || first === "-h" || first === "help") {
    stdout.write(await overview());
    return 0;
  }
  if (first === "--version") args = ["version", ...args.slice(1)];
  const named = first !== undefined && !first.startsWith("-");
  const name = named ? first : "run";
  const load = COMMANDS[name];
  if (!load) {
    stderr.write(`Unknown command "${name}"\n\n${await overview()}`);
    return 2;
  }
  const command = await load();
  const rest = named ? args.slice(1) : args;
  if (rest.includes("--help") || rest.includes("-h")) {
    stdout.write(command.usage + "\n");
    return 0;
  }
  const context: CommandContext = {
    args: rest,
    stdout,
    stderr,
    logger,
    logFormatFlag: format,
  };
  try {
    return await command.run(context);
  } catch (error) {
    if (error instanceof UsageError) {
      stderr.write(`${error.message}\n\n${command.usage}\n`);
      return 2;
    }
    if (error instanceof PidFileError) {
      // Not a usage mistake: the arguments were fine, so no usage text.
      stderr.write(`${error.message}\n`);
      return 2;
    }
    if (error instanceof ConfigError) {
      if (format === "json") {
        logger.error("config.invalid", "Invalid configuration", {
          issues: error.issues,
        });
      } else {
        stderr.write(`Invalid configuration:\n${error.message}\n`);
      }
      return 2;
    }
    logger.error(
      "command.failed",
      errorMessage(error),
      {
        command: name,
      },
    );
    return 1;
  } finally {
    logger.close();
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
