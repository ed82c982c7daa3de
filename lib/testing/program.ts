/**
 * Runs the real program as a child process, the way the rig and the binary
 * do, and collects its output. Test support only.
 *
 * @module
 */
import { bundleRunArgs, denoRunArgs } from "../flags.ts";

/** What a finished run of the program printed. */
export interface ProgramResult {
  /** Exit code. */
  code: number;
  /** Standard output as text. */
  stdout: string;
  /** Standard error as text, without Deno's experimental-feature warning. */
  stderr: string;
}

/**
 * Runs `ups-monitor ARGS` under the daemon's permission set.
 *
 * @param args Arguments of ups-monitor.
 * @param options Working directory, extra environment, and the program's
 *   entry: `main.ts` unless a bundle is named (run as the binary runs it).
 * @returns Exit code and output.
 */
export async function runProgram(
  args: readonly string[],
  options: { cwd?: string; env?: Record<string, string>; entry?: string } = {},
): Promise<ProgramResult> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: options.entry === undefined
      ? denoRunArgs(args)
      : bundleRunArgs(args, options.entry),
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
    ...(options.cwd ? { cwd: options.cwd } : {}),
    env: { NO_COLOR: "1", ...options.env },
  }).output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr).replace(
      /^Warning Permissions in the config file is an experimental feature.*\n/m,
      "",
    ),
  };
}
