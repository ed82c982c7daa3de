/**
 * Host and user names as ssh takes them on its command line: what the
 * config refuses so that a remote never fails first during an outage.
 *
 * @module
 * @pure
 */

/**
 * Why a remote's host or user cannot go on ssh's command line, or `null`: a
 * value beginning with `-` is read as an option, `@` splits the user from the
 * host, and whitespace or control characters do not belong in either.
 *
 * @param value A configured host or user.
 * @returns The problem, starting with the quoted value, or `null`.
 */
export function sshNameProblem(value: string): string | null {
  const shown = JSON.stringify(value);
  if (value.startsWith("-")) {
    return `${shown} begins with "-", which ssh would read as an option`;
  }
  if (/[\s\p{Cc}]/u.test(value)) {
    return `${shown} contains whitespace or a control character`;
  }
  if (value.includes("@")) {
    return `${shown} contains "@", which ssh reads as the end of the user`;
  }
  return null;
}
