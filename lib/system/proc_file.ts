/**
 * Reads small files under `/proc` (the boot id, a process's `stat` and
 * `cmdline`). Deno 2.9 grants those paths only with `--allow-all`, so the
 * file is read through libc's `open`/`read`/`close` when the `ffi`
 * permission is granted (the daemon has it, for systemd's notify socket;
 * see notify_socket.ts for why that adds no power), else by running `cat`
 * through the runner, as a query. A `cat` costs a process, and the first one
 * loads Deno's process module: together about 25 ms of the daemon's start to
 * its first poll, where libc takes microseconds (issue 19).
 *
 * Bounded: at most {@linkcode MAX_PROC_BYTES} are read; `/proc` files answer
 * at once, so the blocking calls cannot hang.
 *
 * @module
 */
import type { Runner } from "./exec.ts";

/** The most bytes read from one file. */
export const MAX_PROC_BYTES = 64 * 1024;

/** `O_RDONLY | O_CLOEXEC`. */
const OPEN_FLAGS = 0o2000000;

const LIBC_SYMBOLS = {
  open: { parameters: ["buffer", "i32"], result: "i32" },
  read: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  close: { parameters: ["i32"], result: "i32" },
  "__errno_location": { parameters: [], result: "pointer" },
} as const;

/** The errno values an open or read of /proc can meet, by name. */
const ERRNO_NAMES: Readonly<Record<number, string>> = {
  2: "No such file or directory",
  3: "No such process",
  13: "Permission denied",
  20: "Not a directory",
};

/** The file's text, or why it could not be read. */
export type ProcRead = { text: string } | { error: string };

type Libc = Deno.DynamicLibrary<typeof LIBC_SYMBOLS>;

/**
 * libc, loaded for one read and closed after it: loading a library the
 * process already holds only counts a reference, and nothing stays open.
 */
function openLibc(): Libc | null {
  const granted = Deno.build.os === "linux" &&
    Deno.permissions.querySync({ name: "ffi" }).state === "granted";
  if (!granted) return null;
  try {
    return Deno.dlopen("libc.so.6", LIBC_SYMBOLS);
  } catch {
    return null; // musl or another libc name: `cat` still reads the file.
  }
}

function errnoText(lib: Libc): string {
  const where = lib.symbols.__errno_location();
  const code = where === null
    ? 0
    : new Deno.UnsafePointerView(where).getInt32();
  return ERRNO_NAMES[code] ?? `errno ${code}`;
}

function readWithLibc(lib: Libc, path: string): ProcRead {
  const name = new TextEncoder().encode(path + "\0");
  const fd = lib.symbols.open(name, OPEN_FLAGS);
  if (fd < 0) return { error: errnoText(lib) };
  try {
    const buffer = new Uint8Array(MAX_PROC_BYTES);
    let length = 0;
    while (length < buffer.length) {
      const n = Number(
        lib.symbols.read(
          fd,
          buffer.subarray(length),
          BigInt(buffer.length - length),
        ),
      );
      if (n < 0) return { error: errnoText(lib) };
      if (n === 0) break;
      length += n;
    }
    return { text: new TextDecoder().decode(buffer.subarray(0, length)) };
  } finally {
    lib.symbols.close(fd);
  }
}

/**
 * Reads a file under `/proc`: through libc when FFI is granted, else `cat`.
 *
 * @param path Absolute path, e.g. `/proc/123/stat`.
 * @param runner Runs `cat` when libc cannot be used.
 * @returns Its text (at most {@linkcode MAX_PROC_BYTES}), or the reason it
 * could not be read, e.g. `No such file or directory`.
 */
export async function readProcFile(
  path: string,
  runner: Runner,
): Promise<ProcRead> {
  const lib = openLibc();
  if (lib) {
    try {
      return readWithLibc(lib, path);
    } finally {
      lib.close();
    }
  }
  const result = await runner.run("cat", [path], {
    kind: "query",
    timeoutMs: 5000,
  });
  if (result.code === 0) return { text: result.stdout };
  return { error: result.stderr.trim() || `exit code ${result.code}` };
}
