/**
 * The state of a parse and its rules: the value, the issues so far, the
 * checks, and when later checks are skipped (zod 4's: after an aborting
 * issue, but a length check still runs unless an issue said "stop"). Pure.
 *
 * @pure
 * @module
 */
import type { ErrorSpec, RawIssue } from "./issue.ts";

/** The value being parsed and what is wrong with it so far. */
export interface Payload {
  value: unknown;
  issues: RawIssue[];
  /** Set by a pipe whose input had issues: nothing after it may run. */
  aborted?: boolean;
}

/** A check on a parsed value: pushes issues into the payload. */
export interface Check {
  run(payload: Payload): void;
  /** A length check runs even after an aborting issue, on anything with a length. */
  onLength?: boolean;
  /** What the JSON Schema says of it. */
  json?: Record<string, unknown>;
}

/**
 * The issue of a value of the wrong type.
 *
 * @param expected The type's name in the words (`string`, `array`, ...).
 * @param input The value.
 * @param error The custom message of the schema that reports it.
 * @returns The raw issue.
 */
export function typeIssue(
  expected: string,
  input: unknown,
  error?: ErrorSpec,
): RawIssue {
  return { code: "invalid_type", expected, input, error };
}

/** Whether any issue from `start` on stops the checks after it. */
export function isAborted(payload: Payload, start = 0): boolean {
  if (payload.aborted === true) return true;
  return payload.issues.slice(start).some((issue) => issue.continue !== true);
}

/**
 * Whether an issue said "stop" outright (`.int()`, a transform): that stops
 * even the length checks, which a mere wrong type does not.
 */
export function explicitlyAborted(payload: Payload): boolean {
  return payload.aborted === true ||
    payload.issues.some((issue) => issue.continue === false);
}

/** Whether a length check can measure the value. */
export function hasLength(value: unknown): boolean {
  return typeof value === "string" || Array.isArray(value);
}

/**
 * What a length check measured: a length check of a list schema also runs
 * on a text that failed the type, and says so.
 *
 * @param value A text or a list.
 * @returns The issue's origin.
 */
function lengthOrigin(value: unknown): "string" | "array" {
  return Array.isArray(value) ? "array" : "string";
}

/**
 * A bound on the length of a text or a list: it runs even after the type
 * failed (see {@linkcode hasLength}) and lets later checks run.
 *
 * @param code `too_small` for a least length, `too_big` for a most.
 * @param count The bound, inclusive.
 * @param json What the JSON Schema says of it (`minLength`, `maxItems`, ...).
 * @returns The check.
 */
export function lengthCheck(
  code: "too_small" | "too_big",
  count: number,
  json: Record<string, unknown>,
): Check {
  const small = code === "too_small";
  return {
    onLength: true,
    json,
    run(payload) {
      const length = (payload.value as { length: number }).length;
      if (small ? length < count : length > count) {
        payload.issues.push({
          code,
          origin: lengthOrigin(payload.value),
          [small ? "minimum" : "maximum"]: count,
          inclusive: true,
          input: payload.value,
          continue: true,
        });
      }
    },
  };
}

/**
 * Adds `key` in front of the paths of issues.
 *
 * @param key The key of the value the issues are about.
 * @param issues Issues of that value.
 * @returns The same issues.
 */
export function prefixIssues(key: PropertyKey, issues: RawIssue[]): RawIssue[] {
  for (const issue of issues) issue.path = [key, ...(issue.path ?? [])];
  return issues;
}
