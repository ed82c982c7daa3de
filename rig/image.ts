/**
 * Builds the rig's images once per machine and reuses them: the NUT server
 * (`rig/Containerfile`) and the NAS stand-in (`rig/Containerfile.nas`), each
 * tagged with a hash of its files. With a reachable registry they build
 * `FROM debian:bookworm-slim`; without one the base is a Debian made with
 * debootstrap (packages already included) and imported into the engine.
 *
 * @module
 */

import { join } from "node:path";
import { formatCommand } from "../lib/system/exec.ts";
import { type Engine, RigCommandError } from "./engine.ts";

/** References of the rig's images, ready for `run`. */
export interface RigImages {
  /** The NUT server image. */
  nut: string;
  /** The NAS (SSH target) image. */
  nas: string;
}

/** Where the base image comes from. */
export type BaseSource = "auto" | "registry" | "debootstrap";

/** One step that took time, for the report. */
export interface BuildStep {
  /** `pull`, `debootstrap`, `import`, `build nut` or `build nas`. */
  step: string;
  /** Wall time in ms. */
  durationMs: number;
}

/** What {@linkcode ensureImages} returns. */
export interface ImageReport {
  /** The image references. */
  images: RigImages;
  /** Steps that ran; empty when every image was already there. */
  steps: BuildStep[];
}

/** Options of {@linkcode ensureImages}. */
export interface EnsureImagesOptions {
  /**
   * `registry` pulls debian:bookworm-slim; `debootstrap` never touches a
   * registry; `auto` uses a base already present, else tries the registry
   * and falls back to debootstrap.
   * @default the UPS_RIG_BASE environment variable, else "auto"
   */
  base?: BaseSource;
  /**
   * Debian mirror for debootstrap.
   * @default UPS_RIG_DEBIAN_MIRROR, else "http://deb.debian.org/debian"
   */
  mirror?: string;
}

/** The registry base of both Containerfiles (their `ARG BASE` default). */
export const REGISTRY_BASE = "docker.io/library/debian:bookworm-slim";

const SUITE = "bookworm";
/** Packages of the debootstrap base: one base serves both images. */
const BASE_PACKAGES = ["nut-server", "openssh-server", "sudo"];
const RIG_DIR = new URL(".", import.meta.url).pathname;
const IMAGE_FILES = {
  nut: ["Containerfile", "entrypoint.sh", "entrypoint_upsmon.sh"],
  nas: ["Containerfile.nas", "entrypoint_nas.sh", "synoshutdown.sh"],
} as const;
const MINUTE = 60_000;

async function sha256(text: string): Promise<string> {
  const digest = await crypto.subtle.digest(
    "SHA-256",
    new TextEncoder().encode(text),
  );
  return [...new Uint8Array(digest)]
    .map((byte) => byte.toString(16).padStart(2, "0")).join("");
}

async function filesHash(files: readonly string[]): Promise<string> {
  let text = "";
  for (const file of files) {
    text += `${file}\0${await Deno.readTextFile(join(RIG_DIR, file))}\0`;
  }
  return (await sha256(text)).slice(0, 16);
}

/**
 * The names and tags of the images for the current files in `rig/`: a
 * change to a Containerfile or script gives a new tag, hence a rebuild.
 *
 * @returns `name:tag` of each image, without the engine's prefix.
 * @throws {Deno.errors.NotFound} When a file of `rig/` is missing.
 */
export async function imageTags(): Promise<RigImages> {
  return {
    nut: `ups-monitor-rig-nut:${await filesHash(IMAGE_FILES.nut)}`,
    nas: `ups-monitor-rig-nas:${await filesHash(IMAGE_FILES.nas)}`,
  };
}

const inProcess = new Map<string, Promise<ImageReport>>();

/**
 * Makes sure both images exist for this engine, building what is missing.
 * Concurrent callers (also in other processes) build once: a file lock
 * serialises builds.
 *
 * @param engine A container engine.
 * @param options Base source and mirror.
 * @returns The image references and the build steps that ran.
 * @throws {TypeError} For the native engine.
 * @throws {RigCommandError} When a build step fails (command and stderr).
 */
export function ensureImages(
  engine: Engine,
  options: EnsureImagesOptions = {},
): Promise<ImageReport> {
  if (!engine.containers) {
    throw new TypeError("Cannot build images for the native engine");
  }
  const key = `${engine.name}:${options.base ?? ""}:${options.mirror ?? ""}`;
  let pending = inProcess.get(key);
  if (!pending) {
    pending = buildMissing(engine, options);
    inProcess.set(key, pending);
    // A failure is not cached: the next caller tries again.
    pending.catch(() => inProcess.delete(key));
  }
  return pending;
}

async function buildMissing(
  engine: Engine,
  options: EnsureImagesOptions,
): Promise<ImageReport> {
  const tags = await imageTags();
  const images = {
    nut: engine.localRef(tags.nut),
    nas: engine.localRef(tags.nas),
  };
  const missing = async () => {
    const kinds: (keyof RigImages)[] = [];
    for (const kind of ["nut", "nas"] as const) {
      if (!await engine.hasImage(images[kind])) kinds.push(kind);
    }
    return kinds;
  };
  if ((await missing()).length === 0) return { images, steps: [] };

  using _lock = await lockBuilds();
  const steps: BuildStep[] = [];
  const todo = await missing(); // another process may have built them
  if (todo.length === 0) return { images, steps };
  const base = await baseImage(engine, options, steps);
  for (const kind of todo) {
    const started = performance.now();
    await buildImage(engine, kind, images[kind], base);
    steps.push({
      step: `build ${kind}`,
      durationMs: Math.round(performance.now() - started),
    });
  }
  return { images, steps };
}

/** Holds an exclusive lock on a file in the temp dir until disposed. */
async function lockBuilds(): Promise<Disposable> {
  const path = join(
    Deno.env.get("TMPDIR") ?? "/tmp",
    `ups-monitor-rig-build-${Deno.uid() ?? "user"}.lock`,
  );
  const file = await Deno.open(path, { create: true, write: true });
  await file.lock(true);
  return { [Symbol.dispose]: () => file.close() };
}

/** The `BASE` build argument to use, or `null` for the registry default. */
async function baseImage(
  engine: Engine,
  options: EnsureImagesOptions,
  steps: BuildStep[],
): Promise<string | null> {
  const source = options.base ??
    (Deno.env.get("UPS_RIG_BASE") as BaseSource | undefined) ?? "auto";
  if (!["auto", "registry", "debootstrap"].includes(source)) {
    throw new RangeError(
      `Cannot build the rig's images: base must be "auto", "registry" or "debootstrap", got "${source}"`,
    );
  }
  const local = engine.localRef(
    `ups-monitor-rig-base:${SUITE}-${
      (await sha256(BASE_PACKAGES.join(","))).slice(0, 12)
    }`,
  );
  if (source !== "registry" && await engine.hasImage(local)) return local;
  if (source !== "debootstrap") {
    if (await engine.hasImage(REGISTRY_BASE)) return null;
    const started = performance.now();
    const pull = await engine.cliResult(["pull", REGISTRY_BASE], {
      timeoutMs: 5 * MINUTE,
    });
    steps.push({
      step: "pull",
      durationMs: Math.round(performance.now() - started),
    });
    if (pull.code === 0) return null;
    if (source === "registry") {
      throw new RigCommandError(
        "pull the Debian base image",
        formatCommand(engine.name, ["pull", REGISTRY_BASE]),
        pull,
      );
    }
  }
  await debootstrapBase(engine, local, options, steps);
  return local;
}

/** debootstrap a minimal Debian with the packages, tar it, import it. */
async function debootstrapBase(
  engine: Engine,
  ref: string,
  options: EnsureImagesOptions,
  steps: BuildStep[],
): Promise<void> {
  if (Deno.uid() !== 0) {
    throw new Error(
      "Cannot build the rig's base image without a registry: debootstrap needs root",
    );
  }
  const mirror = options.mirror ?? Deno.env.get("UPS_RIG_DEBIAN_MIRROR") ??
    "http://deb.debian.org/debian";
  // Not /tmp: it may be mounted nodev or noexec, which debootstrap cannot use.
  const work = await Deno.makeTempDir({
    dir: "/var/tmp",
    prefix: "ups-monitor-rig-base-",
  });
  try {
    const root = join(work, "root");
    let started = performance.now();
    await engine.command(
      "build the rig's base image with debootstrap",
      "debootstrap",
      [
        "--variant=minbase",
        `--include=${BASE_PACKAGES.join(",")}`,
        SUITE,
        root,
        mirror,
      ],
      { timeoutMs: 15 * MINUTE },
    );
    steps.push({
      step: "debootstrap",
      durationMs: Math.round(performance.now() - started),
    });
    started = performance.now();
    const tar = join(work, "root.tar");
    await engine.command("pack the rig's base image", "tar", [
      "--create",
      "--file",
      tar,
      "--directory",
      root,
      "--numeric-owner",
      ".",
    ], { timeoutMs: 5 * MINUTE });
    await engine.cli("import the rig's base image", ["import", tar, ref], {
      timeoutMs: 5 * MINUTE,
    });
    steps.push({
      step: "import",
      durationMs: Math.round(performance.now() - started),
    });
  } finally {
    await Deno.remove(work, { recursive: true });
  }
}

/** Builds one image from a context holding only its files. */
async function buildImage(
  engine: Engine,
  kind: keyof RigImages,
  ref: string,
  base: string | null,
): Promise<void> {
  const context = await Deno.makeTempDir({ prefix: "ups-monitor-rig-ctx-" });
  try {
    for (const file of IMAGE_FILES[kind]) {
      await Deno.copyFile(join(RIG_DIR, file), join(context, file));
      // COPY keeps the mode: scripts must be executable in the image.
      await Deno.chmod(
        join(context, file),
        file.endsWith(".sh") ? 0o755 : 0o644,
      );
    }
    await engine.cli(`build the rig's ${kind.toUpperCase()} image`, [
      "build",
      ...engine.buildFlags,
      ...(base === null ? [] : ["--build-arg", `BASE=${base}`]),
      "--file",
      join(context, IMAGE_FILES[kind][0]),
      "--tag",
      ref,
      context,
    ], { timeoutMs: 15 * MINUTE });
  } finally {
    await Deno.remove(context, { recursive: true });
  }
}
