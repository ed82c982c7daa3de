/**
 * How a secret looks wherever it is printed: one mask for the effective
 * config of `check`, the log and command output, and the rule for masking
 * the values a config marks as secret.
 *
 * @module
 * @pure
 */

/** Text shown in place of a secret. */
export const SECRET_MASK = "***";

/**
 * Masks one secret value: a URL keeps its scheme and host (the token is in
 * the path or query; a user and password before the host are dropped),
 * anything else becomes {@linkcode SECRET_MASK}.
 *
 * @param secret A secret value.
 * @returns What to print instead.
 */
export function maskSecret(secret: string): string {
  const url = /^(https?:\/\/)(?:[^/?#@]*@)?([^/?#@]+)/i.exec(secret);
  return url ? `${url[1]}${url[2]}/${SECRET_MASK}` : SECRET_MASK;
}

/**
 * A deep copy of `value` where every string equal to one of `secrets` is
 * masked with {@linkcode maskSecret}. Only whole values are replaced, so a
 * short secret does not mangle unrelated text.
 *
 * @param value JSON-like data (objects, arrays, strings, numbers…).
 * @param secrets The values to hide.
 * @returns The masked copy.
 */
export function maskSecrets<T>(value: T, secrets: readonly string[]): T {
  const hidden = new Set(secrets.filter((secret) => secret !== ""));
  function walk(item: unknown): unknown {
    if (typeof item === "string") {
      return hidden.has(item) ? maskSecret(item) : item;
    }
    if (Array.isArray(item)) return item.map(walk);
    if (typeof item === "object" && item !== null) {
      return Object.fromEntries(
        Object.entries(item).map(([key, child]) => [key, walk(child)]),
      );
    }
    return item;
  }
  return walk(value) as T;
}
