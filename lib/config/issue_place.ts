/**
 * Where a problem of a config file is: schema issues placed at their line
 * and column in the YAML document, with the key path and the message in the
 * words of `issue_text.ts`. Pure.
 *
 * @pure
 * @module
 */
import { isMap, isNode, LineCounter, parseDocument } from "./yaml.ts";
import type { Document, Node } from "./yaml.ts";
import type { z } from "../schema/mod.ts";
import type { ConfigIssue } from "./errors.ts";
import { closest, describeIssue } from "./issue_text.ts";
import { knownKeysAt } from "./schema.ts";

/**
 * The issues of the one union option the value has the shape of (`ups`: a
 * mapping or a list): "expected a mapping" from the list option says
 * nothing about a mapping with a bad key.
 *
 * @returns Those issues, or null when the issue is no such union's.
 */
function matchingBranch(issue: z.Issue): z.Issue[] | null {
  if (issue.code !== "invalid_union") return null;
  const shaped = issue.errors.filter((errors) =>
    !errors.some((inner) =>
      inner.path.length === 0 && inner.code === "invalid_type"
    )
  );
  return shaped.length === 1 ? shaped[0]! : null;
}

/**
 * A schema issue as the config's problems, placed in the document.
 *
 * @param issue The schema issue.
 * @param doc The parsed YAML.
 * @param lineCounter Its line counter.
 * @param file The file name for the message.
 * @returns One problem, or one per unknown key.
 */
export function toIssues(
  issue: z.Issue,
  doc: Document,
  lineCounter: LineCounter,
  file: string,
): ConfigIssue[] {
  const branch = matchingBranch(issue);
  if (branch !== null) {
    return branch.flatMap((inner) =>
      toIssues(
        { ...inner, path: [...issue.path, ...inner.path] },
        doc,
        lineCounter,
        file,
      )
    );
  }
  if (issue.code === "unrecognized_keys") {
    return issue.keys.map((key) => {
      const path = [...issue.path, key];
      const known = knownKeysAt(issue.path);
      const hint = closest(key, known);
      return {
        file,
        ...locate(doc, lineCounter, path, true),
        key: dotted(path),
        message: hint
          ? `unknown key (did you mean "${hint}"?)`
          : `unknown key${
            known.length > 0
              ? ` (known: ${known.map((k) => `"${k}"`).join(", ")})`
              : ""
          }`,
      };
    });
  }
  return [{
    file,
    ...locate(doc, lineCounter, issue.path, false),
    ...(issue.path.length > 0 ? { key: dotted(issue.path) } : {}),
    message: describeIssue(issue, doc),
  }];
}

function dotted(path: readonly PropertyKey[]): string {
  return path.map(String).join(".");
}

/** Line and column of the node at `path`, or of its nearest existing ancestor. */
function locate(
  doc: Document,
  lineCounter: LineCounter,
  path: readonly PropertyKey[],
  atKey: boolean,
): { line?: number; column?: number } {
  for (let depth = path.length; depth >= 1; depth--) {
    const here = path.slice(0, depth) as unknown[];
    const node = depth === 0 ? doc.contents : doc.getIn(here, true);
    let target: unknown = node;
    if (depth > 0 && (atKey || depth < path.length)) {
      // Point at the key itself when the value is missing or the key is unknown.
      const parent = depth === 1
        ? doc.contents
        : doc.getIn(here.slice(0, -1), true);
      if (isMap(parent)) {
        const pair = parent.items.find((p) =>
          isNode(p.key) && String(p.key.toJSON()) === here.at(-1)
        );
        if (pair && isNode(pair.key)) target = pair.key;
      }
    }
    if (isNode(target) && (target as Node).range) {
      const { line, col } = lineCounter.linePos((target as Node).range![0]);
      return { line, column: col };
    }
  }
  return {};
}

/**
 * Line and column of a key in config text, for problems found after validation.
 *
 * @param text The YAML text.
 * @param path The key path.
 * @returns Where it is, or nothing when absent.
 */
export function placeOf(
  text: string,
  path: readonly (string | number)[],
): { line?: number; column?: number } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter });
  return locate(doc, lineCounter, path, true);
}
