/**
 * The building blocks of the config schema: durations, absolute paths,
 * finite numbers, counts and NUT credentials, each with the messages a user
 * reads. Pure.
 *
 * @pure
 * @module
 */
import { z } from "../schema/mod.ts";
import { parseDuration } from "./duration.ts";

/**
 * A duration: seconds as a number, or a string with units (`"90s"`, `"15m"`).
 * Parses to milliseconds; also used by the rig's outage profiles.
 *
 * @returns The schema.
 */
export function durationSchema() {
  return z.union([z.number(), z.string()], {
    // YAML reads 1e400 as Infinity, which is a number but no duration.
    error: (issue) =>
      `expected a duration such as 90, "90s" or "15m"${
        typeof issue.input === "number" ? `, got ${issue.input}` : ""
      }`,
  }).transform((value, ctx) => {
    const ms = parseDuration(value);
    if (ms === null) {
      ctx.issues.push({
        code: "custom",
        input: value,
        message: `expected a duration such as 90, "90s" or "15m", got ${
          JSON.stringify(value)
        }`,
      });
      return z.NEVER;
    }
    return ms;
  });
}

/** Longest duration a timer can wait (setTimeout's limit), ms. */
const MAX_DURATION_MS = 2 ** 31 - 1;

/**
 * A config duration with its default (parsed like a written value) and help
 * text. Timeouts and intervals must be above zero (a zero timeout would make
 * every call fail, a zero interval a busy loop); `zero` allows 0 for waits
 * and grace periods.
 */
export function duration(
  description: string,
  fallback: string,
  options: { zero?: boolean } = {},
) {
  return durationSchema()
    .refine((ms) => options.zero ? ms >= 0 : ms > 0, {
      message: "expected a duration above 0",
    })
    .refine((ms) => ms <= MAX_DURATION_MS, {
      message: "expected a duration of at most 24 days",
    })
    .prefault(fallback)
    .describe(`${description} Default ${fallback}.`);
}

/** An absolute path with its help text. */
export function absolutePath(description: string) {
  return z.string().refine((p) => p.startsWith("/"), {
    message: 'expected an absolute path (starting with "/")',
  }).describe(description);
}

/**
 * A number of the config. YAML reads `1e400` as Infinity and `.nan` as NaN:
 * numbers to YAML, but no setting means them, and the default words for them
 * ("expected number, received Infinity") read as a contradiction.
 *
 * @returns The schema, to refine further (`.int()`, `.min()`).
 */
export function finiteNumber() {
  return z.number({
    error: (issue) =>
      issue.code === "invalid_type" && typeof issue.input === "number"
        ? `expected a finite number, got ${issue.input}`
        : undefined,
  });
}

/** A whole number in a range, with its default and help text. */
export function count(
  description: string,
  min: number,
  max: number,
  fallback: number,
) {
  return finiteNumber().int().min(min).max(max).default(fallback)
    .describe(`${description} Default ${fallback}.`);
}

/** An absolute path or null (none), with its help text. */
export function optionalPath(description: string) {
  const text = description.includes("Default")
    ? description
    : `${description} Default none.`;
  return absolutePath(description).nullable().default(null).describe(text);
}

/** Longest word upsd keeps (`common/parseconf.c` truncates longer ones). */
const MAX_NUT_WORD = 512;

/**
 * What is wrong with a NUT user name or password, in a message that never
 * holds the value: upsd drops characters outside printable ASCII (NUT.md
 * 2.3), so such a credential could never log in.
 *
 * @param value The user name or password.
 * @returns The problem, or `null` when upsd can take the value.
 */
export function nutCredentialProblem(value: string): string | null {
  if (value === "") return "must not be empty";
  if (!/^[\x20-\x7e]*$/.test(value)) {
    return "expected printable ASCII only (upsd drops control and non-ASCII characters)";
  }
  if (value.length > MAX_NUT_WORD) {
    return `expected at most ${MAX_NUT_WORD} characters (upsd cuts longer words)`;
  }
  return null;
}

/** A NUT user name or password: printable ASCII, never echoed in errors. */
export function nutCredential() {
  return z.string().superRefine((value, ctx) => {
    const problem = nutCredentialProblem(value);
    if (problem !== null) ctx.addIssue({ code: "custom", message: problem });
  });
}
