/**
 * The issues a schema reports, and their words. The codes and fields follow
 * zod 4's, whose subset this library replaced (issue 19: zod cost the
 * daemon ~40 ms and ~10 MiB at every start), so the config's messages
 * (`config/issue_text.ts`) read them unchanged. Pure.
 *
 * @pure
 * @module
 */

/** A custom message: text, or a function of the issue (undefined: the default words). */
export type ErrorSpec = string | ((issue: RawIssue) => string | undefined);

/** Fields every issue has. */
interface IssueBase {
  /** Keys from the parsed value's root to the offending value. */
  path: PropertyKey[];
  /** What is wrong, in words. */
  message: string;
}

/** An issue as reported: one of the codes below. */
export type Issue =
  | IssueBase & { code: "invalid_type"; expected: string }
  | IssueBase & {
    code: "too_big" | "too_small";
    origin: "number" | "int" | "string" | "array";
    maximum?: number;
    minimum?: number;
    inclusive: boolean;
  }
  | IssueBase & { code: "invalid_value"; values: unknown[] }
  | IssueBase & { code: "invalid_format"; format: string; pattern?: string }
  | IssueBase & {
    code: "invalid_union";
    errors: Issue[][];
    note?: string;
    discriminator?: string;
  }
  | IssueBase & { code: "unrecognized_keys"; keys: string[] }
  | IssueBase & { code: "invalid_key"; origin: "record"; issues: Issue[] }
  | IssueBase & { code: "custom" };

/** The code of an issue. */
export type IssueCode = Issue["code"];

/**
 * An issue while a value is parsed: its path grows as it bubbles up, its
 * message is decided at the end.
 */
export interface RawIssue {
  code: IssueCode;
  /** Relative to the schema that reported it; filled in on the way up. */
  path?: PropertyKey[];
  /** Set by a custom check; otherwise `error` or the default words. */
  message?: string | undefined;
  /** The value at fault; never part of a reported issue (it may be a secret). */
  input?: unknown;
  /** The custom message of the schema or check that reported it. */
  error?: ErrorSpec | undefined;
  /** True: later checks still run (a range); otherwise they are skipped. */
  continue?: boolean;
  expected?: string;
  origin?: "number" | "int" | "string" | "array" | "record";
  maximum?: number;
  minimum?: number;
  inclusive?: boolean;
  values?: unknown[];
  format?: string;
  pattern?: string;
  errors?: Issue[][];
  note?: string;
  discriminator?: string;
  keys?: string[];
  issues?: Issue[];
}

/**
 * The reported form of a raw issue: its message decided, its input dropped.
 *
 * @param raw The raw issue.
 * @returns The issue.
 */
export function finalizeIssue(raw: RawIssue): Issue {
  const message = raw.message ?? customMessage(raw) ?? defaultMessage(raw);
  const { error: _error, continue: _continue, input: _input, ...rest } = raw;
  return { ...rest, path: raw.path ?? [], message } as Issue;
}

function customMessage(raw: RawIssue): string | undefined {
  return typeof raw.error === "function" ? raw.error(raw) : raw.error;
}

/** The words of an issue without a custom message (zod's English ones). */
function defaultMessage(raw: RawIssue): string {
  switch (raw.code) {
    case "invalid_type":
      return `Invalid input: expected ${raw.expected}, received ${
        received(raw.input)
      }`;
    case "invalid_value": {
      const values = raw.values ?? [];
      return values.length === 1
        ? `Invalid input: expected ${JSON.stringify(values[0])}`
        : `Invalid option: expected one of ${
          values.map((value) => JSON.stringify(value)).join("|")
        }`;
    }
    case "too_big":
      return `Too big: expected ${
        sized(raw, raw.inclusive ? "<=" : "<")
      }${raw.maximum}${unit(raw.origin)}`;
    case "too_small":
      return `Too small: expected ${
        sized(raw, raw.inclusive ? ">=" : ">")
      }${raw.minimum}${unit(raw.origin)}`;
    case "invalid_format":
      return raw.format === "url"
        ? "Invalid URL"
        : `Invalid string: must match pattern ${raw.pattern}`;
    case "unrecognized_keys": {
      const keys = raw.keys ?? [];
      return `Unrecognized key${keys.length > 1 ? "s" : ""}: ${
        keys.map((key) => JSON.stringify(key)).join(", ")
      }`;
    }
    case "invalid_key":
      return "Invalid key in record";
    default:
      return "Invalid input";
  }
}

function sized(raw: RawIssue, relation: string): string {
  return raw.origin === "string" || raw.origin === "array"
    ? `${raw.origin} to have ${relation}`
    : `${raw.origin ?? "number"} to be ${relation}`;
}

function unit(origin: RawIssue["origin"]): string {
  if (origin === "string") return " characters";
  if (origin === "array") return " items";
  return "";
}

/** The type name of a value in the default words. */
function received(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number" && !Number.isFinite(value)) {
    return String(value);
  }
  return typeof value;
}

/** The outcome of a schema's `safeParse()`. */
export type SafeParseResult<T> =
  | { success: true; data: T; error?: undefined }
  | { success: false; data?: undefined; error: SchemaError };

/** A value the schema refused: every issue, the first in the message. */
export class SchemaError extends Error {
  override name = "SchemaError";
  /** Every issue. */
  readonly issues: Issue[];
  constructor(issues: Issue[]) {
    super(
      issues.map((issue) =>
        issue.path.length
          ? `${issue.path.join(".")}: ${issue.message}`
          : issue.message
      ).join("\n"),
    );
    this.issues = issues;
  }
}
