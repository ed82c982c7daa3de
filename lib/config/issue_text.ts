/**
 * A schema issue in the words of a config file's reader: what was expected and
 * what the file holds, and the known key a typo is nearest to. Pure.
 *
 * @pure
 * @module
 */
import { type Document, isMap, isNode } from "./yaml.ts";
import type { z } from "../schema/mod.ts";

/**
 * The message of one schema issue, looked up in the YAML document.
 *
 * @param issue The schema issue.
 * @param doc The parsed document (for what the file holds at the path).
 * @returns Lower-case text without the place.
 */
export function describeIssue(issue: z.Issue, doc: Document): string {
  switch (issue.code) {
    case "invalid_type": {
      const present = doc.hasIn(issue.path);
      if (!present) return "required key is missing";
      const value = doc.getIn(issue.path);
      if (issue.expected === "int" && typeof value === "number") {
        return `expected a whole number, got ${value}`;
      }
      // A number refused as a number is Infinity or NaN: the schema says so.
      if (typeof value === "number" && issue.expected === "number") {
        return issue.message;
      }
      return `expected ${article(issue.expected)}, got ${
        typeName(doc.getIn(issue.path))
      }`;
    }
    case "too_big":
      return issue.origin === "array"
        ? `expected at most ${issue.maximum} items`
        : `expected at most ${issue.maximum}${
          issue.inclusive ? "" : " (exclusive)"
        }`;
    case "too_small":
      if (issue.origin === "array") {
        return `expected at least ${issue.minimum} item(s)`;
      }
      if (issue.origin === "string") return "must not be empty";
      return issue.minimum === 0 && !issue.inclusive
        ? "expected a number above 0"
        : `expected at least ${issue.minimum}${
          issue.inclusive ? "" : " (exclusive)"
        }`;
    case "invalid_value":
      return `expected one of ${
        issue.values.map((v) => JSON.stringify(v)).join(", ")
      }`;
    case "invalid_format":
      return issue.format === "url"
        ? "expected an http or https URL"
        : issue.message;
    case "invalid_union":
      return issue.message.startsWith("Invalid input")
        ? "value has the wrong shape"
        : issue.message;
    default:
      return issue.message;
  }
}

function article(type: string): string {
  if (type === "int") return "an integer";
  if (type === "array") return "a list";
  if (type === "object") return "a mapping";
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

function typeName(value: unknown): string {
  if (value === null || value === undefined) return "nothing (null)";
  if (Array.isArray(value)) return "a list";
  if (isMap(value)) return "a mapping";
  if (isNode(value)) return typeName(value.toJSON());
  if (typeof value === "object") return "a mapping";
  return article(typeof value);
}

/**
 * The known key nearest to a typo, when it is near enough to be a typo.
 *
 * @param typo The unknown key.
 * @param known The keys allowed there.
 * @returns The nearest known key, or undefined.
 */
export function closest(
  typo: string,
  known: readonly string[],
): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const distance = editDistance(typo.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(typo.length / 3))
    ? best
    : undefined;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(
        (previous[j] ?? 0) + 1,
        (current[j - 1] ?? 0) + 1,
        (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
